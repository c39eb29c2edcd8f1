"""A draw's entries as C2SP tlog-proof@v1 files: writing them, and checking one offline.

Spec: docs/spec/log.md §6 (the file format, `transparency.proof`) and
docs/spec/portal-data.md "Proof files". fairdraw puts the entry's exact bytes
in the proof's `extra` data, so one `.tlog-proof` file is self-contained: the
checker recomputes the leaf hash from it and never trusts it otherwise.

* `draw_proofs(source, trust, draw_id)` proves, against the portal's current
  checkpoint (verified with the log keys of `trust` first), every
  `draw.announce`, `draw.result` and `draw.cancel` of the draw, found by
  scanning every entry of the log (all bundles re-hashed to the signed root;
  docs/spec/verification.md: navigation files are never evidence). A result
  or cancel belongs to the draw when it names the draw id or one of its
  announces' leaf indices.
* `check_proof(data, trust)` runs the named checks on one file and returns a
  `ProofReport`; a failed check raises `ProofCheckError` whose message starts
  with the check's name: `tlog-proof` (malformed file), `checkpoint-signature`
  (log key of trust.json, origin), `witness-cosignatures` (trust.json's witness
  policy), `entry-inclusion` (the entry in `extra` is at the index under the
  signed root), `entry` (it is a fairdraw draw entry).

Left out: freshness (an offline proof is exempt and the report says so) and
the client state file (a proof's checkpoint is not compared with the last one
seen); whether the draw as a whole verifies is `fairdraw verify --draw`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from draw_engine.canonical import parse_json
from fairdraw.portal_source import (
    MAX_CHECKPOINT_SIZE,
    ClientError,
    PortalSource,
    TileReader,
    read_required,
)
from fairdraw.trust import Trust, open_log_checkpoint
from transparency.errors import TransparencyError
from transparency.merkle import leaf_hash, verify_inclusion
from transparency.proof import TlogProof, format_proof, parse_proof, prove_entry
from witnesses.errors import WitnessError
from witnesses.policy import check

DRAW_KINDS = {"draw.announce": "announce", "draw.result": "result", "draw.cancel": "cancel"}
PROOF_CHECKS = ("tlog-proof", "checkpoint-signature", "witness-cosignatures",
                "entry-inclusion", "entry")


class ProofCheckError(ClientError):
    """A tlog-proof file does not verify; `check` names the failed check."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"{check}: {message}")
        self.check = check


@dataclass(frozen=True)
class ProofReport:
    leaf_index: int
    origin: str
    tree_size: int
    witnesses: tuple[str, ...]
    entry_type: str
    draw_id: str | None
    passed: tuple[tuple[str, str], ...]
    """(check name, reason) of every check, in order; all passed."""


def _parse_entry(data: bytes) -> dict[str, Any] | None:
    try:
        value = parse_json(data)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("type"), str) else None


# -- writing ------------------------------------------------------------------------------


def draw_entry_indices(entries: list[bytes], draw_id: str) -> list[tuple[int, str]]:
    """(leaf index, "announce" | "result" | "cancel") of every entry of `draw_id`."""
    parsed = [_parse_entry(e) for e in entries]
    announces = {i for i, e in enumerate(parsed)
                 if e and e["type"] == "draw.announce" and e.get("draw_id") == draw_id}
    out = []
    for i, e in enumerate(parsed):
        if e is None or e["type"] not in DRAW_KINDS:
            continue
        ai = e.get("announce_index")
        if i in announces or e.get("draw_id") == draw_id or (
                e["type"] != "draw.announce" and isinstance(ai, int) and ai in announces):
            out.append((i, DRAW_KINDS[e["type"]]))
    return out


def draw_proofs(source: PortalSource, trust: Trust, draw_id: str) -> list[tuple[str, bytes]]:
    """(file name `<draw>-<kind>-<index>.tlog-proof`, file bytes) for each entry of the draw.

    Raises ProofCheckError if the portal's checkpoint or log does not verify."""
    note = read_required(source, "log/checkpoint", MAX_CHECKPOINT_SIZE)
    try:
        cp, _ = open_log_checkpoint(note, trust)
    except TransparencyError as e:
        raise ProofCheckError("checkpoint-signature", str(e)) from e
    reader = TileReader(source, cp.tree_size)
    try:
        entries = reader.all_entries(cp.root_hash)
    except TransparencyError as e:
        raise ProofCheckError("entry-inclusion", f"the log does not verify: {e}") from e
    out = []
    for index, kind in draw_entry_indices(entries, draw_id):
        proof = prove_entry(note, index, reader, extra=entries[index])
        out.append((f"{draw_id}-{kind}-{index}.tlog-proof", format_proof(proof)))
    return out


# -- checking -----------------------------------------------------------------------------


def _entry(proof: TlogProof) -> bytes:
    if proof.extra is None:
        raise ProofCheckError("entry-inclusion", "the proof carries no entry in its extra data, "
                              "so there is nothing to prove")
    return proof.extra


def check_proof(data: bytes, trust: Trust) -> ProofReport:
    """Verify one tlog-proof file against trust.json; raise ProofCheckError naming the check."""
    passed: list[tuple[str, str]] = []
    try:
        proof = parse_proof(data)
    except TransparencyError as e:
        raise ProofCheckError("tlog-proof", f"not a valid c2sp.org/tlog-proof@v1 file: {e}") from e
    passed.append(("tlog-proof", f"c2sp.org/tlog-proof@v1, index {proof.leaf_index}, "
                                 f"{len(proof.inclusion_proof)} proof hashes"))
    try:
        cp, _ = open_log_checkpoint(proof.checkpoint, trust)
    except TransparencyError as e:
        raise ProofCheckError("checkpoint-signature", str(e)) from e
    passed.append(("checkpoint-signature",
                   f"{cp.origin} size {cp.tree_size} signed by the log key of trust.json"))
    try:
        result = check(proof.checkpoint, trust.policy)
    except (WitnessError, TransparencyError) as e:
        raise ProofCheckError("witness-cosignatures", str(e)) from e
    passed.append(("witness-cosignatures", f"policy {trust.policy.quorum!r} met by "
                                           f"{', '.join(result.witnesses) or 'no witness needed'}"))
    entry = _entry(proof)
    try:
        verify_inclusion(leaf_hash(entry), proof.leaf_index, cp.tree_size,
                         list(proof.inclusion_proof), cp.root_hash)
    except TransparencyError as e:
        raise ProofCheckError("entry-inclusion", str(e)) from e
    passed.append(("entry-inclusion",
                   f"entry {proof.leaf_index} is in the log at size {cp.tree_size}"))
    parsed = _parse_entry(entry)
    if parsed is None or parsed["type"] not in DRAW_KINDS or not isinstance(
            parsed.get("draw_id"), str):
        kind = parsed["type"] if parsed else "not a JSON entry"
        raise ProofCheckError("entry", f"the proven entry is {kind!r}, not a draw entry with a "
                                       "draw_id")
    passed.append(("entry", f"{parsed['type']} of draw {parsed['draw_id']}"))
    return ProofReport(proof.leaf_index, cp.origin, cp.tree_size, result.witnesses,
                       parsed["type"], parsed["draw_id"], tuple(passed))


def check_proof_files(paths: list[Path], trust: Trust) -> tuple[list[dict[str, Any]], bool]:
    """`fairdraw verify --proof`: check each file; (one JSON-able result per file, all passed).

    Unreadable files are a ClientError (bad usage), not a failed check."""
    results: list[dict[str, Any]] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as e:
            raise ClientError(f"cannot read {path}: {e.strerror or e}") from e
        try:
            r = check_proof(data, trust)
        except ProofCheckError as e:
            results.append({"file": str(path), "verdict": "fail", "failed": e.check,
                            "reason": str(e)})
            continue
        results.append({
            "file": str(path), "verdict": "pass", "leaf_index": r.leaf_index,
            "origin": r.origin, "tree_size": r.tree_size, "entry_type": r.entry_type,
            "draw_id": r.draw_id, "witnesses": list(r.witnesses),
            "checks": [{"name": n, "reason": why} for n, why in r.passed],
            "freshness": "offline proof: freshness not checked",
        })
    return results, all(r["verdict"] == "pass" for r in results)


def format_proof_results(results: list[dict[str, Any]]) -> str:
    """The human-readable lines `fairdraw verify --proof` prints."""
    lines = []
    for r in results:
        if r["verdict"] == "fail":
            lines += [f"proof {r['file']}: FAIL", f"  ✗ {r['reason']}"]
            continue
        lines.append(f"proof {r['file']}: pass: {r['entry_type']} of draw {r['draw_id']} "
                     f"(leaf {r['leaf_index']})")
        lines += [f"  ✓ {c['name']}: {c['reason']}" for c in r["checks"]]
        lines.append(f"  … checkpoint-freshness: {r['freshness']}")
    return "\n".join(lines)
