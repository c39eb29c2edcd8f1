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
a failing report into an exception for callers that must refuse.

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

from draw_engine.beacon import (
    ChainInfo,
    parse_beacon_json,
    parse_chain_info_json,
    parse_hex,
    round_time,
)
from draw_engine.beacon_errors import BeaconError
from draw_engine.canonical import canonical_json, parse_json
from draw_engine.drand import verify_beacon
from draw_engine.errors import DrawEngineError
from draw_engine.select import compute_draw, spec_hash
from draw_engine.snapshot import check_root, parse_records
from fairdraw.source import (
    MAX_CHECKPOINT_SIZE,
    MAX_SNAPSHOT_SIZE,
    ClientError,
    PortalSource,
    SourceError,
    TileReader,
    read_json,
    read_required,
)
from transparency.checkpoint import Checkpoint, open_checkpoint
from transparency.errors import TransparencyError
from transparency.merkle import verify_consistency
from witnesses.errors import WitnessError
from witnesses.policy import Policy, check, policy_from_trust_json

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
DEFAULT_MARGIN_SECONDS = 60
SNAPSHOT_KINDS = ("units", "inspectors", "experts")
PASS, FAIL, SKIPPED, PENDING = "pass", "fail", "skipped", "pending"
CHECK_ERRORS = (
    ClientError,
    TransparencyError,
    WitnessError,
    DrawEngineError,
    BeaconError,
    ValueError,
    KeyError,
    TypeError,
)
"""What a check turns into "fail" (typed errors; KeyError/TypeError = malformed entry)."""


class TrustError(ClientError):
    """trust.json is malformed: nothing can be verified against it."""


class CheckFailedError(ClientError):
    """Raised inside a check; becomes that check's "fail" with `evidence`."""

    def __init__(self, message: str, **evidence: Any) -> None:
        super().__init__(message)
        self.evidence = evidence


class DrawVerificationError(ClientError):
    """A draw did not verify; `report` holds every check, `failed` the failing ones."""

    def __init__(self, report: DrawReport) -> None:
        self.report = report
        self.failed = [c for c in report.checks if c.status == FAIL]
        names = ", ".join(f"{c.name} ({c.reason})" for c in self.failed) or report.verdict
        super().__init__(f"draw {report.draw_id} does not verify: {names}")


# -- trust.json -------------------------------------------------------------------------


@dataclass(frozen=True)
class Trust:
    origin: str
    log_vkeys: tuple[str, ...]
    policy: Policy
    beacons: Mapping[str, tuple[ChainInfo, bool]]  # chain hash hex -> (chain, local flag)
    margin_seconds: int
    raw: Mapping[str, Any]


def _chain_from_trust(key: str, info: Any) -> tuple[ChainInfo, bool]:
    if not isinstance(info, Mapping):
        raise TrustError(f"beacons[{key}] must be an object")
    local = info.get("local", False)
    if not isinstance(local, bool):
        raise TrustError(f"beacons[{key}].local must be a boolean")
    try:
        if "schemeID" in info:  # a drand /info object pinned as is
            return parse_chain_info_json(info), local
        return ChainInfo(
            scheme=info.get("scheme"),
            public_key=parse_hex(info.get("public_key"), field="public_key"),
            genesis_time=info.get("genesis_time"),
            period=info.get("period"),
            chain_hash=parse_hex(info.get("chain_hash", key), field="chain_hash", size=32),
            local=local,
        ), local
    except ValueError as e:
        raise TrustError(f"beacons[{key}]: {e}") from e


def parse_trust(obj: Any) -> Trust:
    """The portal's trust.json (docs/spec/portal-js.md "trust.json shapes")."""
    if not isinstance(obj, Mapping):
        raise TrustError("trust.json must be a JSON object")
    log = obj.get("log")
    if not isinstance(log, Mapping) or not isinstance(log.get("origin"), str) or not log["origin"]:
        raise TrustError("trust.json needs log.origin")
    vkeys = log.get("vkeys", [log.get("vkey")])
    if not isinstance(vkeys, list) or not vkeys or not all(isinstance(v, str) for v in vkeys):
        raise TrustError("trust.json needs log.vkey or a log.vkeys list")
    try:
        policy = policy_from_trust_json(obj)
    except ValueError as e:
        raise TrustError(f"trust.json witness_policy: {e}") from e
    beacons = obj.get("beacons", {})
    if not isinstance(beacons, Mapping):
        raise TrustError("trust.json beacons must be an object")
    margin = obj.get("margin_seconds", DEFAULT_MARGIN_SECONDS)
    if isinstance(margin, bool) or not isinstance(margin, int) or margin < 0:
        raise TrustError("trust.json margin_seconds must be a non-negative integer")
    return Trust(
        log["origin"],
        tuple(vkeys),
        policy,
        {k: _chain_from_trust(k, v) for k, v in beacons.items()},
        margin,
        obj,
    )


def load_trust(data: bytes) -> Trust:
    try:
        return parse_trust(parse_json(data, max_size=1 << 20))
    except ValueError as e:
        raise TrustError(f"trust.json is not valid JSON: {e}") from e


# -- report -----------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    status: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "status": self.status, "reason": self.reason}
        if self.evidence:
            out["evidence"] = self.evidence
        return out


@dataclass
class DrawReport:
    draw_id: str | None
    checks: list[Check]
    verdict: str = FAIL
    announce: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    computed: dict[str, Any] | None = None
    local: bool = False
    checkpoint: Checkpoint | None = None
    announce_index: int | None = None
    result_index: int | None = None

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    def raise_for_verdict(self) -> None:
        if self.verdict != PASS:
            raise DrawVerificationError(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "draw_id": self.draw_id,
            "verdict": self.verdict,
            "local": self.local,
            "tree_size": self.checkpoint.tree_size if self.checkpoint else None,
            "announce_index": self.announce_index,
            "result_index": self.result_index,
            "checks": [c.to_json() for c in self.checks],
        }


def _hexify(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, tuple | list):
        return [_hexify(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _hexify(v) for k, v in value.items()}
    return value


_EVIDENCE = (
    "expected",
    "computed",
    "claimed",
    "index",
    "tree_size",
    "size1",
    "size2",
    "kind",
    "counted",
    "reasons",
    "round",
    "got",
    "field",
)


def evidence_of(error: BaseException) -> dict[str, Any]:
    """Expected vs computed values carried by a typed error, JSON-ready (bytes as hex)."""
    if isinstance(error, CheckFailedError):
        return {k: _hexify(v) for k, v in error.evidence.items()}
    return {
        k: _hexify(getattr(error, k))
        for k in _EVIDENCE
        if isinstance(getattr(error, k, None), bytes | int | str | tuple | list | dict)
    }


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


# -- reading one draw from a portal -----------------------------------------------------


def _index(value: Any, what: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SourceError(f"{what} is not a leaf index: {value!r}")
    return value


def portal_draw_inputs(
    source: PortalSource,
    draw_id: str,
    *,
    checkpoint: bytes | None = None,
    readers: dict[int, TileReader] | None = None,
) -> DrawInputs:
    """DrawInputs for `draw_id` from a portal laid out per docs/spec/portal-data.md."""
    nav = read_json(source, f"data/draws/{draw_id}.json")
    if not isinstance(nav, Mapping):
        raise SourceError(f"data/draws/{draw_id}.json is not an object")
    note = (
        checkpoint
        if checkpoint is not None
        else read_required(source, "log/checkpoint", MAX_CHECKPOINT_SIZE)
    )
    result_indices = nav.get("result_indices")
    if result_indices is not None and (
        not isinstance(result_indices, list)
        or not all(_index(i, "result_indices[]") is not None for i in result_indices)
    ):
        raise SourceError("result_indices must be a list of leaf indices")
    commitments = []
    for path in nav.get("commitment_checkpoints") or []:
        if not isinstance(path, str):
            raise SourceError("commitment_checkpoints must list portal paths")
        data = source.read(path, MAX_CHECKPOINT_SIZE)
        if data is not None:
            commitments.append(data)
    snapshots: dict[str, bytes | None] = {}
    for kind, ref in (nav.get("snapshots") or {}).items():
        path = ref.get("path") if isinstance(ref, Mapping) else None
        snapshots[kind] = source.read(path, MAX_SNAPSHOT_SIZE) if isinstance(path, str) else None
    cache = readers if readers is not None else {}

    def reader_for(size: int) -> TileReader:
        if size not in cache:
            cache[size] = TileReader(source, size)
        return cache[size]

    return DrawInputs(
        checkpoint=note,
        reader_for=reader_for,
        announce_index=_index(nav.get("announce_index"), "announce_index") or 0,
        result_index=_index(nav.get("result_index"), "result_index", optional=True),
        result_indices=result_indices,
        commitment_checkpoints=commitments,
        snapshots=snapshots,
        draw_id=draw_id,
    )


def verify_portal_draw(source: PortalSource, trust: Trust, draw_id: str, **kw: Any) -> DrawReport:
    return verify_draw(trust, portal_draw_inputs(source, draw_id, **kw))


def draw_ids(source: PortalSource) -> list[str]:
    """Draw ids listed in data/draws.json (navigation only: the log is what is verified)."""
    index = read_json(source, "data/draws.json")
    draws = index.get("draws") if isinstance(index, Mapping) else None
    if not isinstance(draws, list):
        raise SourceError("data/draws.json has no 'draws' list")
    out = []
    for d in draws:
        if not isinstance(d, Mapping) or not isinstance(d.get("draw_id"), str):
            raise SourceError("data/draws.json: every draw needs a draw_id")
        out.append(d["draw_id"])
    return out
