"""Registry versions and snapshots as the draw store keeps them, and the mass-removal rule.

The store holds a registry version's records, and a snapshot's, as canonical
JSON lines; the lifecycle turns them back into records and `Snapshot`s here,
finds the snapshot a new one is diffed against, and applies the rule that an
import may not retire too many active records at once (lifecycle.md §Registry
import). Pure: reads what it is given (and a store transaction), writes nothing.
"""

from __future__ import annotations

from typing import Any

from draw_engine.canonical import parse_json
from draw_engine.lifecycle_errors import MassRemovalError
from draw_engine.registry import RegistryVersion
from draw_engine.snapshot import Snapshot, parse_records
from draw_engine.store import DrawTx, StoredSnapshot


def check_removal(prev: RegistryVersion, new: RegistryVersion, limit_percent: int) -> None:
    """SPEC(lifecycle.md §Registry import): at most `limit_percent` of the active records of
    `prev` may stop being active in `new` (dropped from the file or marked retired in it)."""
    active = {str(r["id"]) for r in prev.records if r.get("status") == "active"}
    still = {str(r["id"]) for r in new.records if r.get("status") == "active"}
    retired = len(active - still)
    if active and retired * 100 > limit_percent * len(active):
        raise MassRemovalError(kind=new.kind, active=len(active), retired=retired,
                               limit_percent=limit_percent)


def read_jsonl(data: bytes) -> list[dict[str, Any]]:
    """A stored version's records: one canonical JSON object a line."""
    return [parse_json(line) for line in data.split(b"\n") if line]


def as_snapshot(stored: StoredSnapshot) -> Snapshot:
    """The `Snapshot` a stored snapshot row holds."""
    parsed = parse_records(stored.records)
    return Snapshot(stored.name, stored.kind, tuple(parsed.records), tuple(parsed.lines),
                    bytes.fromhex(stored.root))


def latest_registry_snapshot(tx: DrawTx, kind: str) -> StoredSnapshot | None:
    """The last logged snapshot of a `kind` registry: the one a new snapshot is diffed against
    (return-visit pools are not registry snapshots)."""
    found = [s for s in tx.list_snapshots()
             if s.kind == kind and s.log_index is not None and s.source.startswith("registry:")]
    return max(found, key=lambda s: s.log_index or 0, default=None)
