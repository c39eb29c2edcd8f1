"""Algorithm draw-v1 (DESIGN §5; docs/spec/draw-v1.md): who is inspected, and by whom.

`compute_draw(announce, units, randomness, inspectors=..., experts=...)` returns
the computed part of a `draw.result` entry (§5 step 8) as a JSON-ready dict;
`canonical_json` of it is what `fairdraw recompute` prints. Pure and
deterministic: the result depends on the announce, the SET of records and the
beacon randomness only, never on record order.

Records are read once: one pass takes each record's id and status, the ids
are checked together (one regex, `canonical.all_identifiers`) and from then
on every id is known to be an identifier, whose JCS string is the id itself
in quotes. So tickets that end with an id are computed from a SHA-256 state
already fed with `seed || JCS([prefix…,` (`TicketHasher`) instead of encoding
each one; there is no per-call check.

Deliberately left out: checking that the records hash to the snapshot roots
the announce names (`draw_engine.snapshot.check_snapshot` does that, and the
CLI calls it), fetching or verifying the beacon, and anything about time.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from draw_engine.announce import DrawSpec, is_calendar_date, parse_announce
from draw_engine.canonical import all_identifiers, canonical_json, is_identifier
from draw_engine.errors import DrawInputError

SEED_CONTEXT = b"fairdraw/draw-v1/seed"
ROLE_LEAD = "lead"
ROLE_ASSIST = "assist"
ROLE_EXPERT = "expert"

Record = Mapping[str, Any]


def spec_hash(announce: Mapping[str, Any]) -> bytes:
    """SPEC(draw-v1 §5.1): spec_hash = SHA-256(JCS(A))."""
    return hashlib.sha256(canonical_json(announce)).digest()


def derive_seed(spec_hash_bytes: bytes, randomness: bytes) -> bytes:
    """SPEC(draw-v1 §5.1): seed = SHA-256("fairdraw/draw-v1/seed" || 0x00 || spec_hash || r)."""
    if len(spec_hash_bytes) != 32:
        raise DrawInputError(f"spec_hash must be 32 bytes, got {len(spec_hash_bytes)}")
    if not randomness:
        raise DrawInputError("beacon randomness is empty")
    return hashlib.sha256(SEED_CONTEXT + b"\x00" + spec_hash_bytes + randomness).digest()


def ticket(seed: bytes, *parts: str) -> bytes:
    """SPEC(draw-v1 §5.2): ticket(parts…) = SHA-256(seed || JCS([parts…]))."""
    return hashlib.sha256(seed + canonical_json(list(parts))).digest()


class TicketHasher:
    """`ticket(seed, *prefix, id)` for many identifiers `id` after one fixed prefix.

    JCS([*prefix, id]) = JCS(prefix) without its "]", then ',"' + id + '"]': an
    identifier is ASCII [A-Za-z0-9._:-] and needs no escaping. The SHA-256 state
    fed with seed and that head is copied per id, so the head is hashed once.
    Callers pass ids already checked as identifiers (`_read_records`).
    """

    def __init__(self, seed: bytes, *prefix: str) -> None:
        head = canonical_json(list(prefix))[:-1] + (b',"' if prefix else b'"')
        self._state = hashlib.sha256(seed + head)

    def ticket(self, id_bytes: bytes) -> bytes:
        """The ticket of the identifier whose ASCII bytes are `id_bytes`."""
        state = self._state.copy()
        state.update(id_bytes + b'"]')
        return state.digest()

    def tickets(self, ids_bytes: Iterable[bytes]) -> list[bytes]:
        state = self._state
        out = []
        for raw in ids_bytes:
            hasher = state.copy()
            hasher.update(raw + b'"]')
            out.append(hasher.digest())
        return out


def _first(members: list[tuple[bytes, bytes, str]], count: int) -> list[tuple[bytes, bytes, str]]:
    """The `count` smallest members in ascending order: `sorted(members)[:count]`.

    Members are unique (ids are), so the heap gives the same list; it is faster for count ≪ n.
    """
    if count * 8 < len(members):
        return heapq.nsmallest(count, members)
    members.sort()
    return members[:count]


def _value_key(value: object) -> object:
    # JSON equality: true is not 1, "1" is not 1.
    if value is None or isinstance(value, bool | int | str):
        return (type(value).__name__, value)
    return ("json", canonical_json(value))


def _matches(record: Record, match: tuple[tuple[str, frozenset[object]], ...]) -> bool:
    """SPEC(draw-v1 §5.4): every attribute of `match` holds; {} matches everything."""
    for attribute, allowed in match:
        if attribute not in record:
            return False
        value = record[attribute]
        if isinstance(value, list):
            # SPEC(draw-v1 §5.4): a list attribute must share one value with the allowed ones.
            if not any(_value_key(item) in allowed for item in value):
                return False
        elif _value_key(value) not in allowed:
            # SPEC(draw-v1 §5.4): a scalar attribute must be one of the allowed values.
            return False
    return True


_MISSING = object()


def _split_by_match(
    ids: list[str], records: list[Record], match: Sequence[tuple[str, Sequence[object]]]
) -> tuple[list[str], list[str], list[Record]]:
    """(ids the match holds for, ids and records it does not hold for), in order.

    Parallel lists, no pair per unit: a million new tuples would make the cyclic GC
    rescan every record.
    """
    if not match:
        return ids, [], []  # {} matches everything
    match_set = tuple((attr, frozenset(_value_key(v) for v in allowed)) for attr, allowed in match)
    verdicts: list[bool] = []
    if len(match_set) == 1:
        # Speed only: one attribute, and most values are a few repeated strings or
        # booleans, so the verdict of `_matches` is remembered per type and value
        # (one dict per type: True == 1, yet they are different values here).
        attribute = match_set[0][0]
        memos: dict[type, dict[object, bool]] = {str: {}, bool: {}, int: {}, type(None): {}}
        for record in records:
            value = record.get(attribute, _MISSING)
            memo = memos.get(type(value))
            if memo is None:
                verdicts.append(_matches(record, match_set))
                continue
            holds = memo.get(value)
            if holds is None:
                holds = memo[value] = _matches(record, match_set)
            verdicts.append(holds)
    else:
        verdicts = [_matches(record, match_set) for record in records]
    rest = list(map(operator.not_, verdicts))
    return (list(itertools.compress(ids, verdicts)), list(itertools.compress(ids, rest)),
            list(itertools.compress(records, rest)))


def _ranked(base: TicketHasher, ids: list[str], count: int) -> list[tuple[bytes, bytes, str]]:
    """The first `count` of (target ticket, id bytes, id) over `ids`, in ascending order.

    `base` is `TicketHasher(seed, "target")`. Same list as sorting all members
    and keeping `count` (speed only): when `count` is small, the `count`-th
    smallest ticket is found among the bare tickets, and only members with a
    ticket up to it (at least `count`, more only on equal tickets) are built
    into tuples and sorted, instead of a million tuples.
    """
    if not ids or count <= 0:
        return []
    # Identifiers are ASCII without newlines: one encode and split for all of them.
    id_bytes = "\n".join(ids).encode("ascii").split(b"\n")
    tickets = base.tickets(id_bytes)
    if count * 8 >= len(ids):
        return _first(list(zip(tickets, id_bytes, ids, strict=True)), count)
    threshold = heapq.nsmallest(count, tickets)[-1]
    members = list(itertools.compress(zip(tickets, id_bytes, ids, strict=True),
                                      map(threshold.__ge__, tickets)))
    members.sort()
    return members[:count]


_ID = operator.itemgetter("id")


def _read_records(
    records: Iterable[Record], kind: str,
) -> tuple[dict[str, Record], list[str], list[Record], list[object]]:
    """(by id, ids, records, statuses), in input order, each id checked as an identifier.

    Ids and statuses are taken in C (`map`), with no tuple per record: a million
    new containers would make the cyclic GC rescan every record several times.
    The ids are then checked with one regex and for duplicates by the dict.
    Anything unexpected (not an object, a bad or repeated id) is read record by
    record, which names the first bad record.
    """
    listed = records if isinstance(records, list) else list(records)
    try:
        ids = list(map(_ID, listed))
        # dict.get through map: half the time of a methodcaller (records that are
        # not dicts raise TypeError and are read one by one).
        statuses = list(map(dict.get, listed, itertools.repeat("status")))
    except (KeyError, TypeError, IndexError, AttributeError):
        pass
    else:
        by_id: dict[str, Record] = dict(zip(ids, listed, strict=True))
        if len(by_id) == len(listed) and all_identifiers(ids):
            return by_id, ids, listed, statuses
    return _read_records_one_by_one(listed, kind)


def _read_records_one_by_one(
    records: list[Record], kind: str,
) -> tuple[dict[str, Record], list[str], list[Record], list[object]]:
    by_id: dict[str, Record] = {}
    for i, record in enumerate(records):
        if not isinstance(record, Mapping):
            raise DrawInputError(f"{kind} record {i} is not an object")
        record_id = record.get("id")
        if not isinstance(record_id, str) or not is_identifier(record_id):
            raise DrawInputError(f"{kind} record {i}: id {record_id!r} is not an ASCII identifier")
        if record_id in by_id:
            raise DrawInputError(f"{kind}: duplicate id {record_id!r}")
        by_id[record_id] = record
    return by_id, list(by_id), records, [record.get("status") for record in records]


def _zone_brigades(spec: DrawSpec) -> dict[str, frozenset[str]]:
    """Brigade → every brigade sharing a zone with it (union over all its zones)."""
    partners: dict[str, set[str]] = {}
    for _zone, brigades in spec.zones:
        for brigade in brigades:
            partners.setdefault(brigade, set()).update(brigades)
    return {brigade: frozenset(group) for brigade, group in partners.items()}


def _in_scope(scope: str, person: Record, unit: Record,
              zone_of: Mapping[str, frozenset[str]]) -> bool:
    brigade = person.get("brigade")
    if scope == "brigade":
        return brigade == unit.get("brigade")
    if scope == "zone":
        return brigade in zone_of.get(unit.get("brigade"), frozenset())  # type: ignore[arg-type]
    return True  # detachment: everyone


class _Teams:
    """Step 7 state: duties so far, and the eligible people per role."""

    def __init__(self, spec: DrawSpec, seed: bytes, inspectors: Mapping[str, Record],
                 experts: Mapping[str, Record]) -> None:
        assert spec.teams is not None
        self.spec = spec
        self.rules = spec.teams
        self.seed = seed
        self.zone_of = _zone_brigades(spec)
        self.duties: dict[str, int] = {}
        self._pools: dict[tuple[str, str | None, object], tuple[str, ...]] = {}
        self.people: dict[str, Mapping[str, Record]] = {
            ROLE_LEAD: self._eligible_inspectors(inspectors, ROLE_LEAD),
            ROLE_ASSIST: self._eligible_inspectors(inspectors, ROLE_ASSIST),
            ROLE_EXPERT: {pid: e for pid, e in experts.items() if e.get("status") == "active"},
        }
        self.id_bytes = {pid: pid.encode("ascii") for people in self.people.values()
                         for pid in people}

    def _eligible_inspectors(
        self, inspectors: Mapping[str, Record], role: str
    ) -> dict[str, Record]:
        eligible = {}
        for pid, person in inspectors.items():
            roles = person.get("roles")
            cert = person.get("cert_valid_until")
            if (
                person.get("status") == "active"
                and isinstance(roles, list) and role in roles
                # SPEC(draw-v1 §5.7): cert_valid_until >= A.period.to (YYYY-MM-DD compares as text;
                # a missing value or one that is not a calendar date never qualifies).
                and is_calendar_date(cert) and cert >= self.spec.period_to
            ):
                eligible[pid] = person
        return eligible

    def _scope_pool(self, role: str, scope: str | None, own: object) -> tuple[str, ...]:
        """Ids of `role`'s eligible people who qualify in `scope` for a unit of brigade `own`."""
        rules = self.rules
        unit = {"brigade": own}  # the scope rules read nothing else of the unit
        return tuple(
            pid for pid, person in self.people[role].items()
            if scope is None or (
                _in_scope(scope, person, unit, self.zone_of)
                # SPEC(draw-v1 §5.7): with exclude_own_brigade the unit's own
                # brigade never qualifies, in any scope.
                and not (rules.exclude_own_brigade and person.get("brigade") == own)
            )
        )

    def _pool(self, role: str, scope: str | None, own: object) -> tuple[str, ...]:
        # Speed only: pools depend on (role, scope, unit brigade), so they are computed once.
        if not (own is None or isinstance(own, str)):
            return self._scope_pool(role, scope, own)
        key = (role, scope, own)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = self._scope_pool(role, scope, own)
        return pool

    def assign(self, unit_id: str, unit: Record) -> dict[str, Any]:
        rules = self.rules
        slots = [ROLE_LEAD] + [ROLE_ASSIST] * rules.assistants + [ROLE_EXPERT] * rules.experts
        members: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        seen_skips: set[tuple[str, str]] = set()
        unfilled: list[str] = []
        in_team: set[str] = set()
        own = unit.get("brigade")
        duties = self.duties
        id_bytes = self.id_bytes
        hashers: dict[str, TicketHasher] = {}
        tickets: dict[tuple[str, str], bytes] = {}  # (role, person_id) → ticket, for this unit
        for role in slots:
            scopes: Sequence[str | None] = [None] if role == ROLE_EXPERT else rules.scopes
            hasher = hashers.get(role)
            if hasher is None:
                hasher = hashers[role] = TicketHasher(self.seed, role, unit_id)

            def rank(pid: str, role: str = role,
                     hasher: TicketHasher = hasher) -> tuple[bytes, bytes]:
                # SPEC(draw-v1 §5.7): ticket(role, unit_id, person_id), then id.
                ticket_bytes = tickets.get((role, pid))
                if ticket_bytes is None:
                    ticket_bytes = tickets[(role, pid)] = hasher.ticket(id_bytes[pid])
                return (ticket_bytes, id_bytes[pid])

            chosen: tuple[str, str | None] | None = None
            for scope in scopes:
                candidates = [pid for pid in self._pool(role, scope, own) if pid not in in_team]
                # SPEC(draw-v1 §5.7): order by (duties, ticket, id). Taken one duty count at
                # a time, least first: the same order, and tickets only for the people met.
                for load in sorted({duties.get(pid, 0) for pid in candidates}):
                    group = [pid for pid in candidates if duties.get(pid, 0) == load]
                    group.sort(key=rank)
                    for pid in group:
                        if (pid, unit_id) in self.spec.recusals:
                            # SPEC(draw-v1 §5.7): a recused candidate is passed over and listed
                            # once per unit and role, in the order met.
                            if (role, pid) not in seen_skips:
                                seen_skips.add((role, pid))
                                skipped.append(
                                    {"role": role, "person_id": pid, "reason": "recusal"})
                            continue
                        chosen = (pid, scope)
                        break
                    if chosen is not None:
                        break
                if chosen is not None:
                    break
            if chosen is None:
                unfilled.append(role)  # SPEC(draw-v1 §5.7): never a silent relaxation.
                continue
            pid, scope = chosen
            in_team.add(pid)
            self.duties[pid] = self.duties.get(pid, 0) + 1
            members.append({"role": role, "person_id": pid, "scope": scope})
        return {"members": members, "skipped": skipped, "unfilled": unfilled}


def _pool_strata(spec: DrawSpec, unit_ids: list[str], unit_records: list[Record],
                 statuses: list[object]) -> tuple[list[list[str]], int]:
    """Steps 3-4: the ids of each stratum's members (in record order), and the unmatched count."""
    # SPEC(draw-v1 §5.3): pool = active units not excluded.
    exclusions = spec.exclusions
    active: list[bool] = list(map(operator.eq, statuses, itertools.repeat("active")))
    if exclusions:
        active = [a and i not in exclusions for a, i in zip(active, unit_ids, strict=True)]
    # SPEC(draw-v1 §5.4): a unit joins the FIRST stratum whose match holds. Taking the
    # strata in order, each keeps the units it matches out of those still unplaced:
    # the same assignment as testing each unit against the strata in order. Until a
    # stratum has a non-empty match the pool stays a list of ids (no pair per unit).
    pool_ids = list(itertools.compress(unit_ids, active))
    remaining: tuple[list[str], list[Record]] | None = None
    stratum_ids: list[list[str]] = []
    for stratum in spec.strata:
        if remaining is None and not stratum.match:
            chosen, remaining = pool_ids, ([], [])  # {} matches everything
        else:
            if remaining is None:
                remaining = (pool_ids, list(itertools.compress(unit_records, active)))
            chosen, rest_ids, rest_records = _split_by_match(*remaining, stratum.match)
            remaining = (rest_ids, rest_records)
        stratum_ids.append(chosen)
    # SPEC(draw-v1 §5.4): units matching no stratum are counted, not drawn.
    return stratum_ids, len(pool_ids) if remaining is None else len(remaining[0])


def strata_pools(announce: Mapping[str, Any],
                 units: Iterable[Record]) -> tuple[list[list[str]], int]:
    """Draw-v1 steps 3-4 alone (compute_draw's own code): each stratum's member ids, in
    `announce.strata` order, and the number of pool units matching no stratum."""
    spec = parse_announce(announce)
    _by_id, unit_ids, unit_records, statuses = _read_records(units, "units")
    return _pool_strata(spec, unit_ids, unit_records, statuses)


def compute_draw(
    announce: Mapping[str, Any],
    units: Iterable[Record],
    randomness: bytes,
    *,
    inspectors: Iterable[Record] = (),
    experts: Iterable[Record] = (),
) -> dict[str, Any]:
    """Run draw-v1 and return the computed part of the result (§5 step 8)."""
    spec = parse_announce(announce)
    unit_by_id, unit_ids, unit_records, statuses = _read_records(units, "units")
    inspector_by_id = _read_records(inspectors, "inspectors")[0]
    expert_by_id = _read_records(experts, "experts")[0]
    # SPEC(draw-v1 §5.7): inspector and expert ids MUST be distinct.
    shared = sorted(set(inspector_by_id) & set(expert_by_id))
    if shared:
        raise DrawInputError(f"ids used by both an inspector and an expert: {', '.join(shared)}")
    seed = derive_seed(spec_hash(announce), randomness)

    stratum_ids, unmatched = _pool_strata(spec, unit_ids, unit_records, statuses)
    base = TicketHasher(seed, "target")

    strata_out: list[dict[str, Any]] = []
    selected: list[dict[str, Any]] = []
    for stratum, ids in zip(spec.strata, stratum_ids, strict=True):
        n = len(ids)
        k = stratum.quota.size(n)
        # SPEC(draw-v1 §5.6): ascending ticket, ties by id byte order; k selected, then r reserve.
        ranked = _ranked(base, ids, k + stratum.quota.reserve)
        reserve = [uid for _t, _b, uid in ranked[k:]]
        strata_out.append({"name": stratum.name, "n": n, "k": k, "reserve": reserve})
        selected.extend(
            {"unit_id": uid, "stratum": stratum.name, "rank": rank, "ticket": t.hex()}
            for rank, (t, _b, uid) in enumerate(ranked[:k], start=1)
        )

    if spec.teams is not None:
        teams = _Teams(spec, seed, inspector_by_id, expert_by_id)
        # SPEC(draw-v1 §5.7): walk ALL selected units in ascending target-ticket order.
        for entry in sorted(selected, key=lambda e: (e["ticket"], e["unit_id"].encode("ascii"))):
            entry["team"] = teams.assign(entry["unit_id"], unit_by_id[entry["unit_id"]])

    return {"seed": seed.hex(), "strata": strata_out, "unmatched": unmatched,
            "selected": selected}


def parse_randomness(text: str) -> bytes:
    """Beacon randomness as given on a command line: non-empty lowercase hex, even length."""
    if not text or len(text) % 2 or any(c not in "0123456789abcdef" for c in text):
        raise DrawInputError(f"randomness must be non-empty lowercase hex, got {text!r}")
    if len(text) > 1024:
        raise DrawInputError("randomness is longer than 512 bytes")
    return bytes.fromhex(text)
