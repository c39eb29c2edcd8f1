"""The store's index of the log's draw entries (DESIGN §2; docs/spec/lifecycle.md).

Every lifecycle write appends to the log first and then brings the index in
the `DrawStore` up to date from the log, so a crash between the two is
repaired by the next `index_log`. Indexing is idempotent: an entry the index
already holds changes nothing. What is indexed: a `registry.snapshot` gets
the leaf index of the stored snapshot it logs; a `draw.announce` becomes a
`DrawRecord` (and marks the draw it supersedes); `draw.result` and
`draw.cancel` set the status and leaf index of the draw whose announce is at
their `announce_index`; an `inspection.outcome` becomes an `OutcomeRecord`.

Left out: checking the entries (the log accepted them from the lifecycle,
which checked them; `fairdraw.audit` re-checks a whole log independently).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from draw_engine.entries import (
    ANNOUNCE,
    CANCEL,
    OUTCOME,
    RESULT,
    SNAPSHOT,
    AnnounceRef,
    ClosingRef,
    OutcomeRef,
    entry_type,
    parse_entry,
)
from draw_engine.errors import EntryError
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
    """Index one log entry (idempotent for entries the index already holds).

    Entries are read with the one entry model (`draw_engine.entries`): bytes it
    refuses are not indexed. A result or cancel closes the draw whose announce
    is at its `announce_index` (as the verifiers attach them, docs/spec/
    verification.md), never a draw found by its `draw_id` alone."""
    try:
        _index(tx, index, data, parse_entry(data))
    except EntryError:
        return  # not an entry of ours, or a field the index needs is malformed


def _index(tx: DrawTx, index: int, data: bytes, entry: dict[str, Any]) -> None:
    kind = entry_type(entry)
    if kind == SNAPSHOT:
        snap = tx.get_snapshot(str(entry.get("snapshot")))
        if snap is not None and snap.log_index is None and snap.root == entry.get("root"):
            tx.set_snapshot_index(snap.name, index)
    elif kind == ANNOUNCE:
        ref = AnnounceRef.of(entry)
        if tx.get_draw(ref.draw_id) is not None:
            return
        tx.add_draw(DrawRecord(
            draw_id=ref.draw_id, kind=ref.kind, status="announced", announce_index=index,
            announce=bytes(data), beacon_round=ref.beacon_round, round_time=ref.round_time,
            supersedes=ref.supersedes))
        old = tx.get_draw(ref.supersedes) if ref.supersedes else None
        if old is not None and old.superseded_by is None:
            tx.update_draw(replace(old, status="superseded", superseded_by=ref.draw_id))
    elif kind in (RESULT, CANCEL):
        closing = ClosingRef.of(entry)
        draw = tx.get_draw(closing.draw_id)
        if (draw is None or draw.announce_index != closing.announce_index
                or draw.result_index is not None or draw.cancel_index is not None):
            return
        status = draw.status if draw.status == "superseded" else (
            "drawn" if kind == RESULT else "cancelled")
        if kind == RESULT:
            tx.update_draw(replace(draw, status=status, result_index=index))
        else:
            tx.update_draw(replace(draw, status=status, cancel_index=index))
    elif kind == OUTCOME:
        outcome = OutcomeRef.of(entry)
        record = OutcomeRecord(index, outcome.draw_id, outcome.unit_id, outcome.date,
                               outcome.result)
        in_force = [o.log_index for o in tx.list_outcomes(outcome.draw_id)
                    if o.unit_id == outcome.unit_id]
        if not in_force and outcome.supersedes is None:
            tx.add_outcome(record)
        elif in_force and outcome.supersedes == in_force[0]:
            tx.supersede_outcome(in_force[0], record)  # a correction: it is now in force
