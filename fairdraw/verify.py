"""The draw checklist in Python: the same checks, names and verdicts as the browser.

Spec: docs/spec/verification.md (what a verifier believes: only entries proven
against the co-signed checkpoint and keys pinned in code or compared by a
person) and docs/spec/portal-js.md "Checks" (the JS `verifyDraw` in
public_portal/static/js/verify-draw.js is the other implementation). Check
names, in order, one small function each below:

    checkpoint-signature, witness-cosignatures, checkpoint-freshness,
    announce-inclusion, draw-history, result-inclusion, single-result,
    snapshot-roots, beacon-identity, beacon-signature, commitment-timing,
    recompute

The draw's announce, result and cancels are never taken from navigation
files: every entry of the log is read from its bundle, the bundles are hashed
to the checkpoint root (`TileReader.all_entries`), parsed with the one entry
model (`draw_engine.entries`) and the draw's history is derived from them
(`draw_engine.history`). The co-signed checkpoints the portal publishes feed
the timing rules; each is verified (log key, consistency with the current
tree) before its quorum time counts.

Each check is "pass", "fail" or "skipped" (an input failed earlier, a snapshot
published only after the inspections, a draw with no result yet). Verdict:
"fail" if any check failed, else "pending" if any was skipped, else "pass". A
failed check records the error's message (for a history rule, "<rule>:
message") and its evidence. The report types live in `fairdraw.report`,
trust.json in `fairdraw.trust`, reading one draw's inputs from a portal in
`fairdraw.portal_inputs`.
Left out: rollback protection across runs (`fairdraw.clientstate`), the
whole-log checks (`fairdraw.audit`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from draw_engine.beacon import (
    ChainInfo,
    check_chain_identity,
    key_fingerprint,
    parse_beacon_json,
    round_time,
)
from draw_engine.canonical import canonical_json
from draw_engine.drand import verify_beacon
from draw_engine.entries import (
    SNAPSHOT,
    SnapshotRef,
    announce_round_time,
    entry_type,
    format_utc,
    parse_entry,
    parse_utc_seconds,
)
from draw_engine.errors import EntryError
from draw_engine.history import (
    CheckpointTime,
    DrawHistory,
    check_announce,
    check_history,
    check_outcomes,
    check_results,
    draw_history,
    quorum_time,
)
from draw_engine.select import compute_draw, spec_hash
from draw_engine.snapshot import check_root, parse_records
from fairdraw.errors import FairdrawError
from fairdraw.portal_source import MAX_SNAPSHOT_SIZE, TileReader
from fairdraw.report import (
    CHECK_ERRORS,
    FAIL,
    PASS,
    PENDING,
    SKIPPED,
    Check,
    CheckFailedError,
    DrawReport,
    evidence_of,
)
from fairdraw.trust import Trust, open_log_checkpoint
from transparency.checkpoint import Checkpoint, open_checkpoint
from transparency.merkle import verify_consistency
from witnesses.policy import Policy, check, counted_cosignatures

CHECKS = (
    "checkpoint-signature",
    "witness-cosignatures",
    "checkpoint-freshness",
    "announce-inclusion",
    "draw-history",
    "result-inclusion",
    "single-result",
    "snapshot-roots",
    "beacon-identity",
    "beacon-signature",
    "commitment-timing",
    "recompute",
)
SNAPSHOT_KINDS = ("units", "inspectors", "experts")
DEFAULT_MAX_AGE = 24 * 3600
"""checkpoint-freshness: the newest quorum of co-signatures may be this old (seconds)."""
OFFLINE_FRESHNESS = "offline bundle: freshness not checked"

__all__ = [
    "CHECKS",
    "DEFAULT_MAX_AGE",
    "DrawInputs",
    "ProvenLog",
    "check_consistent",
    "check_freshness",
    "checkpoint_times",
    "expected_result_entry",
    "newest_quorum_time",
    "parse_entry",
    "parse_snapshot_file",
    "parse_utc_seconds",
    "prove_log",
    "verify_draw",
]


# -- helpers shared with the audit ------------------------------------------------------


def parse_snapshot_file(data: bytes) -> list[dict[str, Any]]:
    """SPEC(DESIGN §4): one canonical record per line, sorted by id, unique, "\\n"-terminated."""
    try:
        parsed = parse_records(data, max_size=MAX_SNAPSHOT_SIZE)
    except ValueError as e:
        raise CheckFailedError(f"snapshot file: {e}") from e
    if not parsed.canonical:
        raise CheckFailedError("snapshot file is not canonical sorted JSON Lines")
    return parsed.records


def expected_result_entry(  # noqa: PLR0917 (mirrors the JS expectedResultEntry)
    announce: Mapping[str, Any],
    announce_index: int,
    beacon: Mapping[str, Any],
    randomness: bytes,
    computed: Mapping[str, Any],
    chained: bool,
) -> dict[str, Any]:
    """The draw.result entry the log must hold (portal-js `recompute`, DESIGN §4 Entries)."""
    b: dict[str, Any] = {
        "round": beacon["round"],
        "signature": beacon["signature"],
        "randomness": randomness.hex(),
    }
    if chained:
        b["previous_signature"] = beacon.get("previous_signature")
    return {
        "type": "draw.result",
        "v": 1,
        "draw_id": announce["draw_id"],
        "announce_index": announce_index,
        "spec_hash": spec_hash(announce).hex(),
        "beacon": b,
        **computed,
    }


def check_consistent(reader: TileReader, current_root: bytes, previous: Checkpoint) -> None:
    """An earlier checkpoint (size, root) is a prefix of the reader's tree (proof from tiles)."""
    if previous.tree_size > reader.tree_size:
        raise CheckFailedError(
            f"the log shrank: saw size {previous.tree_size}, now {reader.tree_size}",
            size1=previous.tree_size,
            size2=reader.tree_size,
        )
    if previous.tree_size == reader.tree_size:
        if previous.root_hash != current_root:
            raise CheckFailedError(
                "same tree size, different root: the log forked",
                expected=previous.root_hash,
                computed=current_root,
            )
        return
    if previous.tree_size == 0:
        return
    verify_consistency(
        previous.tree_size,
        reader.tree_size,
        reader.consistency_proof(previous.tree_size),
        previous.root_hash,
        current_root,
    )


@dataclass(frozen=True)
class ProvenLog:
    """Every entry of the log at one checkpoint, proven to its root and parsed.

    `entries[i]` is the parsed entry object, or None for bytes that are not an
    entry (`bad[i]` says why: the audit reports them as `entry-format`)."""

    tree_size: int
    raw: tuple[bytes, ...]
    entries: tuple[dict[str, Any] | None, ...]
    bad: Mapping[int, str]


def prove_log(reader: TileReader, root: bytes) -> ProvenLog:
    """SPEC(verification.md): all bundles, re-hashed to the root of the checkpoint."""
    raw = tuple(reader.all_entries(root))
    parsed: list[dict[str, Any] | None] = []
    bad: dict[int, str] = {}
    for i, data in enumerate(raw):
        try:
            parsed.append(parse_entry(data))
        except EntryError as e:
            parsed.append(None)
            bad[i] = str(e)
    return ProvenLog(len(raw), raw, tuple(parsed), bad)


def newest_quorum_time(timestamps: Mapping[str, int], policy: Policy) -> int | None:
    """The largest t such that the cosignatures timestamped >= t meet the quorum (the time of
    the newest quorum of co-signatures); None if they never do. `quorum none`: None."""
    for t in sorted(set(timestamps.values()), reverse=True):
        if policy.satisfied_by({w for w, ts in timestamps.items() if ts >= t}):
            return t
    return None


def _timestamps(note: bytes, policy: Policy) -> dict[str, int]:
    """Witness name -> timestamp of its verified cosignature counted toward the policy."""
    return {c.witness: c.timestamp for c in counted_cosignatures(note, policy)}


@dataclass(frozen=True)
class VerifiedCheckpoint:
    note: bytes
    checkpoint: Checkpoint
    time: CheckpointTime


def checkpoint_times(
    trust: Trust, notes: Sequence[bytes], reader: TileReader, current: Checkpoint
) -> tuple[list[VerifiedCheckpoint], list[str]]:
    """Verify each published co-signed checkpoint (log key, origin, consistency with the current
    tree from tiles) and compute its quorum time; return (verified, reasons for the others)."""
    verified: list[VerifiedCheckpoint] = []
    reasons: list[str] = []
    for note in dict.fromkeys(notes):
        try:
            cp, _ = open_checkpoint(note, list(trust.log_vkeys), origin=trust.origin)
            check_consistent(reader, current.root_hash, cp)
            qt = quorum_time(_timestamps(note, trust.policy), trust.policy)
            verified.append(VerifiedCheckpoint(note, cp, CheckpointTime(cp.tree_size, qt)))
        except CHECK_ERRORS as e:
            reasons.append(str(e))
    return verified, reasons


# -- inputs and shared state of the checks ----------------------------------------------


@dataclass
class DrawInputs:
    """What one draw's verification reads (all bytes come from an untrusted source).

    `checkpoints`: every other co-signed checkpoint the portal publishes (for the
    timing rules); `snapshot_for(name)`: the records file of a logged snapshot,
    None if not published; `offline`: an offline bundle (freshness not checked);
    `cache`: shared between draws of one run (the proven log, verified records)."""

    checkpoint: bytes
    reader_for: Callable[[int], TileReader]
    draw_id: str
    snapshot_for: Callable[[str], bytes | None]
    checkpoints: Sequence[bytes] = ()
    offline: bool = False
    max_age: int | None = None
    """None: trust.json `max_age_seconds`, else DEFAULT_MAX_AGE."""
    cache: dict[Any, Any] = field(default_factory=dict)


class SkipCheckError(FairdrawError):
    """Raised inside a check that cannot run yet: the check is "skipped" with this reason."""


@dataclass
class _Draw:
    """What the checks learn, in order; a check needing an unset field is skipped."""

    trust: Trust
    inputs: DrawInputs
    now: int
    report: DrawReport
    cp: Checkpoint | None = None
    reader: TileReader | None = None
    counted: dict[str, int] | None = None
    log: ProvenLog | None = None
    history: DrawHistory | None = None
    announce_index: int | None = None
    announce: dict[str, Any] | None = None
    result_index: int | None = None
    result: dict[str, Any] | None = None
    single: bool = False
    roots: bool = False
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    chain: ChainInfo | None = None
    randomness: bytes | None = None
    _times: tuple[list[VerifiedCheckpoint], list[str]] | None = None

    def times(self) -> tuple[list[VerifiedCheckpoint], list[str]]:
        if self._times is None:
            assert self.cp is not None
            assert self.reader is not None
            notes = [*self.inputs.checkpoints, self.inputs.checkpoint]
            self._times = checkpoint_times(self.trust, notes, self.reader, self.cp)
        return self._times

    def deadline(self) -> int:
        assert self.announce is not None
        return announce_round_time(self.announce) - self.trust.margin_seconds


# -- the checks, one function each -------------------------------------------------------


def checkpoint_signature(d: _Draw) -> str:
    cp, _ = open_log_checkpoint(d.inputs.checkpoint, d.trust)  # names the keys on a mismatch
    d.cp, d.reader = cp, d.inputs.reader_for(cp.tree_size)
    d.report.checkpoint = cp
    return f"signed by the log key; tree size {cp.tree_size}"


def witness_cosignatures(d: _Draw) -> str:
    res = check(d.inputs.checkpoint, d.trust.policy)
    d.counted = {c.witness: c.timestamp for c in res.counted}
    return f"policy {d.trust.policy.quorum!r} met by {', '.join(res.witnesses) or 'nobody'}"


def check_freshness(counted: Mapping[str, int], policy: Policy, *, now: int, max_age: int) -> str:
    """SPEC(verification.md): the newest quorum of co-signatures on the current checkpoint
    (`counted`: witness -> timestamp of its verified cosignature) is at most `max_age` old."""
    newest = newest_quorum_time(counted, policy)
    if newest is None:
        return f"policy {policy.quorum!r} needs no co-signature: nothing dates the view"
    age = now - newest
    if age > max_age:
        raise CheckFailedError(
            f"the newest quorum of co-signatures on the checkpoint is from {format_utc(newest)},"
            f" {age} s ago, more than the maximum age of {max_age} s: this may be a stale "
            "view of the log",
            computed=newest,
            expected=now - max_age,
        )
    return f"newest quorum co-signed at {format_utc(newest)} ({max(age, 0)} s ago)"


def max_age_of(trust: Trust, override: int | None) -> int:
    """`--max-age` if given, else trust.json `max_age_seconds`, else 24 h (as the JS)."""
    value = override if override is not None else trust.raw.get("max_age_seconds")
    if value is None:
        return DEFAULT_MAX_AGE
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53:
        raise CheckFailedError(f"max_age_seconds {value!r} is not a non-negative integer")
    return value


def checkpoint_freshness(d: _Draw) -> str:
    """Live sources only: offline bundles are exempt and say so."""
    if d.inputs.offline:
        return OFFLINE_FRESHNESS
    assert d.counted is not None
    max_age = max_age_of(d.trust, d.inputs.max_age)
    return check_freshness(d.counted, d.trust.policy, now=d.now, max_age=max_age)


def announce_inclusion(d: _Draw) -> str:
    assert d.cp is not None
    assert d.reader is not None
    key = ("proven", d.cp.tree_size, d.cp.root_hash)
    if key not in d.inputs.cache:
        d.inputs.cache[key] = prove_log(d.reader, d.cp.root_hash)
    d.log = d.inputs.cache[key]
    # SPEC(verification.md): the history is derived from every entry, so every entry must be
    # one (a malformed "result" could otherwise hide from the scan).
    for i, e in enumerate(d.log.entries):
        if e is None or entry_type(e) is None:
            why = d.log.bad[i] if e is None else f"unknown entry type {e.get('type')!r}"
            raise CheckFailedError(f"entry {i} is not a log entry: {why}", index=i)
    h = d.history = d.report.history = draw_history(dict(enumerate(d.log.entries)),
                                                    d.inputs.draw_id)
    ai = d.announce_index = check_announce(h)
    d.announce = dict(h.entries[ai])
    d.report.announce, d.report.announce_index = d.announce, ai
    beacon = d.announce.get("beacon")
    d.report.local = bool(isinstance(beacon, Mapping) and beacon.get("local"))
    return (
        f"the one announce of draw {h.draw_id} is entry {ai}, found among all "
        f"{d.log.tree_size} entries proven to the checkpoint root"
    )


def draw_history_check(d: _Draw) -> str:
    assert d.history is not None
    assert d.log is not None
    assert d.announce is not None
    verified, _ = d.times()
    check_history(
        d.history,
        dict(enumerate(d.log.entries)),
        [v.time for v in verified],
        d.trust.margin_seconds,
        announce_round_time(d.announce),
    )
    h = d.history
    outcomes = check_outcomes(d.log.entries, h.draw_id)  # corrections supersede, both stay
    parts = [f"{len(h.results)} result(s)", f"{len(h.cancels)} cancel(s)"]
    if h.supersedes is not None:
        parts.append(f"supersedes {h.supersedes}")
    if h.superseded_by:
        parts.append(f"superseded by entry {h.superseded_by[0]}")
    if outcomes.outcomes:
        parts.append(f"{len(outcomes.outcomes)} outcome(s), {len(outcomes.superseded_by)} "
                     "corrected")
    return f"history of draw {h.draw_id} holds ({', '.join(parts)})"


def result_inclusion(d: _Draw) -> str:
    assert d.history is not None
    assert d.log is not None
    if not d.history.results and d.history.cancels:
        raise SkipCheckError(
            f"cancelled (entry {d.history.cancels[0]}): no result in {d.log.tree_size} proven "
            "entries, none will follow"
        )
    if not d.history.results:
        raise SkipCheckError(f"no result in {d.log.tree_size} proven entries")
    ri = d.result_index = d.history.results[0]
    d.result = dict(d.history.entries[ri])
    d.report.result, d.report.result_index = d.result, ri
    return f"entry {ri} is the draw.result of draw {d.result.get('draw_id')}, proven in the log"


def single_result(d: _Draw) -> str:
    assert d.history is not None
    assert d.log is not None
    ri = check_results(d.history)
    d.single = True
    n = d.log.tree_size
    if ri is None:
        return f"no result attached to draw {d.history.draw_id} among {n} proven entries yet"
    return f"one result (entry {ri}) attached to draw {d.history.draw_id} among {n} entries"


def _logged_snapshot(d: _Draw, kind: str, ref: Any) -> SnapshotRef:
    """SPEC(DESIGN §2): the announce names a registry.snapshot entry logged before it with the
    same name, kind, root and count."""
    assert d.log is not None
    assert d.announce_index is not None
    if not isinstance(ref, Mapping) or not isinstance(ref.get("snapshot"), str):
        raise CheckFailedError(f"the announce's {kind} reference is malformed")
    name = ref["snapshot"]
    logged = [
        SnapshotRef.of(e)
        for e in d.log.entries[: d.announce_index]
        if entry_type(e) == SNAPSHOT and e is not None and e.get("snapshot") == name
    ]
    if not logged:
        raise CheckFailedError(
            f"{kind} snapshot {name} is not logged before the announce (entry {d.announce_index})",
            kind=kind,
        )
    want = (name, kind, ref.get("root"), ref.get("count"))
    for s in logged:
        if (s.snapshot, s.kind, s.root, s.count) != want:
            raise CheckFailedError(
                f"the logged registry.snapshot {name} ({s.kind}, root {s.root}, count "
                f"{s.count}) is not the one the announce names ({kind}, root "
                f"{ref.get('root')}, count {ref.get('count')})",
                kind=kind,
                expected=ref.get("root"),
                computed=s.root,
            )
    return logged[-1]


def _records(d: _Draw, kind: str, logged: SnapshotRef) -> list[dict[str, Any]] | None:
    key = ("records", logged.snapshot, logged.root, logged.count)
    if key in d.inputs.cache:
        return list(d.inputs.cache[key])
    data = d.inputs.snapshot_for(logged.snapshot)
    if data is None:
        return None
    recs = parse_snapshot_file(data)
    check_root(kind, root=logged.root, count=logged.count, lines=[canonical_json(r) for r in recs])
    d.inputs.cache[key] = recs
    return recs


def snapshot_roots(d: _Draw) -> str:
    assert d.announce is not None
    parts, missing = [], []
    for kind in SNAPSHOT_KINDS:
        ref = d.announce.get(kind)
        if not ref:
            continue
        logged = _logged_snapshot(d, kind, ref)
        recs = _records(d, kind, logged)
        if recs is None:
            missing.append(kind)
            continue
        d.records[kind] = recs
        parts.append(f"{kind} {len(recs)}")
    d.report.records = d.records
    if missing:
        raise SkipCheckError(
            f"logged snapshots match the announce; records not published yet: {', '.join(missing)}"
        )
    d.roots = True
    return f"logged snapshots and records files match the announce ({', '.join(parts)})"


def beacon_identity(d: _Draw) -> str:
    """SPEC(verification.md): the announced chain is pinned (trust.json, and in code unless
    local), its chain hash recomputes, and round_time = genesis + (R − 1)·period."""
    assert d.announce is not None
    b = d.announce["beacon"]
    pinned = d.trust.beacons.get(b["chain_hash"])
    if pinned is None:
        raise CheckFailedError(f"beacon chain {b['chain_hash']} is not pinned in trust.json")
    chain, local = pinned
    if local != bool(b.get("local", False)):
        raise CheckFailedError(
            "the announce and trust.json disagree on whether this beacon is the local "
            "development beacon"
        )
    if chain.scheme != b["scheme"]:
        raise CheckFailedError(
            f"pinned chain scheme {chain.scheme} is not the announced {b['scheme']}"
        )
    check_chain_identity(chain, local=local)
    d.report.chain_hash, d.report.key_fingerprint = chain.chain_hash.hex(), key_fingerprint(chain)
    published = round_time(chain, b["round"])
    if published != announce_round_time(d.announce):
        raise CheckFailedError(
            f"beacon-identity: round {b['round']} is published at {format_utc(published)}, the "
            f"announce says {b['round_time']}",
            expected=format_utc(published),
            computed=b["round_time"],
        )
    d.chain = chain
    kind = "LOCAL development chain" if local else "drand chain pinned in code"
    return (
        f"{kind} {chain.chain_hash.hex()[:16]}…, key {key_fingerprint(chain)}; round "
        f"{b['round']} is at {b['round_time']}"
    )


def beacon_signature(d: _Draw) -> str:
    assert d.announce is not None
    assert d.chain is not None
    if d.result is None:
        raise SkipCheckError("no result yet: the beacon round has not been drawn")
    beacon = parse_beacon_json(d.result["beacon"], d.chain)
    d.randomness = verify_beacon(d.chain, beacon, expected_round=d.announce["beacon"]["round"])
    return f"round {beacon.round} verifies against the pinned key {key_fingerprint(d.chain)}"


def commitment_timing(d: _Draw) -> str:
    """SPEC(DESIGN §2): a checkpoint covering the announce whose quorum was co-signed at least
    the margin before round R."""
    assert d.announce is not None
    assert d.announce_index is not None
    assert d.history is not None
    deadline = d.deadline()
    verified, reasons = d.times()
    for v in verified:
        if v.checkpoint.tree_size <= d.announce_index:
            continue
        try:
            res = check(v.note, d.trust.policy, not_after=deadline)
        except CHECK_ERRORS as e:
            reasons.append(f"checkpoint {v.checkpoint.tree_size}: {e}")
            continue
        return (
            f"announce covered by checkpoint {v.checkpoint.tree_size}, co-signed by "
            f"{', '.join(res.witnesses)} by {format_utc(deadline)} (round time − "
            f"{d.trust.margin_seconds} s)"
        )
    if d.now < deadline and not d.history.results:
        raise SkipCheckError(
            f"not committed yet: a checkpoint covering entry {d.announce_index} must be "
            f"co-signed by {format_utc(deadline)}"
        )
    if d.history.cancels and not d.history.results:
        raise SkipCheckError(
            f"never committed in time (by {format_utc(deadline)}) and cancelled (entry "
            f"{d.history.cancels[0]}): the draw could never be executed"
        )
    raise CheckFailedError(
        f"no published checkpoint proves the commitment by {format_utc(deadline)}: "
        f"{'; '.join(reasons) or 'none covers the announce'}",
        reasons=reasons,
    )


def recompute(d: _Draw) -> str:
    if d.result is None:
        raise SkipCheckError("no result yet: the beacon round has not been drawn")
    if not (d.single and d.roots and d.randomness is not None and "units" in d.records):
        raise SkipCheckError("not run: its inputs did not verify")
    assert d.announce is not None
    assert d.chain is not None
    assert d.result_index is not None
    assert d.log is not None
    assert d.announce_index is not None
    computed = compute_draw(
        d.announce,
        d.records["units"],
        d.randomness,
        inspectors=d.records.get("inspectors", ()),
        experts=d.records.get("experts", ()),
    )
    d.report.computed = computed
    want = expected_result_entry(
        d.announce, d.announce_index, d.result["beacon"], d.randomness, computed, d.chain.chained
    )
    if canonical_json(want) != d.log.raw[d.result_index]:
        diff = sorted(
            k
            for k in set(want) | set(d.result)
            if canonical_json(want.get(k)) != canonical_json(d.result.get(k))
        )
        raise CheckFailedError(
            f"the logged result differs from the recomputed one (fields: {', '.join(diff)})",
            fields=diff,
        )
    return (
        f"recomputed {len(computed['selected'])} selected units; identical to the logged "
        "result byte for byte"
    )


_Needs = Callable[[_Draw], bool]
STEPS: tuple[tuple[str, Callable[[_Draw], str], _Needs], ...] = (
    ("checkpoint-signature", checkpoint_signature, lambda d: True),
    ("witness-cosignatures", witness_cosignatures, lambda d: d.cp is not None),
    ("checkpoint-freshness", checkpoint_freshness, lambda d: d.counted is not None),
    ("announce-inclusion", announce_inclusion, lambda d: d.cp is not None),
    ("draw-history", draw_history_check, lambda d: d.announce is not None),
    ("result-inclusion", result_inclusion, lambda d: d.announce is not None),
    ("single-result", single_result, lambda d: d.announce is not None),
    ("snapshot-roots", snapshot_roots, lambda d: d.announce is not None),
    ("beacon-identity", beacon_identity, lambda d: d.announce is not None),
    ("beacon-signature", beacon_signature, lambda d: d.chain is not None),
    ("commitment-timing", commitment_timing, lambda d: d.announce is not None),
    ("recompute", recompute, lambda d: d.announce is not None),
)
"""(check name, check, whether its inputs exist): the checklist in order."""


def _run(name: str, fn: Callable[[_Draw], str], d: _Draw) -> Check:
    try:
        return Check(name, PASS, fn(d))
    except SkipCheckError as s:
        return Check(name, SKIPPED, str(s))
    except CHECK_ERRORS as e:
        reason = str(e) if not isinstance(e, KeyError | TypeError) else f"malformed input: {e!r}"
        return Check(name, FAIL, reason, evidence_of(e))


def verify_draw(trust: Trust, inputs: DrawInputs, *, now: int) -> DrawReport:
    """Run every check; never raises for a failing check (see `DrawReport.raise_for_verdict`).

    `now` (POSIX seconds) dates checkpoint-freshness and whether a commitment is still due."""
    report = DrawReport(inputs.draw_id, [])
    d = _Draw(trust, inputs, now, report)
    for name, fn, ready in STEPS:
        if ready(d):
            report.checks.append(_run(name, fn, d))
        else:
            report.checks.append(Check(name, SKIPPED, "not run: an earlier check failed"))
    statuses = {c.status for c in report.checks}
    report.verdict = FAIL if FAIL in statuses else (PENDING if SKIPPED in statuses else PASS)
    return report
