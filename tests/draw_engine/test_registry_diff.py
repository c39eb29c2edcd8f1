"""The registry snapshot diff (draw_engine/registry_diff.py)."""

from __future__ import annotations

from draw_engine.registry_diff import diff_records
from draw_engine.snapshot import make_snapshot, snapshot_entry


def test_entry_diff_equals_diff_records() -> None:
    v1 = make_snapshot("v1", "units", [{"id": f"U{i}", "x": i} for i in range(6)])
    v2 = make_snapshot("v2", "units", [{"id": f"U{i}", "x": i % 3} for i in range(2, 9)])
    for before, after in ((None, v1), (v1, v2), (v2, v1), (v1, v1)):
        expected = diff_records(before.records if before else (), after.records)
        assert snapshot_entry(after, previous=before)["diff"] == expected.as_json()
    assert diff_records(v1.records, v2.records).as_json() == {
        "added": 3, "removed": 2, "changed": 3}
