"""A naive draw-v1 reference, written from DESIGN.md §5 and docs/spec/draw-v1.md "Rules".

Plain loops over plain dicts, no speed tricks: every ticket is hashed from the
JCS bytes of its parts (the `rfc8785` package, not draw_engine.canonical), every
stratum is sorted whole, every slot walks every person of its snapshot. It is
here to cross-check `draw_engine.select.compute_draw` (tests/reference/
test_draw_v1.py), the way tests/transparency/naive.py checks transparency.merkle.
It assumes a well-formed announce and records (refusing malformed input is the
real implementation's job, tested there); the one input rule it does enforce is
that inspector and expert ids are distinct (rule 7).
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import rfc8785

Record = Mapping[str, Any]

SEED_LABEL = b"fairdraw/draw-v1/seed"


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON (rule 0)."""
    return rfc8785.dumps(value)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def same_json(a: Any, b: Any) -> bool:
    """JSON equality with types (rule 4): true is not 1, "1" is not 1, null only null."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        return all(same_json(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False
        return all(same_json(a[key], b[key]) for key in a)
    return False


def matches(match: Mapping[str, list[Any]], record: Record) -> bool:
    """Rule 4: every named attribute holds (AND); `{}` always holds."""
    for attribute, allowed in match.items():
        if attribute not in record:
            return False
        value = record[attribute]
        found = False
        if isinstance(value, list):
            for item in value:
                for want in allowed:
                    if same_json(item, want):
                        found = True
        else:
            for want in allowed:
                if same_json(value, want):
                    found = True
        if not found:
            return False
    return True


def quota(q: Mapping[str, Any], n: int) -> tuple[int, int]:
    """Rule 5: (k, reserve size) for a stratum of n units."""
    if "ratio" in q:
        p_text, q_text = q["ratio"].split("/")
        p, d = int(p_text), int(q_text)
        k = (n * p + d - 1) // d  # ceil(n·p/d) for non-negative integers
    elif "count" in q:
        k = q["count"] if q["count"] < n else n
    else:
        k = n
    if "min" in q:
        m = q["min"] if q["min"] < n else n
        if m > k:
            k = m
    r = q.get("reserve", 0)
    if r > n - k:
        r = n - k
    return k, r


def is_calendar_date(text: Any) -> bool:
    """YYYY-MM-DD naming a real day of a year 0001-9999."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    try:
        datetime.date(int(text[0:4]), int(text[5:7]), int(text[8:10]))
    except ValueError:
        return False
    return True


def compute(
    announce: Mapping[str, Any],
    units: Sequence[Record],
    randomness: bytes,
    inspectors: Sequence[Record] = (),
    experts: Sequence[Record] = (),
) -> dict[str, Any]:
    """The computed part of draw.result (rule 8) for `announce` over these records."""
    # Rule 1.
    spec_hash = sha256(jcs(announce))
    seed = sha256(SEED_LABEL + b"\x00" + spec_hash + randomness)

    # Rule 2.
    def ticket(*parts: str) -> bytes:
        return sha256(seed + jcs(list(parts)))

    def order_key(digest: bytes, ident: str) -> tuple[int, bytes]:
        return int.from_bytes(digest, "big"), ident.encode()

    # Rule 3.
    excluded = [e["unit_id"] for e in announce.get("exclusions", [])]
    pool = []
    for unit in units:
        if unit.get("status") == "active" and unit["id"] not in excluded:
            pool.append(unit)

    # Rule 4.
    strata = announce["strata"]
    members: list[list[Record]] = [[] for _ in strata]
    unmatched = 0
    for unit in pool:
        placed = False
        for i, stratum in enumerate(strata):
            if matches(stratum["match"], unit):
                members[i].append(unit)
                placed = True
                break
        if not placed:
            unmatched += 1

    # Rules 5 and 6.
    target: dict[str, bytes] = {}
    for unit in pool:
        target[unit["id"]] = ticket("target", unit["id"])
    out_strata = []
    selected = []
    for i, stratum in enumerate(strata):
        ranked = sorted(members[i], key=lambda u: order_key(target[u["id"]], u["id"]))
        n = len(ranked)
        k, r = quota(stratum["quota"], n)
        for rank in range(1, k + 1):
            unit = ranked[rank - 1]
            selected.append({"unit_id": unit["id"], "stratum": stratum["name"], "rank": rank,
                             "ticket": target[unit["id"]].hex(), "_unit": unit})
        reserve = [ranked[j]["id"] for j in range(k, k + r)]
        out_strata.append({"name": stratum["name"], "n": n, "k": k, "reserve": reserve})

    # Rule 7.
    if "teams" in announce:
        teams = _teams(announce, inspectors, experts, selected, ticket, order_key)
        for entry in selected:
            entry["team"] = teams[entry["unit_id"]]
    for entry in selected:
        del entry["_unit"]
    return {"seed": seed.hex(), "strata": out_strata, "unmatched": unmatched,
            "selected": selected}


def _teams(announce: Mapping[str, Any], inspectors: Sequence[Record],
           experts: Sequence[Record], selected: list[dict[str, Any]], ticket: Any,
           order_key: Any) -> dict[str, dict[str, Any]]:
    ids = [p["id"] for p in inspectors] + [p["id"] for p in experts]
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            if a == b:
                raise ValueError(f"person id {a} appears twice among inspectors and experts")
    rules = announce["teams"]
    slots = (["lead"] + ["assist"] * rules.get("assistants", 1)
             + ["expert"] * rules.get("experts", 0))
    scopes = rules.get("scopes", ["detachment"])
    exclude_own = rules.get("exclude_own_brigade", False)
    zones = announce.get("zones", {})
    recusals = announce.get("recusals", [])
    period_to = announce["period"]["to"]
    duties: dict[str, int] = {}

    def eligible(person: Record, role: str) -> bool:
        if person.get("status") != "active":
            return False
        if role == "expert":
            return True
        if role not in person.get("roles", []):
            return False
        cert = person.get("cert_valid_until")
        return is_calendar_date(cert) and cert >= period_to

    def in_scope(person: Record, unit: Record, scope: str) -> bool:
        brigade = person.get("brigade")
        if exclude_own and brigade == unit["brigade"]:
            return False
        if scope == "brigade":
            return brigade == unit["brigade"]
        if scope == "zone":
            for zone_brigades in zones.values():
                if unit["brigade"] in zone_brigades and brigade in zone_brigades:
                    return True
            return False
        return True  # detachment

    walk = sorted(selected, key=lambda s: order_key(bytes.fromhex(s["ticket"]), s["unit_id"]))
    result: dict[str, dict[str, Any]] = {}
    for entry in walk:
        unit = entry["_unit"]
        unit_id = unit["id"]
        team_ids: list[str] = []
        members: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        unfilled: list[str] = []
        for role in slots:
            people = experts if role == "expert" else inspectors
            tries: list[str | None] = [None] if role == "expert" else list(scopes)
            chosen: Record | None = None
            chosen_scope: str | None = None
            for scope in tries:
                candidates = []
                for person in people:
                    if not eligible(person, role) or person["id"] in team_ids:
                        continue
                    if scope is not None and not in_scope(person, unit, scope):
                        continue
                    candidates.append(person)
                candidates.sort(key=lambda p: (duties.get(p["id"], 0),
                                               *order_key(ticket(role, unit_id, p["id"]),
                                                          p["id"])))
                for person in candidates:
                    if [person["id"], unit_id] in recusals:
                        listed = False
                        for s in skipped:
                            if s["role"] == role and s["person_id"] == person["id"]:
                                listed = True
                        if not listed:
                            skipped.append({"role": role, "person_id": person["id"],
                                            "reason": "recusal"})
                        continue
                    chosen, chosen_scope = person, scope
                    break
                if chosen is not None:
                    break
            if chosen is None:
                unfilled.append(role)
            else:
                members.append({"role": role, "person_id": chosen["id"], "scope": chosen_scope})
                team_ids.append(chosen["id"])
                duties[chosen["id"]] = duties.get(chosen["id"], 0) + 1
        result[unit_id] = {"members": members, "skipped": skipped, "unfilled": unfilled}
    return result
