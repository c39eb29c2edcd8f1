"""The registry snapshot diff (draw_engine/registry_diff.py) and its entry field.

The entry cases are tests/vectors/entries/snapshot-diff.json, read by the
browser's tests too (tests/public_portal/js/registry-diff.test.mjs).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from draw_engine.canonical import canonical_json
from draw_engine.entries import DiffIds, SnapshotDiffRef, parse_diff_ids
from draw_engine.errors import EntryError
from draw_engine.registry_diff import (
    INLINE_IDS_LIMIT,
    ChangedRecord,
    diff_records,
    entry_diff,
    first_entry_diff,
    format_ids,
)
from draw_engine.snapshot import make_snapshot, snapshot_entry
from tests.conftest import load_vectors

VECTORS = load_vectors("entries/snapshot-diff.json")["vectors"]


def test_entry_diff_equals_diff_records() -> None:
    v1 = make_snapshot("v1", "units", [{"id": f"U{i}", "x": i} for i in range(6)])
    v2 = make_snapshot("v2", "units", [{"id": f"U{i}", "x": i % 3} for i in range(2, 9)])
    for before, after in ((None, v1), (v1, v2), (v2, v1), (v1, v1)):
        expected = diff_records(before.records if before else (), after.records)
        assert snapshot_entry(after, previous=before)["diff"] == (
            entry_diff(expected) if before else first_entry_diff(after.count))
    assert diff_records(v1.records, v2.records).counts() == {
        "added": 3, "removed": 2, "changed": 3}


def test_ids_names_retired_and_reactivated() -> None:
    before = [
        {"id": "U1", "name": "甲", "status": "active", "地址": "一路"},
        {"id": "U2", "name": "乙", "status": "active"},
        {"id": "U3", "name": "丙", "status": "active"},
        {"id": "U6", "name": "己", "status": "defunct"},
        {"id": "U7", "name": "庚", "status": "active", "tags": ["a"]},
    ]
    after = [
        {"id": "U1", "name": "甲公司", "status": "active"},
        {"id": "U2", "name": "乙", "status": "defunct"},
        {"id": "U4", "name": "丁", "status": "active"},
        {"id": "U6", "name": "己", "status": "active"},
        {"id": "U7", "name": "庚", "status": "active", "tags": ["a"]},
    ]
    diff = diff_records(before, after)
    assert diff.added == ("U4",)
    assert diff.removed == ("U3",)
    assert diff.changed == (ChangedRecord("U1", ("name", "地址")), ChangedRecord("U2", ("status",)),
                            ChangedRecord("U6", ("status",)))
    assert diff.retired == ("U2",)
    assert diff.reactivated == ("U6",)
    assert diff.left_pool() == ("U2", "U3")
    field = entry_diff(diff)
    assert field == {"added": 1, "removed": 1, "changed": 3, "ids": diff.ids_json()}
    parsed = SnapshotDiffRef.of({"type": "registry.snapshot", "v": 1, "diff": field})
    assert parsed.ids is not None
    assert parsed.ids.left_pool() == ("U2", "U3")
    assert parsed.ids.changed[0] == ("U1", ("name", "地址"))


def test_first_snapshot_has_counts_only() -> None:
    snap = make_snapshot("s", "units", [{"id": "B"}, {"id": "A"}])
    entry = snapshot_entry(snap, previous=None)
    assert entry["diff"] == {"added": 2, "removed": 0, "changed": 0}
    ref = SnapshotDiffRef.of(entry)
    assert (ref.ids, ref.ids_sha256) == (None, None)


def test_a_big_diff_goes_by_hash_and_the_entry_stays_small() -> None:
    # A 1M-unit registry retiring 11,400 zombie records at once (DOMAIN.md, the Laibin pilot):
    # 18-character ids (统一社会信用代码) do not fit in one 65,535-byte log entry.
    ids = [f"91450100MA5{i:07d}" for i in range(20_000)]
    v1 = make_snapshot("v1", "units", [{"id": i, "status": "active"} for i in ids])
    v2 = make_snapshot("v2", "units", [{"id": i, "status": "defunct" if n < 11_400 else "active"}
                                       for n, i in enumerate(ids)])
    entry = snapshot_entry(v2, previous=v1)
    assert len(canonical_json(entry)) < 1024
    diff = diff_records(v1.records, v2.records)
    document = format_ids(diff)
    assert len(document) > INLINE_IDS_LIMIT
    assert entry["diff"] == {"added": 0, "removed": 0, "changed": 11_400,
                             "ids_sha256": hashlib.sha256(document).hexdigest()}
    ref = SnapshotDiffRef.of(entry)
    assert ref.check_ids_file(document).retired == tuple(ids[:11_400])
    # Just under the limit the ids stay inline.
    small = entry_diff(diff, inline_limit=len(document))
    assert "ids" in small
    assert "ids_sha256" not in small


def _expected(parsed: DiffIds | None) -> Any:
    if parsed is None:
        return None
    return {"added": list(parsed.added), "removed": list(parsed.removed),
            "changed": [{"id": i, "fields": list(f)} for i, f in parsed.changed],
            "retired": list(parsed.retired), "reactivated": list(parsed.reactivated)}


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vectors(vector: dict[str, Any]) -> None:
    expect = vector["expect"]

    def run() -> tuple[SnapshotDiffRef, DiffIds | None]:
        ref = SnapshotDiffRef.of(vector["entry"])
        if vector["op"] == "check_ids_file":
            return ref, ref.check_ids_file(vector["file"].encode())
        return ref, ref.ids

    if expect["result"] == "ok":
        ref, ids = run()
        assert (ref.added, ref.removed, ref.changed, ref.ids_sha256) == (
            expect["added"], expect["removed"], expect["changed"], expect["ids_sha256"])
        assert _expected(ids) == expect["ids"]
        assert (list(ids.left_pool()) if ids else None) == expect["left_pool"]
    else:
        with pytest.raises(EntryError) as info:
            run()
        assert expect["message"].lower() in str(info.value).lower()


def test_vector_file_is_what_the_generator_writes() -> None:
    from tests.draw_engine import gen_diff_vectors

    text = gen_diff_vectors.OUT.read_text(encoding="utf-8")
    assert json.loads(text)["vectors"] == json.loads(json.dumps(gen_diff_vectors.vectors()))


def test_parse_diff_ids_without_counts() -> None:
    assert parse_diff_ids({"added": [], "removed": ["X"], "changed": [], "retired": [],
                           "reactivated": []}).left_pool() == ("X",)
