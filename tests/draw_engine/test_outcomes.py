"""Outcomes (issue 18.7): never dated in the future; a correction is a new entry that names
the outcome it supersedes, both stay in the log, the store keeps the one in force; every
other second outcome is refused before anything is logged. Memory and SQLite stores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from draw_engine.errors import AnnounceError
from draw_engine.history import check_outcomes
from draw_engine.lifecycle_errors import DrawStateError, PlanError
from draw_engine.log_index import index_log
from draw_engine.sql_store import SqlDrawStore
from draw_engine.store import MemoryDrawStore
from tests.draw_engine.test_lifecycle import World

REFUSED = (AnnounceError, PlanError)  # a malformed field / a request the lifecycle refuses


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    w = World()
    if request.param != "memory":
        url = (f"sqlite:///{tmp_path / 'draws.db'}" if request.param == "sqlite"
               else request.getfixturevalue("postgres_schema_url"))
        w.store = SqlDrawStore.open(url)
        w.service = w.make_service(w.store)
    w.setup_snapshots()
    s = w.service
    s.announce(w.plan())
    s.publish_checkpoint()
    s.execute("d-2026-01")
    return w


def _today(w: World) -> str:
    return dt.datetime.fromtimestamp(w.clock(), dt.UTC).date().isoformat()


def _unit(w: World) -> str:
    draw = w.service.draw("d-2026-01")
    return w.service.entry(draw.result_index)["selected"][0]["unit_id"]


def test_future_dates_are_refused(world: World) -> None:
    s, unit = world.service, _unit(world)
    today = _today(world)
    tomorrow = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
    size = world.storage.tree_size()
    with pytest.raises(REFUSED, match=f"date {tomorrow} is in the future"):
        s.record_outcome("d-2026-01", unit, date=tomorrow, result="compliant")
    assert world.storage.tree_size() == size  # nothing logged
    o = s.record_outcome("d-2026-01", unit, date=today, result="compliant")
    assert o.log_index == size


def test_a_correction_supersedes_and_both_stay(world: World) -> None:
    s, unit = world.service, _unit(world)
    today = _today(world)
    first = s.record_outcome("d-2026-01", unit, date=today, result="compliant")
    size = world.storage.tree_size()
    with pytest.raises(DrawStateError, match=f"already has an outcome \\(log index "
                       f"{first.log_index}\\); a correction names it"):
        s.record_outcome("d-2026-01", unit, date=today, result="penalised")
    with pytest.raises(REFUSED, match="note"):  # a correction says why
        s.record_outcome("d-2026-01", unit, date=today, result="penalised",
                         supersedes=first.log_index)
    with pytest.raises(REFUSED, match=f"in force at log index {first.log_index}, not 1"):
        s.record_outcome("d-2026-01", unit, date=today, result="penalised", note="x",
                         supersedes=1)
    assert world.storage.tree_size() == size
    fixed = s.record_outcome("d-2026-01", unit, date=today, result="penalised",
                             note="wrong result entered / 录入错误", supersedes=first.log_index)
    entry = s.entry(fixed.log_index)
    assert entry["supersedes"] == first.log_index
    assert s.entry(first.log_index)["result"] == "compliant"  # the earlier one stays
    assert [(o.log_index, o.result) for o in s.outcomes("d-2026-01")] == [
        (fixed.log_index, "penalised")]
    # a correction of the superseded one is refused; of the one in force accepted
    with pytest.raises(REFUSED, match=f"in force at log index {fixed.log_index}"):
        s.record_outcome("d-2026-01", unit, date=today, result="compliant", note="y",
                         supersedes=first.log_index)
    again = s.record_outcome("d-2026-01", unit, date=today, result="rectification_ordered",
                             note="penalty withdrawn", supersedes=fixed.log_index)
    entries = [s.entry(i) for i in range(world.storage.tree_size())]
    h = check_outcomes(entries, "d-2026-01")
    assert h.superseded_by == {first.log_index: fixed.log_index,
                               fixed.log_index: again.log_index}
    assert h.current == {unit: again.log_index}
    # the store is an index of the log: rebuilt from scratch it keeps the one in force
    fresh = MemoryDrawStore()
    index_log(world.storage, fresh)
    with fresh.transaction() as tx:
        assert [(o.log_index, o.result) for o in tx.list_outcomes("d-2026-01")] == [
            (again.log_index, "rectification_ordered")]


def test_a_unit_with_no_outcome_has_nothing_to_correct(world: World) -> None:
    unit = _unit(world)
    with pytest.raises(REFUSED, match="has no outcome to correct"):
        world.service.record_outcome("d-2026-01", unit, date=_today(world),
                                     result="compliant", note="x", supersedes=2)
    with pytest.raises(REFUSED, match="supersedes"):
        world.service.record_outcome("d-2026-01", unit, date=_today(world),
                                     result="compliant", note="x", supersedes=-1)


def test_store_supersede_needs_the_outcome_in_force(world: World) -> None:
    from draw_engine.store import OutcomeRecord, StoreError

    unit = _unit(world)
    o = world.service.record_outcome("d-2026-01", unit, date=_today(world), result="compliant")
    store: Any = world.store
    with pytest.raises(StoreError, match="no outcome of unit"), store.transaction() as tx:
        tx.supersede_outcome(o.log_index + 7, OutcomeRecord(99, "d-2026-01", unit,
                                                            "2026-01-01", "penalised"))
    with pytest.raises(StoreError, match="no outcome of unit"), store.transaction() as tx:
        tx.supersede_outcome(o.log_index, OutcomeRecord(99, "d-2026-01", "U-other",
                                                        "2026-01-01", "penalised"))
    with store.transaction() as tx:
        assert [x.log_index for x in tx.list_outcomes("d-2026-01")] == [o.log_index]
