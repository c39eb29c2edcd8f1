"""Notices (fairdraw.notices) and the team-load report on a real SQLite draw store.

A DrawService with the working-day calendar (the packaged 2026 notice; 2027 provisional)
announces and executes January 2027 draws; the schedule puts every selected unit on a
working day of the period, the notices of each working day list exactly the units planned
for the next one, nothing is lost, and every row and message of a provisional year says so.
The gateway endpoint is exercised through the real app with and without a token."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from draw_engine.calendar import load_default_calendar
from draw_engine.lifecycle import DrawService
from draw_engine.schedule import schedule_draw
from draw_engine.sql_store import SqlDrawStore
from draw_engine.team_load import draw_duties
from fairdraw.app import create_app, open_runtime
from fairdraw.db import upgrade_engine
from fairdraw.notices import (
    HEADERS,
    KEYS,
    NoticeError,
    format_csv,
    format_xlsx,
    notice_run,
    parse_date,
    team_load_report,
    write_per_brigade,
)
from fairdraw.settings import Settings
from tests.draw_engine.test_lifecycle import SETTINGS, World
from transparency.keyfile import write_signer_key_file
from transparency.note_keys import generate_signer

D = dt.date.fromisoformat
CAL = load_default_calendar()


class SqlWorld(World):
    """The lifecycle test world on a real SQLite draw store, with the calendar set."""

    def __init__(self, tmp_path: Path) -> None:
        self.engine = sa.create_engine(f"sqlite:///{tmp_path / 'draws.db'}")
        upgrade_engine(self.engine)
        super().__init__()

    def make_service(self, store: Any) -> DrawService:
        from dataclasses import replace

        return DrawService(store=SqlDrawStore(self.engine), storage=self.storage,
                           sequencer=self.sequencer, beacon=self.source,
                           cosigning=self.witnesses,
                           log_verifier_key=self.log_signer.verifier_key,
                           settings=replace(SETTINGS, calendar=CAL), clock=self.clock,
                           sleep=self.clock.sleep)


def _draw(w: SqlWorld, draw_id: str, period: tuple[str, str], **extra: Any) -> dict[str, Any]:
    s = w.service
    plan = w.plan(draw_id, period={"from": period[0], "to": period[1]}, recusals=[], **extra)
    s.announce(plan)
    s.publish_checkpoint()
    done = s.execute(draw_id)
    return {"announce": s.entry(done.announce_index), "result": s.entry(done.result_index)}


@pytest.fixture
def world(tmp_path: Path) -> SqlWorld:
    w = SqlWorld(tmp_path)
    w.setup_snapshots()
    return w


def _runtime(w: SqlWorld, tmp_path: Path, **settings: Any) -> Any:
    return SimpleNamespace(engine=w.engine, storage=w.storage,
                           settings=Settings(data_dir=tmp_path, **settings))


def test_schedule_on_working_days_and_notices_never_lose_a_unit(world: SqlWorld,
                                                                 tmp_path: Path) -> None:
    jan = _draw(world, "d-2027-01", ("2027-01-01", "2027-01-29"),
                strata=[{"name": "all", "match": {}, "quota": {"count": 30}}])
    announce, result = jan["announce"], jan["result"]
    assert announce["calendar"]["years"] == [2026, 2027]
    assert announce["calendar"]["provisional"] == [2027]
    schedule = schedule_draw(announce, result["selected"], CAL)
    assert schedule.calendar_as_announced is True
    dates = [u.date for u in schedule.units.values()]
    assert len(dates) == 30
    assert all(CAL.is_working_day(d) for d in dates)
    assert D("2027-01-01") not in dates  # New Year's Day (provisional calendar)
    per_day = Counter(dates)
    assert len(per_day) == len(schedule.days) == 20  # 30 units over 20 working days
    assert max(per_day.values()) - min(per_day.values()) <= 1
    # each officer's duties are spread: never two more on one day than on another
    for person in {p for u in schedule.units.values() for p in u.members}:
        load = Counter(u.date for u in schedule.units.values() if person in u.members)
        assert max(load.values()) <= 1 + min(load.get(d, 0) for d in schedule.days), person

    rt = _runtime(world, tmp_path, portal_url="https://portal.example.gov.cn/portal/")
    seen: list[str] = []
    for day in sorted({u.notice_date for u in schedule.units.values()}):
        run = notice_run(rt, day)
        assert run.working_day
        assert run.provisional
        assert "provisional 临时" in " ".join(run.notes())
        for row in run.rows:
            planned = schedule.units[row["unit_id"]]
            assert row["inspection_date"] == planned.date.isoformat()
            assert CAL.working_days_before(planned.date, 1) == day
            assert row["calendar"] == "provisional 临时"
            assert "临时日历" in row["message"]
            assert "provisional calendar" in row["message_en"]
            assert "https://portal.example.gov.cn/portal/draw/d-2027-01.html" in row["message"]
            assert "人员" in row["message"]  # the inspectors' names
            assert "消防设施器材" in row["message"]  # what is checked
            seen.append(row["unit_id"])
    assert sorted(seen) == sorted(schedule.units)  # every unit notified exactly once
    first = notice_run(rt, D("2026-12-31"))  # Thursday before the first working day
    assert first.rows
    assert {r["inspection_date"] for r in first.rows} == {"2027-01-04"}
    holiday = notice_run(rt, D("2027-01-01"))
    assert holiday.rows == []
    assert not holiday.working_day
    assert "not a working day" in holiday.notes()[0]


def test_official_year_says_official_and_exports(world: SqlWorld, tmp_path: Path) -> None:
    dec = _draw(world, "d-2026-12", ("2026-12-01", "2026-12-31"))
    schedule = schedule_draw(dec["announce"], dec["result"]["selected"], CAL)
    assert not schedule.provisional
    day = min(u.notice_date for u in schedule.units.values())
    rt = _runtime(world, tmp_path)
    run = notice_run(rt, day)
    assert run.rows
    assert {r["calendar"] for r in run.rows} == {"official 正式"}
    assert all("临时" not in r["message"] and r["portal_link"] == "" for r in run.rows)
    text = format_csv(run.rows).decode("utf-8")
    assert text.startswith("\ufeff通知日期 notice_date,检查日期 inspection_date")
    parsed = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r[HEADERS["unit_id"]] for r in parsed] == [r["unit_id"] for r in run.rows]
    ws = load_workbook(io.BytesIO(format_xlsx(run.rows))).active
    assert [c.value for c in ws[1]] == [HEADERS[k] for k in KEYS]
    assert ws.cell(2, 2).value.date() == D(run.rows[0]["inspection_date"])
    files = write_per_brigade(run, tmp_path / "out", "csv")
    brigades = {r["brigade"] for r in run.rows}
    assert {f.name for f in files} == {f"notices-{day}-{b}.csv" for b in brigades}
    only = notice_run(rt, day, brigade="heshan")
    assert {r["brigade"] for r in only.rows} <= {"heshan"}
    assert len(only.rows) == sum(r["brigade"] == "heshan" for r in run.rows)
    with pytest.raises(NoticeError, match=r"unknown brigade 'nowhere'.*heshan"):
        notice_run(rt, day, brigade="nowhere")


def test_a_draw_that_cannot_be_scheduled_is_an_error_not_zero_rows(tmp_path: Path) -> None:
    w = World()  # no calendar in the lifecycle: the announce does not refuse the period
    w.setup_snapshots()
    w.engine = sa.create_engine(f"sqlite:///{tmp_path / 'draws.db'}")
    upgrade_engine(w.engine)
    w.store = SqlDrawStore(w.engine)
    w.service = w.make_service(w.store)
    w.setup_snapshots()
    _draw(w, "d-golden-week", ("2027-10-01", "2027-10-05"))  # all provisional holidays
    with pytest.raises(NoticeError, match=r"d-golden-week.*no working day"):
        notice_run(_runtime(w, tmp_path), D("2027-09-30"))


def test_lifecycle_refuses_a_period_without_working_day(world: SqlWorld) -> None:
    from draw_engine.lifecycle_errors import PlanError

    with pytest.raises(PlanError, match="no working day"):
        world.service.plan_draw(world.plan("d-x", period={"from": "2026-10-01",
                                                         "to": "2026-10-07"}))


def test_bad_dates_are_refused() -> None:
    for text in ("2026-02-30", "2026-2-1", "tomorrow"):
        with pytest.raises(NoticeError):
            parse_date(text)


def test_team_load_report_per_draw_and_month(world: SqlWorld, tmp_path: Path) -> None:
    a = _draw(world, "d-2027-01-a", ("2027-01-04", "2027-01-15"),
              strata=[{"name": "all", "match": {}, "quota": {"count": 13}}])
    b = _draw(world, "d-2027-01-b", ("2027-01-18", "2027-01-29"),
              strata=[{"name": "all", "match": {}, "quota": {"count": 7}}])
    per_draw, month = team_load_report(_runtime(world, tmp_path), "2027-01")
    # no zones in these plans: each brigade is its own group (xingbin: odd ids, heshan: even)
    groups = {"heshan": ["I02", "I04", "I06"], "xingbin": ["I01", "I03", "I05"]}
    assert [(r.scope, r.group) for r in per_draw] == [
        (d, g) for d in ("d-2027-01-a", "d-2027-01-b") for g in sorted(groups)]
    for row in per_draw:
        d = a if row.scope == "d-2027-01-a" else b
        duties = draw_duties(d["result"]["selected"])
        counts = [duties.get(p, 0) for p in groups[row.group]]
        assert row.officers == 3
        assert (row.duties, row.low, row.high) == (sum(counts), min(counts), max(counts))
    assert sum(r.duties for r in per_draw) == 2 * (13 + 7)  # one lead + one assistant each
    total = Counter()
    for d in (a, b):
        total.update(draw_duties(d["result"]["selected"]))
    everyone = next(r for r in month if r.group == "all")
    assert everyone.duties == 40
    assert (everyone.low, everyone.high) == (min(total.values()), max(total.values()))
    assert (everyone.best_low, everyone.best_high) == (6, 7)
    with pytest.raises(NoticeError, match="no drawn draw"):
        team_load_report(_runtime(world, tmp_path), "2027-02")
    with pytest.raises(NoticeError, match="YYYY-MM"):
        team_load_report(_runtime(world, tmp_path), "2027-1")


def test_gateway_endpoint_needs_an_operator_token(tmp_path: Path) -> None:
    write_signer_key_file(tmp_path / "log.key", generate_signer("localhost/notices/log"))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'svc.db'}", data_dir=tmp_path,
                        log_origin="localhost/notices/log")
    rt = open_runtime(settings)
    try:
        client = TestClient(create_app(settings, runtime=rt), raise_server_exceptions=False)
        assert client.get("/api/notices", params={"date": "2026-12-31"}).status_code == 401
        token = {"Authorization": f"Bearer {rt.auth.create_token('operator')[1]}"}
        ok = client.get("/api/notices", params={"date": "2026-12-31"}, headers=token)
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert body["rows"] == []
        assert body["working_day"] is True
        bad = client.get("/api/notices", params={"date": "2026-02-30"}, headers=token)
        assert bad.status_code == 400
        assert "not a calendar date" in bad.text
        assert client.post("/api/notices", params={"date": "2026-12-31"},
                           headers=token).status_code == 405
        json.dumps(body)
    finally:
        rt.close()
