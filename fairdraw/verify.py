"""The draw checklist in Python: the same checks, names and verdicts as the browser.

Spec: docs/spec/portal-js.md "Checks" (the JS `verifyDraw` in
public_portal/static/js/verify-draw.js is the other implementation; the two
share no code, only the formats) and docs/spec/portal-data.md (where the
inputs live in a portal). Check names, in order:

    checkpoint-signature, witness-cosignatures, announce-inclusion,
    result-inclusion, single-result, snapshot-roots, beacon-signature,
    commitment-timing, recompute

Each check is "pass", "fail" or "skipped" (an input failed earlier, a snapshot
published only after the inspections is not available, or the draw has no
result yet). Verdict: "fail" if any check failed, else "pending" if any was
skipped, else "pass". A failed check records the error's message and its
evidence (expected vs computed values, as hex); `DrawVerificationError` turns
a failing report into an exception for callers that must refuse. The report
types live in `fairdraw.report`, trust.json in `fairdraw.trust`, and reading
one draw's inputs from a portal in `fairdraw.portal_inputs`.

Beyond the JS (same names, stricter on inputs the browser gets from the page):
the announce must carry the draw id asked for, and a draw whose index names no
result yet is verified up to its commitment (verdict "pending").
Left out: rollback protection across runs (`fairdraw.clientstate`), the whole-log
replay (`fairdraw.audit`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from draw_engine.beacon import parse_beacon_json, round_time
from draw_engine.canonical import canonical_json, parse_json
from draw_engine.drand import verify_beacon
from draw_engine.select import compute_draw, spec_hash
from draw_engine.snapshot import check_root, parse_records
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
from fairdraw.source import MAX_SNAPSHOT_SIZE, TileReader
from fairdraw.trust import Trust
from transparency.checkpoint import Checkpoint, open_checkpoint
from transparency.merkle import verify_consistency
from witnesses.policy import check

CHECKS = (
    "checkpoint-signature",
    "witness-cosignatures",
    "announce-inclusion",
    "result-inclusion",
    "single-result",
    "snapshot-roots",
    "beacon-signature",
    "commitment-timing",
    "recompute",
)
SNAPSHOT_KINDS = ("units", "inspectors", "experts")


# -- helpers shared with the audit ------------------------------------------------------


def parse_entry(data: bytes) -> dict[str, Any]:
    """SPEC(DESIGN §4): an entry is the canonical JSON of an object with "type" and "v": 1."""
    try:
        value = parse_json(data, max_size=len(data) + 1)
    except ValueError as e:
        raise CheckFailedError(f"log entry is not JSON in our subset: {e}") from e
    if not isinstance(value, dict) or not isinstance(value.get("type"), str) or value.get("v") != 1:
        raise CheckFailedError('log entry is not an object with "type" and "v": 1')
    if canonical_json(value) != data:
        raise CheckFailedError("log entry is not canonical JSON (RFC 8785)")
    return value


def parse_utc_seconds(text: Any) -> int:
    """RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" -> POSIX seconds (the only form our entries use)."""
    try:
        if not isinstance(text, str) or len(text) != 20 or not text.endswith("Z"):
            raise ValueError
        parsed = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        if parsed.strftime("%Y-%m-%dT%H:%M:%SZ") != text:
            raise ValueError
    except ValueError:
        raise CheckFailedError(f"{text!r} is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)") from None
    return int(parsed.timestamp())


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


# -- the checklist ----------------------------------------------------------------------


@dataclass
class DrawInputs:
    """What one draw's verification reads (all bytes come from an untrusted source)."""

    checkpoint: bytes
    reader_for: Callable[[int], TileReader]
    announce_index: int
    result_index: int | None
    result_indices: Sequence[int] | None = None
    commitment_checkpoints: Sequence[bytes] = ()
    snapshots: Mapping[str, bytes | None] = field(default_factory=dict)
    draw_id: str | None = None


def verify_draw(trust: Trust, inputs: DrawInputs) -> DrawReport:
    """Run every check; never raises for a failing check (see `DrawReport.raise_for_verdict`)."""
    checks = {n: Check(n, SKIPPED, "not run: an earlier check failed") for n in CHECKS}
    rep = DrawReport(
        inputs.draw_id, [], announce_index=inputs.announce_index, result_index=inputs.result_index
    )

    def run(name: str, fn: Callable[[], str]) -> bool:
        try:
            checks[name] = Check(name, PASS, fn())
            return True
        except CHECK_ERRORS as e:
            reason = (
                str(e) if not isinstance(e, KeyError | TypeError) else f"malformed input: {e!r}"
            )
            checks[name] = Check(name, FAIL, reason, evidence_of(e))
            return False

    state: dict[str, Any] = {}

    def checkpoint_signature() -> str:
        cp, _ = open_checkpoint(inputs.checkpoint, list(trust.log_vkeys), origin=trust.origin)
        state["cp"], state["reader"] = cp, inputs.reader_for(cp.tree_size)
        return f"signed by the log key; tree size {cp.tree_size}"

    if run("checkpoint-signature", checkpoint_signature):
        cp: Checkpoint = state["cp"]
        reader: TileReader = state["reader"]
        rep.checkpoint = cp

        def cosignatures() -> str:
            res = check(inputs.checkpoint, trust.policy)
            return f"policy {trust.policy.quorum!r} met by {', '.join(res.witnesses)}"

        run("witness-cosignatures", cosignatures)

        def announce_inclusion() -> str:
            a = parse_entry(reader.proven_entry(inputs.announce_index, cp.root_hash))
            if a["type"] != "draw.announce":
                raise CheckFailedError(
                    f"entry {inputs.announce_index} is a {a['type']}, not a draw.announce"
                )
            if inputs.draw_id is not None and a.get("draw_id") != inputs.draw_id:
                raise CheckFailedError(
                    f"entry {inputs.announce_index} announces draw {a.get('draw_id')}, "
                    f"not {inputs.draw_id}",
                    expected=inputs.draw_id,
                    computed=a.get("draw_id"),
                )
            state["announce"] = a
            return f"entry {inputs.announce_index} (draw {a['draw_id']}) is in the log"

        run("announce-inclusion", announce_inclusion)
        announce = rep.announce = state.get("announce")
        if announce is not None:
            rep.draw_id = rep.draw_id or announce.get("draw_id")
            rep.local = bool(
                isinstance(announce.get("beacon"), Mapping) and announce["beacon"].get("local")
            )
            if inputs.result_index is None:
                checks["result-inclusion"] = Check(
                    "result-inclusion", SKIPPED, "no draw.result for this draw in the index yet"
                )
            else:
                ri = inputs.result_index

                def result_inclusion() -> str:
                    data = reader.proven_entry(ri, cp.root_hash)
                    r = parse_entry(data)
                    if r["type"] != "draw.result":
                        raise CheckFailedError(f"entry {ri} is a {r['type']}, not a draw.result")
                    if (
                        r.get("draw_id") != announce["draw_id"]
                        or r.get("announce_index") != inputs.announce_index
                    ):
                        raise CheckFailedError(
                            f"result entry names draw {r.get('draw_id')} / announce "
                            f"{r.get('announce_index')}, not {announce['draw_id']} / "
                            f"{inputs.announce_index}"
                        )
                    if ri <= inputs.announce_index:
                        raise CheckFailedError("the result was logged before its announce")
                    state["result"], state["result_bytes"] = r, data
                    return f"entry {ri} is in the log"

                run("result-inclusion", result_inclusion)
                rep.result = state.get("result")

            def single_result() -> str:
                if inputs.result_indices is not None:
                    indices = list(inputs.result_indices)
                    entries = {i: reader.proven_entry(i, cp.root_hash) for i in indices}
                else:
                    all_entries = reader.all_entries(cp.root_hash)
                    indices = list(range(len(all_entries)))
                    entries = dict(enumerate(all_entries))
                found = []
                for i in indices:
                    if b'"draw.result"' in entries[i]:
                        v = parse_entry(entries[i])
                        if v["type"] == "draw.result" and v.get("draw_id") == announce["draw_id"]:
                            found.append(i)
                if inputs.result_index is not None and inputs.result_index not in found:
                    found.append(inputs.result_index)
                if inputs.result_index is None and not found:
                    raise _SkipCheckError(
                        f"no result for draw {announce['draw_id']} among {len(indices)} entries yet"
                    )
                if len(found) != 1:
                    raise CheckFailedError(
                        f"draw {announce['draw_id']} has {len(found)} results (entries "
                        f"{', '.join(map(str, sorted(found)))})",
                        indices=sorted(found),
                    )
                n = len(indices)
                return f"one result for draw {announce['draw_id']} among {n} entries checked"

            try:
                run("single-result", single_result)
            except _SkipCheckError as s:
                checks["single-result"] = Check("single-result", SKIPPED, str(s))

    announce = rep.announce
    records: dict[str, list[dict[str, Any]]] = {}
    if announce is not None:
        missing: list[str] = []

        def snapshot_roots() -> str:
            parts = []
            for kind in SNAPSHOT_KINDS:
                ref = announce.get(kind)
                if not ref:
                    continue
                given = inputs.snapshots.get(kind)
                if given is None:
                    missing.append(kind)
                    continue
                recs = parse_snapshot_file(given)
                check_root(
                    kind,
                    root=ref["root"],
                    count=ref["count"],
                    lines=[canonical_json(r) for r in recs],
                )
                records[kind] = recs
                parts.append(f"{kind} {len(recs)}")
            return f"roots match the announce ({', '.join(parts)})"

        if run("snapshot-roots", snapshot_roots) and missing:
            checks["snapshot-roots"] = Check(
                "snapshot-roots", SKIPPED, f"snapshot not published yet: {', '.join(missing)}"
            )

    if announce is not None and rep.result is not None:
        result = rep.result

        def beacon_signature() -> str:
            b = announce["beacon"]
            pinned = trust.beacons.get(b["chain_hash"])
            if pinned is None:
                raise CheckFailedError(
                    f"beacon chain {b['chain_hash']} is not pinned in trust.json"
                )
            chain, local = pinned
            if chain.scheme != b["scheme"]:
                raise CheckFailedError(
                    f"pinned chain scheme {chain.scheme} is not the announced {b['scheme']}"
                )
            if local != bool(b.get("local", False)):
                raise CheckFailedError(
                    "the announce and trust.json disagree on whether this beacon is "
                    "the local development beacon"
                )
            beacon = parse_beacon_json(result["beacon"], chain)
            state["randomness"] = verify_beacon(chain, beacon, expected_round=b["round"])
            state["chain"] = chain
            published = round_time(chain, beacon.round)
            if published != parse_utc_seconds(b["round_time"]):
                raise CheckFailedError(
                    f"round {b['round']} is published at {published}, the announce "
                    f"says {b['round_time']}",
                    expected=b["round_time"],
                    computed=published,
                )
            kind = "LOCAL development" if local else "drand"
            return f"round {beacon.round} verifies against the pinned {kind} key"

        run("beacon-signature", beacon_signature)

    if announce is not None and rep.checkpoint is not None:
        cp = rep.checkpoint
        reader = state["reader"]

        def commitment_timing() -> str:
            deadline = parse_utc_seconds(announce["beacon"]["round_time"]) - trust.margin_seconds
            reasons = []
            for note in [*inputs.commitment_checkpoints, inputs.checkpoint]:
                try:
                    c, _ = open_checkpoint(note, list(trust.log_vkeys), origin=trust.origin)
                    if c.tree_size <= inputs.announce_index:
                        raise CheckFailedError(
                            f"checkpoint of size {c.tree_size} does not cover entry "
                            f"{inputs.announce_index}"
                        )
                    check_consistent(reader, cp.root_hash, c)
                    # SPEC(DESIGN §2): a quorum cosigned at least a margin before round R.
                    res = check(note, trust.policy, not_after=deadline)
                    return (
                        f"announce covered by checkpoint {c.tree_size}, cosigned by "
                        f"{', '.join(res.witnesses)} at least {trust.margin_seconds} s before "
                        f"{announce['beacon']['round_time']}"
                    )
                except CHECK_ERRORS as e:
                    reasons.append(str(e))
            raise CheckFailedError(
                f"no checkpoint proves the commitment in time: {'; '.join(reasons)}"
            )

        run("commitment-timing", commitment_timing)

    if (
        announce is not None
        and rep.result is not None
        and "randomness" in state
        and "units" in records
        and checks["snapshot-roots"].status == PASS
    ):
        result = rep.result

        def recompute() -> str:
            computed = compute_draw(
                announce,
                records["units"],
                state["randomness"],
                inspectors=records.get("inspectors", ()),
                experts=records.get("experts", ()),
            )
            rep.computed = computed
            want = expected_result_entry(
                announce,
                inputs.announce_index,
                result["beacon"],
                state["randomness"],
                computed,
                state["chain"].chained,
            )
            if canonical_json(want) != state["result_bytes"]:
                diff = sorted(
                    k
                    for k in set(want) | set(result)
                    if canonical_json(want.get(k)) != canonical_json(result.get(k))
                )
                raise CheckFailedError(
                    f"the logged result differs from the recomputed one (fields: "
                    f"{', '.join(diff)})",
                    fields=diff,
                )
            return (
                f"recomputed {len(computed['selected'])} selected units; identical to the "
                "logged result byte for byte"
            )

        run("recompute", recompute)
    elif announce is not None and rep.result is None and inputs.result_index is None:
        for name in ("beacon-signature", "recompute"):
            checks[name] = Check(
                name, SKIPPED, "no result yet: the beacon round has not been drawn"
            )

    rep.checks = [checks[n] for n in CHECKS]
    statuses = {c.status for c in rep.checks}
    rep.verdict = FAIL if FAIL in statuses else (PENDING if SKIPPED in statuses else PASS)
    return rep


class _SkipCheckError(Exception):
    pass
