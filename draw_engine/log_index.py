"""The store's index of the log's draw entries (DESIGN §2; docs/spec/lifecycle.md).

Every lifecycle write appends to the log first and then brings the index in
the `DrawStore` up to date from the log, so a crash between the two is
repaired by the next `index_log`. Indexing is idempotent: an entry the index
already holds changes nothing. What is indexed: a `registry.snapshot` gets
the leaf index of the stored snapshot it logs; a `draw.announce` becomes a
`DrawRecord` (and marks the draw it supersedes); `draw.result` and
`draw.cancel` set the draw's status and leaf index; an `inspection.outcome`
becomes an `OutcomeRecord`.

Left out: checking the entries (the log accepted them from the lifecycle,
which checked them; `fairdraw.audit` re-checks a whole log independently).
"""

from __future__ import annotations

import json
from dataclasses import replace

from draw_engine import plan as plans
from draw_engine.store import DrawRecord, DrawStore, DrawTx, OutcomeRecord
from transparency.storage import LogStorage

SYNC_CHUNK = 1000
"""Entries indexed per store transaction."""


def index_log(storage: LogStorage, store: DrawStore, *, chunk: int = SYNC_CHUNK) -> int:
    """Index the log entries appended since the last run; return the new watermark."""
    size = storage.tree_size()
    while True:
        with store.transaction() as tx:
            start = tx.watermark()
            if start >= size:
                return start
            end = min(size, start + chunk)
            for offset, data in enumerate(storage.read_entries(start, end)):
                index_entry(tx, start + offset, data)
            tx.set_watermark(end)


def index_entry(tx: DrawTx, index: int, data: bytes) -> None:
    """Index one log entry (idempotent for entries the index already holds)."""
    try:
        entry = json.loads(data)
    except ValueError:
        return
    if not isinstance(entry, dict):
        return
    kind = entry.get("type")
    if kind == "registry.snapshot":
        snap = tx.get_snapshot(str(entry.get("snapshot")))
        if snap is not None and snap.log_index is None and snap.root == entry.get("root"):
            tx.set_snapshot_index(snap.name, index)
    elif kind == "draw.announce":
        if tx.get_draw(entry["draw_id"]) is not None:
            return
        tx.add_draw(DrawRecord(
            draw_id=entry["draw_id"], kind=entry["kind"], status="announced",
            announce_index=index, announce=bytes(data), beacon_round=entry["beacon"]["round"],
            round_time=plans.parse_time(entry["beacon"]["round_time"], "beacon.round_time"),
            supersedes=entry.get("supersedes")))
        old = tx.get_draw(entry["supersedes"]) if entry.get("supersedes") else None
        if old is not None and old.superseded_by is None:
            tx.update_draw(replace(old, status="superseded", superseded_by=entry["draw_id"]))
    elif kind in ("draw.result", "draw.cancel"):
        draw = tx.get_draw(str(entry.get("draw_id")))
        if draw is None or draw.result_index is not None or draw.cancel_index is not None:
            return
        status = draw.status if draw.status == "superseded" else (
            "drawn" if kind == "draw.result" else "cancelled")
        if kind == "draw.result":
            tx.update_draw(replace(draw, status=status, result_index=index))
        else:
            tx.update_draw(replace(draw, status=status, cancel_index=index))
    elif kind == "inspection.outcome":
        if any(o.unit_id == entry["unit_id"] for o in tx.list_outcomes(entry["draw_id"])):
            return
        tx.add_outcome(OutcomeRecord(index, entry["draw_id"], entry["unit_id"], entry["date"],
                                     entry["result"]))
