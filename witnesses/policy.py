"""Witness policy: which cosignatures a checkpoint needs (subset of C2SP tlog-policy).

Text format (c2sp.org/tlog-policy, C2SP commit bdd4bab6), one item per line,
items separated by spaces/tabs, `#` starts a comment line:

    log <vkey> [<url>]                       # log key (type 0x01); optional
    witness <name> <vkey> [<url>]            # cosigner key (type 0x04)
    group <name> all|any|<k> <member>...     # k of n members, 1 <= k <= n
    quorum <name>|none                       # exactly one

Names are defined before use, share one namespace, `none` is reserved; a
member appears at most once per group; no two logs/witnesses share a key.
The same policy can be loaded from the JSON shape the browser reads
(`policy_from_json`, docs/spec/witness.md §5).

Subset, on purpose: names and URLs must be UTF-8 (the spec treats high-bit
octets as opaque); at most 64 logs, 64 witnesses, 64 groups (the spec asks
for at least 32); only Ed25519 cosignature/v1 witnesses.

The JSON shape (trust.json) is stricter than the text: names are
`[A-Za-z0-9._:/-]{1,128}`, unknown fields are refused, `k` is an integer and
quorum `none` is refused (a verifier's policy needs witnesses).

Evaluation (`Policy.check`): every line of a policy witness's (name, key id) is
verified, repeats too, and a bad one rejects the whole note (as signed-note
says for known keys); per witness its EARLIEST verified timestamp counts, and
(with `not_after`) only if no later than that bound. Pure: no clock, no I/O.
The browser's policy.js holds the same rules (tests/vectors/adversarial/).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from transparency.checkpoint import open_checkpoint
from transparency.errors import FormatError
from transparency.note import Note, parse_note
from transparency.note_keys import parse_verifier_key
from witnesses.cosignature import (
    Cosignature,
    CosignerKey,
    cosigner_key_from_ed25519_vkey,
    parse_cosigner_key,
    timestamp_from_signature,
)
from witnesses.errors import (
    CosignatureFormatError,
    CosignatureVerificationError,
    PolicyFormatError,
    PolicyNotMetError,
)

MAX_ITEMS = 64
MAX_POLICY_SIZE = 64 * 1024
NONE = "none"
_K = re.compile(r"[1-9][0-9]{0,2}")
_WS = re.compile(r"[ \t]+")
_JSON_NAME = re.compile(r"[A-Za-z0-9._:/-]{1,128}")


@dataclass(frozen=True)
class PolicyLog:
    vkey: str
    url: str | None = None


@dataclass(frozen=True)
class PolicyWitness:
    name: str
    key: CosignerKey
    url: str | None = None


@dataclass(frozen=True)
class PolicyGroup:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class CountedCosignature:
    """A verified cosignature that counts toward the policy."""

    witness: str  # the policy's name for the witness
    vkey: str
    timestamp: int
    line: str


@dataclass(frozen=True)
class PolicyResult:
    counted: tuple[CountedCosignature, ...]

    @property
    def witnesses(self) -> tuple[str, ...]:
        return tuple(c.witness for c in self.counted)

    @property
    def earliest_timestamp(self) -> int | None:
        return min((c.timestamp for c in self.counted), default=None)


@dataclass(frozen=True)
class Policy:
    logs: tuple[PolicyLog, ...]
    witnesses: tuple[PolicyWitness, ...]
    groups: tuple[PolicyGroup, ...]
    quorum: str

    def __post_init__(self) -> None:
        _validate(self)

    def witness(self, name: str) -> PolicyWitness:
        for w in self.witnesses:
            if w.name == name:
                return w
        raise KeyError(name)

    def satisfied_by(self, names: set[str]) -> bool:
        """Does cosigning by exactly the witnesses `names` meet the quorum?"""
        groups = {g.name: g for g in self.groups}

        def holds(name: str) -> bool:
            group = groups.get(name)
            if group is None:
                return name in names
            return sum(holds(m) for m in group.members) >= group.threshold

        return self.quorum == NONE or holds(self.quorum)

    def check(self, note: bytes, *, not_after: int | None = None) -> PolicyResult:
        return check(note, self, not_after=not_after)


def _validate(p: Policy) -> None:
    if len(p.logs) > MAX_ITEMS or len(p.witnesses) > MAX_ITEMS or len(p.groups) > MAX_ITEMS:
        raise PolicyFormatError(f"a policy holds at most {MAX_ITEMS} logs, witnesses and groups")
    log_keys = [parse_verifier_key(log.vkey).public_key for log in p.logs]
    if len(set(log_keys)) != len(log_keys):
        # SPEC(tlog-policy): duplicate logs (same public key) are not allowed.
        raise PolicyFormatError("two log lines have the same public key")
    w_keys = [w.key.public_key for w in p.witnesses]
    if len(set(w_keys)) != len(w_keys):
        # SPEC(tlog-policy): duplicate witnesses (same public key) are not allowed.
        raise PolicyFormatError("two witness lines have the same public key")
    defined: set[str] = set()
    for w in p.witnesses:
        _define(w.name, defined)
    witness_names = set(defined)
    defined = set(witness_names)
    for g in p.groups:
        # SPEC(tlog-policy): a group references only names defined on preceding lines,
        # lists each at most once, n >= 1 and 1 <= k <= n.
        if not g.members:
            raise PolicyFormatError(f"group {g.name!r} has no members")
        if len(set(g.members)) != len(g.members):
            raise PolicyFormatError(f"group {g.name!r} lists a member twice")
        for m in g.members:
            if m == NONE or m not in defined:
                raise PolicyFormatError(f"group {g.name!r} references undefined name {m!r}")
        if not 1 <= g.threshold <= len(g.members):
            raise PolicyFormatError(
                f"group {g.name!r}: threshold {g.threshold} is not in 1..{len(g.members)}"
            )
        _define(g.name, defined)
    if p.quorum != NONE and p.quorum not in defined:
        raise PolicyFormatError(f"quorum references undefined name {p.quorum!r}")


def _define(name: str, defined: set[str]) -> None:
    if not name or name == NONE or any(c in " \t\n" for c in name):
        raise PolicyFormatError(f"invalid name {name!r}")
    if name in defined:
        # SPEC(tlog-policy): witnesses and groups share a single namespace.
        raise PolicyFormatError(f"name {name!r} is defined twice")
    defined.add(name)


def _witness_key(vkey: str, where: str) -> CosignerKey:
    try:
        # SPEC(tlog-policy): witness keys must use signature type 0x04.
        return parse_cosigner_key(vkey)
    except CosignatureFormatError as e:
        raise PolicyFormatError(f"{where}: {e}") from e


def _log_vkey(vkey: str, where: str) -> str:
    try:
        v = parse_verifier_key(vkey)
    except FormatError as e:
        raise PolicyFormatError(f"{where}: {e}") from e
    if v.sig_type != 0x01:
        # SPEC(tlog-policy): log keys must use signature type 0x01 (Ed25519).
        raise PolicyFormatError(f"{where}: log keys must be Ed25519 (type 0x01)")
    return vkey


def parse_policy(text: str | bytes) -> Policy:
    """Parse the tlog-policy text format; PolicyFormatError names the line and the problem."""
    if isinstance(text, bytes):
        if len(text) > MAX_POLICY_SIZE:
            raise PolicyFormatError(f"policy is larger than {MAX_POLICY_SIZE} bytes")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise PolicyFormatError("policy is not UTF-8") from e
    if len(text) > MAX_POLICY_SIZE:
        raise PolicyFormatError(f"policy is larger than {MAX_POLICY_SIZE} characters")
    logs: list[PolicyLog] = []
    witnesses: list[PolicyWitness] = []
    groups: list[PolicyGroup] = []
    quorum: str | None = None
    for number, raw in enumerate(text.split("\n"), start=1):
        where = f"line {number}"
        # SPEC(tlog-policy): the only control characters allowed are tab and newline.
        if any((ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F for c in raw):
            raise PolicyFormatError(f"{where}: control character")
        items = [i for i in _WS.split(raw) if i]
        if not items or items[0].startswith("#"):
            continue
        kind, args = items[0], items[1:]
        if kind == "log" and len(args) in (1, 2):
            logs.append(PolicyLog(_log_vkey(args[0], where), args[1] if len(args) == 2 else None))
        elif kind == "witness" and len(args) in (2, 3):
            key = _witness_key(args[1], where)
            witnesses.append(PolicyWitness(args[0], key, args[2] if len(args) == 3 else None))
        elif kind == "group" and len(args) >= 3:
            name, k, members = args[0], args[1], tuple(args[2:])
            groups.append(PolicyGroup(name, _threshold(k, len(members), where), members))
        elif kind == "quorum" and len(args) == 1:
            if quorum is not None:
                raise PolicyFormatError(f"{where}: a policy has exactly one quorum line")
            quorum = args[0]
        else:
            raise PolicyFormatError(f"{where}: cannot parse {raw.strip()[:80]!r}")
    if quorum is None:
        raise PolicyFormatError("policy has no quorum line")
    return Policy(tuple(logs), tuple(witnesses), tuple(groups), quorum)


def _threshold(k: str | int, n: int, where: str) -> int:
    if k == "all":
        return n
    if k == "any":
        return 1
    if isinstance(k, int) and not isinstance(k, bool):
        return k
    if isinstance(k, str) and _K.fullmatch(k):
        return int(k)
    raise PolicyFormatError(f"{where}: threshold {k!r} is not all, any or a decimal k")


def format_policy(policy: Policy) -> str:
    out = [f"log {log.vkey}" + (f" {log.url}" if log.url else "") for log in policy.logs]
    out += [
        f"witness {w.name} {w.key.vkey}" + (f" {w.url}" if w.url else "")
        for w in policy.witnesses
    ]
    out += [f"group {g.name} {g.threshold} {' '.join(g.members)}" for g in policy.groups]
    out.append(f"quorum {policy.quorum}")
    return "\n".join(out) + "\n"


def policy_from_json(obj: Mapping[str, Any]) -> Policy:
    """Load a policy from JSON: the `witness_policy` object of the portal's trust.json
    (docs/spec/portal-js.md) or the same with `logs` (docs/spec/witness.md §5):

    {"logs"?: [{"vkey", "url"?}], "witnesses": [{"name", "vkey", "url"?}],
     "groups": [{"name", "k": k | "threshold": k|"all"|"any", "members": [...]}],
     "quorum": name}

    As in portal-js, a witness vkey of type 0x01 is converted to the cosignature/v1
    key of the same Ed25519 key (Armored Witnesses publish theirs that way)."""
    if not isinstance(obj, Mapping):
        raise PolicyFormatError("policy JSON must be an object")
    _no_unknown(obj, {"logs", "witnesses", "groups", "quorum"}, "policy JSON")

    def items(key: str, fields: set[str]) -> Sequence[Mapping[str, Any]]:
        value = obj.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise PolicyFormatError(f"policy JSON {key!r} must be a list of objects")
        if len(value) > MAX_ITEMS:
            raise PolicyFormatError(f"policy JSON {key!r} holds more than {MAX_ITEMS} items")
        for n, item in enumerate(value):
            _no_unknown(item, fields, f"{key}[{n}]")
        return value

    def text(item: Mapping[str, Any], key: str, where: str, optional: bool = False) -> Any:
        value = item.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value:
            raise PolicyFormatError(f"{where}: {key!r} must be a non-empty string")
        return value

    logs = [
        PolicyLog(
            _log_vkey(text(i, "vkey", f"logs[{n}]"), f"logs[{n}]"),
            text(i, "url", f"logs[{n}]", True),
        )
        for n, i in enumerate(items("logs", {"vkey", "url"}))
    ]
    witnesses = [
        PolicyWitness(
            _json_name(text(i, "name", f"witnesses[{n}]"), f"witnesses[{n}]"),
            _json_witness_key(text(i, "vkey", f"witnesses[{n}]"), f"witnesses[{n}]"),
            text(i, "url", f"witnesses[{n}]", True),
        )
        for n, i in enumerate(items("witnesses", {"name", "vkey", "url"}))
    ]
    groups = []
    for n, g in enumerate(items("groups", {"name", "k", "threshold", "members"})):
        where = f"groups[{n}]"
        members = g.get("members")
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise PolicyFormatError(f"{where}: 'members' must be a list of names")
        if ("k" in g) == ("threshold" in g):
            raise PolicyFormatError(f"{where}: give exactly one of 'k' and 'threshold'")
        threshold = g["k"] if "k" in g else g["threshold"]
        # In JSON k is an integer; only 'threshold' may also say "all" or "any".
        word = "threshold" in g and threshold in ("all", "any")
        if not word and (not isinstance(threshold, int) or isinstance(threshold, bool)):
            raise PolicyFormatError(
                f"{where}: k must be an integer (threshold: an integer, 'all' or 'any'), "
                f"got {threshold!r}"
            )
        name = _json_name(text(g, "name", where), where)
        groups.append(PolicyGroup(name, _threshold(threshold, len(members), where), tuple(members)))
    quorum = obj.get("quorum")
    if not isinstance(quorum, str):
        raise PolicyFormatError("policy JSON needs a 'quorum' name")
    if quorum == NONE:
        # SPEC(portal-js §Policy): a verifier's policy names a group or witness. Quorum
        # "none" (tlog-policy allows it) would let the log alone prove a commitment.
        raise PolicyFormatError("policy JSON quorum 'none' is refused: a verifier needs witnesses")
    return Policy(tuple(logs), tuple(witnesses), tuple(groups), quorum)


def _no_unknown(item: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(item) - allowed
    if unknown:
        raise PolicyFormatError(f"{where} has unknown fields {sorted(unknown)}")


def _json_name(name: str, where: str) -> str:
    # SPEC(portal-js §Policy): names are local labels [A-Za-z0-9._:/-]{1,128}; "none" is
    # reserved (tlog-policy).
    if not _JSON_NAME.fullmatch(name) or name == NONE:
        raise PolicyFormatError(f"{where}: name {name!r} is not [A-Za-z0-9._:/-]{{1,128}}")
    return name


def _json_witness_key(vkey: str, where: str) -> CosignerKey:
    try:
        if parse_verifier_key(vkey).sig_type == 0x01:
            return cosigner_key_from_ed25519_vkey(vkey)
    except (FormatError, CosignatureFormatError) as e:
        raise PolicyFormatError(f"{where}: {e}") from e
    return _witness_key(vkey, where)


def policy_from_trust_json(trust: Mapping[str, Any]) -> Policy:
    """The policy of a portal trust.json: `witness_policy`, with the log key(s) of `log`
    (`vkey` or `vkeys`) as the policy's logs."""
    wp = trust.get("witness_policy")
    log = trust.get("log")
    if not isinstance(wp, Mapping) or not isinstance(log, Mapping):
        raise PolicyFormatError("trust.json needs 'log' and 'witness_policy' objects")
    vkeys = log.get("vkeys", [log.get("vkey")])
    if not isinstance(vkeys, list) or not all(isinstance(v, str) for v in vkeys):
        raise PolicyFormatError("trust.json 'log' needs 'vkey' or a 'vkeys' list")
    return policy_from_json({**wp, "logs": [{"vkey": v} for v in vkeys]})


def policy_to_json(policy: Policy) -> dict[str, Any]:
    def opt(url: str | None) -> dict[str, str]:
        return {"url": url} if url else {}

    return {
        "logs": [{"vkey": log.vkey, **opt(log.url)} for log in policy.logs],
        "witnesses": [
            {"name": w.name, "vkey": w.key.vkey, **opt(w.url)} for w in policy.witnesses
        ],
        "groups": [
            {"name": g.name, "k": g.threshold, "members": list(g.members)}
            for g in policy.groups
        ],
        "quorum": policy.quorum,
    }


def counted_cosignatures(
    note: bytes | Note, policy: Policy, *, not_after: int | None = None
) -> tuple[CountedCosignature, ...]:
    """One verified cosignature per policy witness (in the order of each witness's first
    line): the one with the witness's EARLIEST timestamp; left out when that is after
    `not_after`. Every line of a policy witness is verified, repeats too.

    Raises CosignatureVerificationError if a line from a policy witness's key does
    not verify (the whole note is then suspect), FormatError if the note is malformed."""
    parsed = note if isinstance(note, Note) else parse_note(note)
    by_id = {(w.key.name, w.key.key_id): w for w in policy.witnesses}
    earliest: dict[str, CountedCosignature] = {}  # witness -> earliest, in first-seen order
    for sig in parsed.signatures:
        w = by_id.get((sig.name, sig.key_id))
        if w is None:
            continue  # SPEC(signed-note): unknown (name, key ID) MUST be ignored.
        try:
            cosig = Cosignature(
                sig.name, sig.key_id, timestamp_from_signature(sig.signature), sig.signature[8:]
            )
        except CosignatureFormatError as e:
            raise CosignatureVerificationError(
                f"malformed cosignature: {e}", name=sig.name, key_id=sig.key_id
            ) from e
        # SPEC(signed-note): every line of a known key MUST verify, a repeat too.
        timestamp = w.key.check(parsed.text, cosig)
        # A witness that cosigned twice said so at both times: its earliest statement
        # counts, whatever the line order (docs/spec/witness.md §5).
        if w.name not in earliest or timestamp < earliest[w.name].timestamp:
            earliest[w.name] = CountedCosignature(w.name, w.key.vkey, timestamp, sig.format_line())
    return tuple(
        c for c in earliest.values() if not_after is None or c.timestamp <= not_after
    )


def check(note: bytes, policy: Policy, *, not_after: int | None = None) -> PolicyResult:
    """Raise PolicyNotMetError unless the note's cosignatures meet the policy's quorum.

    If the policy lists logs, the note must also carry a valid signature of one of
    them (SignatureError otherwise). With `not_after`, only cosignatures
    timestamped at or before it count (e.g. round R's time minus a margin)."""
    if policy.logs:
        open_checkpoint(note, [log.vkey for log in policy.logs])
    counted = counted_cosignatures(note, policy, not_after=not_after)
    names = {c.witness for c in counted}
    if not policy.satisfied_by(names):
        reasons = {}
        all_valid = {c.witness for c in counted_cosignatures(note, policy)}
        for w in policy.witnesses:
            if w.name in names:
                continue
            if w.name in all_valid:
                reasons[w.name] = f"cosignature is timestamped after {not_after}"
            else:
                reasons[w.name] = "no cosignature"
        raise PolicyNotMetError(
            f"quorum {policy.quorum!r} is not met", counted=tuple(sorted(names)), reasons=reasons
        )
    return PolicyResult(counted)
