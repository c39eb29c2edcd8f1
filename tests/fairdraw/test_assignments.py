"""`fairdraw assignments`: verifies first, then prints a brigade's list; refuses tampering
and rollback; directory and real HTTP sources; table, csv and xlsx."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest

from draw_engine.calendar import load_default_calendar
from draw_engine.schedule import schedule_draw
from fairdraw.assignments import brigade_assignments
from fairdraw.portal_inputs import portal_draw_inputs
from fairdraw.portal_source import DirectorySource
from fairdraw.trust import load_trust
from fairdraw.verify import verify_draw
from tests.fairdraw.clienthelp import fairdraw
from tests.fairdraw.portal_fixture import PortalLog, honest_portal
from tests.fairdraw.test_verify import (
    DRAW,
    NOW,
    _edit_snapshot,
    _rebuild,
    _swap_member,
    http_portal,
)

__all__ = ["http_portal"]


@pytest.fixture
def portal(tmp_path: Path) -> PortalLog:
    p = honest_portal(tmp_path / "portal", NOW)
    (tmp_path / "trust.json").write_text(json.dumps(p.trust()))
    return p


def _args(p: PortalLog, source: str, *extra: str) -> list[str]:
    return [
        "assignments",
        "--source",
        source,
        "--brigade",
        "xingbin",
        "--trust",
        str(p.out.parent / "trust.json"),
        "--state",
        str(p.out.parent / "state.json"),
        *extra,
    ]


def _expected_rows(p: PortalLog) -> list[tuple[str, str]]:
    src = DirectorySource(p.out)
    inputs = portal_draw_inputs(src, DRAW)
    report = verify_draw(load_trust(json.dumps(p.trust()).encode()), inputs, now=NOW)
    rows = brigade_assignments(report, report.records, "xingbin", load_default_calendar())
    return [(r.status, r.unit_id) for r in rows]


def test_rows_are_the_brigades_units_with_names_and_notice_date(portal: PortalLog) -> None:
    units = {u["id"]: u for u in portal.unit_records}
    src = DirectorySource(portal.out)
    inputs = portal_draw_inputs(src, DRAW)
    report = verify_draw(load_trust(json.dumps(portal.trust()).encode()), inputs, now=NOW)
    recs = report.records  # the records whose roots matched the logged snapshots
    rows = brigade_assignments(report, recs, "xingbin", load_default_calendar())
    selected = [
        s for s in report.computed["selected"] if units[s["unit_id"]]["brigade"] == "xingbin"
    ]
    assert [r.unit_id for r in rows if r.status == "selected"] == [s["unit_id"] for s in selected]
    assert selected, "the fixture draw must select some xingbin units"
    names = {i["id"]: i["name"] for i in portal.inspector_records}
    for r, s in zip(rows, selected, strict=False):
        assert r.unit_name == units[r.unit_id]["name"]
        assert r.address == units[r.unit_id]["address"]
        for m in s["team"]["members"]:
            assert f"{m['person_id']} {names[m['person_id']]}" in r.team
    # each unit has its day in the draw's schedule (a December 2026 working day, official
    # calendar) and the notice goes out one working day before it
    cal = load_default_calendar()
    schedule = schedule_draw(report.announce, report.computed["selected"], cal)
    for r in rows:
        if r.status == "reserve":
            assert (r.planned_date, r.notice_date, r.calendar) == ("", "", "")
            continue
        planned = dt.date.fromisoformat(r.planned_date)
        assert planned == schedule.units[r.unit_id].date
        assert cal.is_working_day(planned)
        assert "2026-12-01" <= r.planned_date <= "2026-12-31"
        assert r.notice_date == cal.working_days_before(planned, 1).isoformat()
        assert r.calendar == "official 正式"
    assert len({r.planned_date for r in rows if r.status == "selected"}) > 1  # spread
    with pytest.raises(Exception, match="unknown brigade 'nowhere'"):
        brigade_assignments(report, recs, "nowhere", cal)


def test_cli_table_csv_xlsx_from_directory(portal: PortalLog, tmp_path: Path) -> None:
    want = _expected_rows(portal)
    r = fairdraw(*_args(portal, str(portal.out)))
    assert r.returncode == 0, r.stderr
    for _status, uid in want:
        assert uid in r.stdout
    r = fairdraw(
        *_args(portal, str(portal.out), "--format", "csv", "--out", str(tmp_path / "a.csv"))
    )
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "a.csv").read_text("utf-8-sig"))))
    assert [(x["状态 status"], x["单位编号 unit"]) for x in rows] == want
    r = fairdraw(
        *_args(portal, str(portal.out), "--format", "xlsx", "--out", str(tmp_path / "a.xlsx"))
    )
    assert r.returncode == 0, r.stderr
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "a.xlsx").active
    assert ws.max_row == len(want) + 1
    header = [c.value for c in ws[1]]
    assert header[:3] == ["抽查编号 draw", "状态 status", "单位编号 unit"]
    planned = ws.cell(row=2, column=header.index("计划日期 planned") + 1)
    assert isinstance(planned.value, dt.datetime)  # a real date cell, not text
    assert planned.number_format == "yyyy-mm-dd"
    assert ws.column_dimensions["D"].width > 10  # unit names are wide
    assert ws.freeze_panes == "A2"
    assert fairdraw(*_args(portal, str(portal.out), "--format", "pdf")).returncode == 2


def test_cli_over_real_http(http_portal) -> None:
    portal, url = http_portal
    (portal.out.parent / "trust.json").write_text(json.dumps(portal.trust()))
    r = fairdraw(*_args(portal, url))
    assert r.returncode == 0, r.stderr
    assert all(uid in r.stdout for _s, uid in _expected_rows(portal))


@pytest.mark.parametrize(
    ("tamper", "check"),
    [
        (_edit_snapshot, "snapshot-roots"),
        (lambda p: _rebuild(p, tamper=_swap_member), "recompute"),
    ],
)
def test_cli_refuses_tampered_portal(portal: PortalLog, tamper, check) -> None:
    tamper(portal)
    r = fairdraw(*_args(portal, str(portal.out)))
    assert r.returncode == 1
    assert check in r.stderr + r.stdout
    assert "REFUSED" in r.stderr
    assert "单位编号" not in r.stdout  # no assignment table printed


def test_cli_catches_rollback_to_an_older_portal(portal: PortalLog, tmp_path: Path) -> None:
    older = tmp_path / "older"
    shutil.copytree(portal.out, older)
    portal.append(  # the log grows (a cancel naming announce 2 would now be caught)
        {"type": "inspection.outcome", "v": 1, "draw_id": DRAW, "unit_id": "U1",
         "date": "2026-12-02", "result": "compliant", "note": "", "evidence_sha256": []}
    )
    portal.cosign(NOW)
    portal.write()
    assert fairdraw(*_args(portal, str(portal.out))).returncode == 0
    r = fairdraw(*_args(portal, str(older)))
    assert r.returncode == 4
    assert "rolled back" in r.stderr
    assert "checkpoint seen before" in r.stderr
    assert "单位编号" not in r.stdout


def test_a_draw_cancelled_for_a_missed_commitment_blocks_no_brigade(tmp_path: Path) -> None:
    """The documented path: commitment missed -> cancel -> re-draw superseding it. Without
    --draw every brigade still gets its list (the cancelled draw is skipped, saying so);
    --draw on the cancelled draw says it was cancelled."""
    from public_portal.builder import build_portal, inputs_from_store, trust_document
    from tests.draw_engine.test_lifecycle import SETTINGS, World

    w = World()
    w.setup_snapshots()
    s = w.service
    s.announce(w.plan("d-ok"))
    s.publish_checkpoint()
    s.execute("d-ok")
    missed = s.announce(w.plan("d-missed"))
    w.clock.now = missed.round_time + 5  # nothing co-signed the announce in time
    with pytest.raises(Exception, match="no co-signed checkpoint covers its announce"):
        s.execute("d-missed")
    s.cancel("d-missed", "commitment missed / 承诺未按时副署")
    s.announce(w.plan("d-redraw", supersedes="d-missed"))
    s.publish_checkpoint()
    s.execute("d-redraw")
    s.publish_checkpoint()
    trust = trust_document(origin=w.log_signer.name, log_vkeys=[w.log_signer.verifier_key],
                           policy=w.witnesses.policy, chains=[w.source.chain],
                           margin_seconds=SETTINGS.commitment_margin)
    build_portal(tmp_path / "portal", inputs_from_store(w.storage, w.store, trust))
    (tmp_path / "trust.json").write_text(json.dumps(trust))

    def run(brigade: str, *extra: str):
        return fairdraw("assignments", "--source", str(tmp_path / "portal"), "--brigade",
                        brigade, "--trust", str(tmp_path / "trust.json"), "--state",
                        str(tmp_path / f"state-{brigade}.json"), "--max-age", "999999999",
                        "--format", "csv", *extra)

    for brigade in ("xingbin", "heshan"):
        r = run(brigade)
        assert r.returncode == 0, r.stderr
        assert "skipped: draw d-missed was cancelled" in r.stderr
        drawn = {row["抽查编号 draw"] for row in csv.DictReader(io.StringIO(
            r.stdout.lstrip("\ufeff")))}
        assert drawn == {"d-ok", "d-redraw"}
    r = run("xingbin", "--draw", "d-missed")
    assert r.returncode == 2
    assert "draw d-missed was cancelled" in r.stderr
