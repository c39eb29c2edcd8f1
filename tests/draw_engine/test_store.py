"""DrawStore conformance: the memory and SQL (SQLite file, PostgreSQL) stores behave alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from draw_engine.migrations import VERSION_TABLE, upgrade
from draw_engine.sql_store import SqlDrawStore
from draw_engine.store import (
    DrawRecord,
    MemoryDrawStore,
    OutcomeRecord,
    StoredSnapshot,
    StoredVersion,
    StoreError,
)
from transparency.migrations import VERSION_TABLE as LOG_VERSION_TABLE
from transparency.sql import SqlStorage

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "memory":
        yield MemoryDrawStore()
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'draws.db'}"
    else:
        url = request.getfixturevalue("postgres_schema_url")
    s = SqlDrawStore.open(url)
    try:
        yield s
    finally:
        s.close()


def version(kind: str, n: int) -> StoredVersion:
    return StoredVersion(kind, n, b'{"id":"U1"}\n', 1, "units.csv", "ab" * 32, NOW)


def snapshot(name: str, log_index: int | None = None) -> StoredSnapshot:
    return StoredSnapshot(name, "units", "cd" * 32, 1, "at_announce", b'{"id":"U1"}\n',
                          "registry:units:1", None, log_index, NOW)


def draw(draw_id: str, announce_index: int, **kw: Any) -> DrawRecord:
    return DrawRecord(draw_id=draw_id, kind="routine", status="announced",
                      announce_index=announce_index, announce=b"{}", beacon_round=7,
                      round_time=1_700_000_000, **kw)


def test_versions(store: Any) -> None:
    with store.transaction() as tx:
        assert tx.latest_version("units") is None
        tx.add_version(version("units", 1))
        tx.add_version(version("units", 2))
        tx.add_version(version("inspectors", 1))
    with store.transaction() as tx:
        latest = tx.latest_version("units")
        assert latest == version("units", 2)
        with pytest.raises(StoreError, match=r"exists already|conflicts"):
            tx.add_version(version("units", 2))
        # the failed write did not spoil the unit of work
        assert tx.latest_version("inspectors") == version("inspectors", 1)


def test_snapshots(store: Any) -> None:
    with store.transaction() as tx:
        tx.add_snapshot(snapshot("b"))
        tx.add_snapshot(snapshot("a", log_index=3))
    with store.transaction() as tx:
        assert [s.name for s in tx.list_snapshots()] == ["b", "a"]  # creation order
        tx.set_snapshot_index("b", 4)
        assert tx.get_snapshot("b") == snapshot("b", 4)
        with pytest.raises(StoreError):
            tx.set_snapshot_index("b", 3)  # index 3 names "a"
        with pytest.raises(StoreError):
            tx.set_snapshot_index("zz", 9)
        with pytest.raises(StoreError):
            tx.add_snapshot(snapshot("a"))
    with store.transaction() as tx:
        assert tx.get_snapshot("b").log_index == 4
        assert tx.get_snapshot("missing") is None


def test_draws(store: Any) -> None:
    with store.transaction() as tx:
        tx.add_draw(draw("d2", 5, plan='{"x":1}'))
        tx.add_draw(draw("d1", 2))
        with pytest.raises(StoreError):
            tx.add_draw(draw("d1", 9))
        with pytest.raises(StoreError):
            tx.add_draw(draw("d3", 5))  # announce index taken
    with store.transaction() as tx:
        assert [d.draw_id for d in tx.list_draws()] == ["d1", "d2"]
        d1 = tx.get_draw("d1")
        drawn = DrawRecord(**{**d1.__dict__, "status": "drawn", "result_index": 8,
                              "commitment_note": b"note\n", "commitment_size": 3})
        tx.update_draw(drawn)
        with pytest.raises(StoreError):
            tx.update_draw(draw("nope", 11))
    with store.transaction() as tx:
        assert tx.get_draw("d1") == drawn
        assert tx.get_draw("d2").plan == '{"x":1}'
    with pytest.raises(StoreError):
        DrawRecord(draw_id="x", kind="routine", status="lost", announce_index=1, announce=b"",
                   beacon_round=1, round_time=1)


def test_outcomes_and_watermark(store: Any) -> None:
    with store.transaction() as tx:
        assert tx.watermark() == 0
        tx.add_outcome(OutcomeRecord(10, "d1", "U1", "2026-03-02", "compliant"))
        tx.add_outcome(OutcomeRecord(7, "d2", "U1", "2026-03-01", "penalised"))
        tx.set_watermark(11)
    with store.transaction() as tx:
        assert [o.log_index for o in tx.list_outcomes()] == [7, 10]
        assert tx.list_outcomes("d1") == [OutcomeRecord(10, "d1", "U1", "2026-03-02", "compliant")]
        with pytest.raises(StoreError):
            tx.add_outcome(OutcomeRecord(12, "d1", "U1", "2026-03-03", "penalised"))
        assert tx.watermark() == 11
        tx.set_watermark(12)
        with pytest.raises(StoreError):
            tx.set_watermark(-1)
    with store.transaction() as tx:
        assert tx.watermark() == 12


def test_rollback_on_error(store: Any) -> None:
    def fail() -> None:
        with store.transaction() as tx:
            tx.add_draw(draw("gone", 1))
            tx.set_watermark(5)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail()
    with store.transaction() as tx:
        assert tx.get_draw("gone") is None
        assert tx.watermark() == 0


def test_shares_the_log_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    log = SqlStorage.open(url)
    upgrade(url)
    upgrade(url)  # idempotent
    with log.engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert {"log_entries", "draw_draws", "draw_snapshots", VERSION_TABLE,
                LOG_VERSION_TABLE} <= tables
        assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar_one() \
            == "0001_draw_tables"
    store = SqlDrawStore(log.engine)
    with store.transaction() as tx:
        tx.add_draw(draw("d", 0))
    with store.transaction() as tx:
        assert tx.get_draw("d") is not None
    log.close()
