"""draw_engine.registry_versions: the mass-removal rule at its boundary, stored records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from draw_engine.lifecycle_errors import MassRemovalError
from draw_engine.registry import RegistryVersion
from draw_engine.registry_versions import (
    as_snapshot,
    check_removal,
    latest_registry_snapshot,
    read_jsonl,
)
from draw_engine.snapshot import format_records, make_snapshot
from draw_engine.store import MemoryDrawStore, StoredSnapshot


def _version(statuses: dict[str, str], version: int = 1) -> RegistryVersion:
    records = tuple({"id": i, "name": i, "brigade": "hq", "status": s}
                    for i, s in sorted(statuses.items()))
    return RegistryVersion("units", version, records)


def test_retiring_exactly_the_limit_passes_one_more_is_refused_with_the_counts() -> None:
    prev = _version({f"U{i}": "active" for i in range(10)})
    two_gone = _version({**{f"U{i}": "active" for i in range(2, 10)}, "U0": "defunct"}, 2)
    check_removal(prev, two_gone, 20)  # U0 retired, U1 dropped: 2 of 10 = 20 %
    three_gone = _version({f"U{i}": "active" for i in range(3, 10)}, 2)
    with pytest.raises(MassRemovalError) as e:
        check_removal(prev, three_gone, 20)
    assert (e.value.active, e.value.retired, e.value.limit_percent) == (10, 3, 20)
    assert e.value.kind == "units"


def test_only_previously_active_records_count() -> None:
    prev = _version({"A": "active", "B": "defunct", "C": "defunct", "D": "defunct"})
    check_removal(prev, _version({"A": "active"}, 2), 0)  # defunct ones may go at any limit
    check_removal(prev, _version({"A": "active", "N1": "active", "N2": "active"}, 2), 0)
    with pytest.raises(MassRemovalError):
        check_removal(prev, _version({"A": "defunct"}, 2), 99)
    check_removal(_version({}), _version({"A": "active"}, 2), 0)  # nothing active before


def test_stored_records_read_back_as_the_snapshot() -> None:
    records: list[dict[str, Any]] = [
        {"id": "U2", "name": "二", "status": "active"},
        {"id": "U1", "name": "一", "status": "active", "tags": ["x"]},
    ]
    snap = make_snapshot("units-1", "units", records)
    data = format_records(snap)
    assert read_jsonl(data) == sorted(records, key=lambda r: r["id"])
    assert read_jsonl(b"") == []
    stored = StoredSnapshot(name=snap.name, kind=snap.kind, root=snap.root_hex,
                            count=snap.count, publish="at_announce", records=data,
                            source="registry:units:1", prev=None, log_index=3,
                            created_at=datetime(2026, 12, 1, tzinfo=UTC))
    assert as_snapshot(stored) == snap


def test_the_latest_logged_registry_snapshot_is_the_one_diffed_against() -> None:
    store = MemoryDrawStore()
    snap = make_snapshot("units-1", "units", [{"id": "U1", "status": "active"}])

    def row(name: str, source: str, log_index: int | None, kind: str = "units") -> StoredSnapshot:
        return StoredSnapshot(name=name, kind=kind, root=snap.root_hex, count=1,
                              publish="at_announce", records=format_records(snap),
                              source=source, prev=None, log_index=log_index,
                              created_at=datetime(2026, 12, 1, tzinfo=UTC))

    with store.transaction() as tx:
        assert latest_registry_snapshot(tx, "units") is None
        tx.add_snapshot(row("units-1", "registry:units:1", 1))
        tx.add_snapshot(row("units-3", "registry:units:3", 7))
        tx.add_snapshot(row("units-2", "registry:units:2", 4))
        tx.add_snapshot(row("pending", "registry:units:4", None))  # not logged yet
        tx.add_snapshot(row("return-visit-2026Q4", "return_visit:2026Q4", 9))
        tx.add_snapshot(row("inspectors-1", "registry:inspectors:1", 8, kind="inspectors"))
        found = latest_registry_snapshot(tx, "units")
    assert found is not None
    assert found.name == "units-3"
