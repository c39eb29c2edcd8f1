"""The portal builder: writes the static site of docs/spec/portal-data.md.

`build_portal(out_dir, inputs)` writes, under one directory, the pages, the
verifier assets, `trust.json`, the log's latest co-signed checkpoint with its
tiles and entry bundles (via `transparency.export.export_log`), every
co-signed checkpoint the draws need, the navigation index, the snapshot
records files whose publish mode allows them, a C2SP tlog-proof file for
every draw.announce/result/cancel entry (`data/proofs/<leaf>.tlog-proof`), and
per draw the offline bundle that a page opened from disk verifies
(`data/disk/<id>.js`, public_portal/disk.py).

Incremental by construction (the contract of docs/spec/portal.md §Builder):
- tiles, entry bundles, `log/checkpoints/<size>` and snapshot files are
  write-once: a file whose path exists is never rewritten (its path fixes its
  bytes); `export_log` only adds what is new;
- pages, assets, `trust.json` and the index files are rewritten only when
  their bytes change, each through a temporary file and a rename;
- the checkpoint is published by `export_log` last, after every tile it
  implies, so a reader never sees a checkpoint whose tiles are missing.

The draw index is derived from the log itself (the truth), up to the
published checkpoint's size: `scan_log` reads the entries and classifies
them. The store only supplies what the log does not hold: the records files
of snapshots and the co-signed checkpoint that committed each announce.

Left out: deleting files of a previous build (nothing is ever deleted),
gzip, pruning partial tiles once the full tile exists.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from draw_engine.beacon import ChainInfo, format_chain_info_json
from draw_engine.store import DrawStore
from public_portal.disk import write_disk_bundles
from public_portal.errors import PortalError
from public_portal.index import LogIndex, scan_log, snapshot_available
from public_portal.registry_page import registry_files
from public_portal.site import render_draw_page, render_index, render_static_page
from transparency.checkpoint import parse_checkpoint
from transparency.errors import TransparencyError
from transparency.export import export_log
from transparency.note import parse_note
from transparency.proof import format_proof, prove_entry
from transparency.storage import LogStorage
from witnesses.policy import Policy, policy_to_json

STATIC = Path(__file__).parent / "static"
SCAN_BATCH = 256


class PortalBuildError(PortalError):
    """The portal cannot be built from these inputs (the message says which one is wrong)."""


@dataclass(frozen=True)
class PortalInputs:
    """What the builder reads.

    `snapshots`: snapshot name -> JSON Lines records file (all known snapshots;
    the builder publishes only those whose mode allows it).
    `commitments`: draw id -> the co-signed checkpoint note that committed its announce.
    """

    storage: LogStorage
    trust: Mapping[str, Any]
    snapshots: Mapping[str, bytes] = field(default_factory=dict)
    commitments: Mapping[str, bytes] = field(default_factory=dict)


def inputs_from_store(storage: LogStorage, store: DrawStore,
                      trust: Mapping[str, Any]) -> PortalInputs:
    """Snapshot files and commitment checkpoints as the draw lifecycle stored them."""
    with store.transaction() as tx:
        snapshots = {s.name: s.records for s in tx.list_snapshots()}
        commitments = {d.draw_id: d.commitment_note for d in tx.list_draws()
                       if d.commitment_note is not None}
    return PortalInputs(storage, trust, snapshots, commitments)


@dataclass
class BuildReport:
    tree_size: int
    draws: int
    tiles_written: int
    tiles_skipped: int
    files_written: list[str] = field(default_factory=list)
    files_unchanged: int = 0


def trust_document(
    *,
    origin: str,
    log_vkeys: Sequence[str],
    policy: Policy,
    chains: Sequence[ChainInfo],
    margin_seconds: int = 60,
) -> dict[str, Any]:
    """trust.json (docs/spec/portal-js.md §trust.json): log keys, witness policy, pinned beacons."""
    if not log_vkeys:
        raise PortalBuildError("trust.json needs at least one log verifier key")
    wp = policy_to_json(policy)
    wp.pop("logs", None)
    # The trust root holds what verification needs, never network locations: a witness
    # moving to another URL (every demo run picks new ports) must not change the
    # fingerprint people compare (docs/spec/verification.md "Trust root").
    for w in wp["witnesses"]:
        w.pop("url", None)
    beacons = {}
    for chain in chains:
        info = format_chain_info_json(chain)
        # The JS reads `scheme` and `chain_hash`; the drand names stay for other readers.
        info.update(scheme=chain.scheme, chain_hash=chain.chain_hash.hex(), local=chain.local)
        beacons[chain.chain_hash.hex()] = info
    log: dict[str, Any] = {"origin": origin}
    if len(log_vkeys) == 1:
        log["vkey"] = log_vkeys[0]
    else:
        log["vkeys"] = list(log_vkeys)
    return {"log": log, "witness_policy": wp, "beacons": beacons, "margin_seconds": margin_seconds}


# -- file writing -------------------------------------------------------------------------


class _Writer:
    def __init__(self, out: Path, report: BuildReport) -> None:
        self.out = out
        self.report = report

    def _atomic(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, target)
        self.report.files_written.append(target.relative_to(self.out).as_posix())

    def update(self, rel: str, data: bytes) -> None:
        """Write `rel` unless it already holds exactly these bytes."""
        target = self.out / rel
        try:
            if target.read_bytes() == data:
                self.report.files_unchanged += 1
                return
        except FileNotFoundError:
            pass
        self._atomic(target, data)

    def once(self, rel: str, data: bytes) -> bool:
        """Write-once: a file that exists is never rewritten. False if it held other bytes."""
        target = self.out / rel
        if target.exists():
            self.report.files_unchanged += 1
            return target.read_bytes() == data
        self._atomic(target, data)
        return True


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def _copy_tree(writer: _Writer, src: Path, rel: str) -> None:
    for path in sorted(src.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            writer.update(f"{rel}/{path.relative_to(src).as_posix()}", path.read_bytes())


def _note_size(note: bytes, what: str) -> int:
    try:
        return parse_checkpoint(parse_note(note).text).tree_size
    except TransparencyError as e:
        raise PortalBuildError(f"{what} is not a checkpoint note: {e}") from e


# -- build ---------------------------------------------------------------------------------


def read_log_index(storage: LogStorage, tree_size: int) -> LogIndex:
    """Scan entries [0, tree_size) of the log in batches."""
    def batches() -> Any:
        for start in range(0, tree_size, SCAN_BATCH):
            yield from enumerate(storage.read_entries(start, min(tree_size, start + SCAN_BATCH)),
                                 start=start)
    return scan_log(batches())


def _publish_checkpoint(writer: _Writer, note: bytes, what: str) -> str:
    """log/checkpoints/<size> (write-once); a different note of the same size gets a hash suffix."""
    size = _note_size(note, what)
    rel = f"log/checkpoints/{size}"
    if not writer.once(rel, note):
        rel = f"{rel}-{hashlib.sha256(note).hexdigest()[:16]}"
        writer.once(rel, note)
    return rel


def _write_proofs(writer: _Writer, storage: LogStorage, note: bytes,
                  index: LogIndex) -> dict[int, str]:
    """data/proofs/<leaf>.tlog-proof (C2SP tlog-proof@v1, the entry in `extra`) for every
    draw.announce/result/cancel, against the published checkpoint `note`. Rewritten when the
    checkpoint changes; leaf index -> path."""
    out: dict[int, str] = {}
    for i in sorted(index.draw_entries):
        entry = storage.read_entries(i, i + 1)[0]
        rel = f"data/proofs/{i}.tlog-proof"
        writer.update(rel, format_proof(prove_entry(note, i, storage, extra=entry)))
        out[i] = rel
    return out


def build_portal(out_dir: str | os.PathLike[str], inputs: PortalInputs) -> BuildReport:
    """Write (or update) the portal under `out_dir`; see the module docstring."""
    out = Path(out_dir)
    trust = dict(inputs.trust)
    if not isinstance(trust.get("log"), Mapping) or "witness_policy" not in trust:
        raise PortalBuildError("trust.json must have 'log' and 'witness_policy'")
    exported = export_log(inputs.storage, out / "log", cosigned_only=True)
    report = BuildReport(exported.tree_size, 0, exported.written, exported.skipped)
    writer = _Writer(out, report)
    current_note = (out / "log" / "checkpoint").read_bytes()
    size = _note_size(current_note, "the published checkpoint")
    index = read_log_index(inputs.storage, size)

    writer.update("trust.json", _json_bytes(trust))
    _copy_tree(writer, STATIC / "js", "assets/js")
    _copy_tree(writer, STATIC / "assets", "assets")
    checkpoints = [_publish_checkpoint(writer, current_note, "the published checkpoint")]
    proofs = _write_proofs(writer, inputs.storage, current_note, index)

    # Snapshot files: write-once, only when the publish mode allows (portal-data.md).
    published: dict[str, str] = {}
    for name, snap in index.snapshots.items():
        data = inputs.snapshots.get(name)
        if data is None or not snapshot_available(index, name):
            continue
        rel = f"data/snapshots/{name}.jsonl"
        if not writer.once(rel, data):
            raise PortalBuildError(f"{rel} exists with other bytes than snapshot {name} "
                                   f"(logged at index {snap.index})")
        published[name] = rel

    # The registry page's data (public_portal.registry_page): snapshots in log order, and
    # the ids document of every diff logged by its hash (write-once, checked against it).
    diff_documents, registry_json = registry_files(inputs.storage, index, inputs.snapshots,
                                                   published)
    for rel, data in diff_documents.items():
        if not writer.once(rel, data):
            raise PortalBuildError(f"{rel} exists with other bytes than the logged diff")
    writer.update("data/registry.json", registry_json)

    draws_out = []
    disk_snapshots: dict[str, list[str]] = {}
    for draw in index.draws.values():
        commitment = []
        note = inputs.commitments.get(draw.draw_id)
        if note is not None:
            rel = _publish_checkpoint(writer, note, f"the commitment checkpoint of {draw.draw_id}")
            commitment.append(rel)
            checkpoints.append(rel)
        # The first co-signed checkpoint covering the announce and the cancel: when each was
        # first publicly committed (commitment-timing, late-cancel: docs/spec/verification.md).
        for what, leaf in (("announce", draw.announce_index), ("cancel", draw.cancel_index)):
            first = inputs.storage.first_cosigned_covering(leaf) if leaf is not None else None
            if first is not None and first.tree_size <= size:
                rel = _publish_checkpoint(
                    writer, first.note, f"the first checkpoint covering the {what} of "
                    f"{draw.draw_id}")
                if rel not in commitment:
                    commitment.append(rel)
                checkpoints.append(rel)
        refs = {}
        for kind in ("units", "inspectors", "experts"):
            ref = draw.announce.get(kind)
            if not isinstance(ref, Mapping):
                continue
            ref_name = ref.get("snapshot")
            ref_snap = index.snapshots.get(ref_name) if isinstance(ref_name, str) else None
            refs[kind] = {"name": ref_name,
                          "path": published.get(ref_name) if isinstance(ref_name, str) else None,
                          "publish": ref_snap.publish if ref_snap else None}
        nav = {
            "draw_id": draw.draw_id, "announce_index": draw.announce_index,
            "result_index": draw.result_index, "cancel_index": draw.cancel_index,
            "result_indices": draw.result_indices, "commitment_checkpoints": commitment,
            "snapshots": refs, "outcome_indices": draw.outcome_indices,
            "proofs": {kind: proofs.get(i) if i is not None else None for kind, i in (
                ("announce", draw.announce_index), ("result", draw.result_index),
                ("cancel", draw.cancel_index))},
        }
        writer.update(f"data/draws/{draw.draw_id}.json", _json_bytes(nav))
        disk_snapshots[draw.draw_id] = [r["path"] for r in refs.values() if r["path"]]
        summary = index.summary(draw)
        draws_out.append(summary)
        writer.update(f"draw/{draw.draw_id}.html", render_draw_page(summary).encode())
    report.draws = len(draws_out)
    writer.update("data/draws.json", _json_bytes({"log_size": size, "draws": draws_out}))
    writer.update("data/log.json", _json_bytes({"log_size": size,
                                                "checkpoints": sorted(set(checkpoints))}))
    # Last, as they copy the files above: each draw's bundle for pages opened from disk.
    write_disk_bundles(out, disk_snapshots, writer.update, writer.once)
    writer.update("index.html", render_index(draws_out, size).encode())
    for page in ("log", "offline", "registry", "stats"):
        writer.update(f"{page}.html", render_static_page(page).encode())
    return report
