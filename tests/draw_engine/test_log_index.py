"""The store's log index: one entry model, results and cancels attached by announce_index."""

from __future__ import annotations

from draw_engine.canonical import canonical_json
from draw_engine.log_index import index_log
from draw_engine.store import MemoryDrawStore
from transparency.note_keys import Signer
from transparency.sequencer import Sequencer
from transparency.storage import MemoryStorage


def _announce(draw_id: str, supersedes: str | None = None) -> dict:
    return {
        "type": "draw.announce",
        "v": 1,
        "draw_id": draw_id,
        "kind": "routine",
        "beacon": {"round": 7, "round_time": "2026-12-01T00:00:00Z"},
        "supersedes": supersedes,
    }


def _closing(kind: str, draw_id: str, announce_index: int) -> dict:
    return {"type": kind, "v": 1, "draw_id": draw_id, "announce_index": announce_index}


def _index(entries: list) -> MemoryDrawStore:
    storage, store = MemoryStorage(), MemoryDrawStore()
    seq = Sequencer(storage, [Signer("test/log", bytes(32))], "test/log")
    seq.append([e if isinstance(e, bytes) else canonical_json(e) for e in entries])
    assert index_log(storage, store) == len(entries)
    return store


def _draw(store: MemoryDrawStore, draw_id: str):
    with store.transaction() as tx:
        return tx.get_draw(draw_id)


def test_result_and_cancel_close_the_announce_they_name() -> None:
    store = _index(
        [
            _announce("A"),  # 0
            _announce("B"),  # 1
            _closing("draw.cancel", "B", 0),  # 2: names B but points at A's announce
            _closing("draw.result", "A", 0),  # 3
            _closing("draw.cancel", "B", 1),  # 4
        ]
    )
    a, b = _draw(store, "A"), _draw(store, "B")
    assert (a.status, a.result_index, a.cancel_index) == ("drawn", 3, None)
    assert (b.status, b.cancel_index) == ("cancelled", 4)


def test_entries_the_model_refuses_are_not_indexed() -> None:
    store = _index(
        [
            b'{"v":1,"type":"draw.announce","draw_id":"X"}',  # not canonical JSON
            _announce("A"),
            {"type": "draw.result", "v": 1, "draw_id": "A", "announce_index": "1"},  # bad index
            _announce("A2", supersedes="A"),
        ]
    )
    assert _draw(store, "X") is None
    a = _draw(store, "A")
    assert (a.status, a.result_index, a.superseded_by) == ("superseded", None, "A2")
