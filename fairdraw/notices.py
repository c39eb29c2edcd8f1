"""Notices (检查通知): who is told, on which working day, who comes and what is checked.

DOMAIN.md: units are told one working day ahead (SMS / WeChat / phone) who
comes, when, and what is checked. Each selected unit of every DRAWN draw gets
an inspection date from `draw_engine.schedule` (a working day of the period,
spread over each officer's days, deterministic from the result and the
calendar) and a notice date one working day before it. `notice_run(runtime,
day)` lists the units whose notice date is `day`, one row each, with a message
text for a gateway (Chinese, and English) that names the unit, the date and
weekday, the inspectors' names, what is checked and the portal page where the
draw can be checked (setting `portal_url`).

The calendar is the packaged official notices plus the operator's
`calendar_file`; a year without an official notice is provisional (临时): every
row's `calendar` column, every message and the command's output say so until
the notice is loaded. A draw whose schedule cannot be made for a date it
concerns (no working day in its period, a year outside the calendar) is an
error naming the draw, never 0 rows with success.

Exports: CSV (UTF-8 with BOM) and XLSX with bilingual headers, all brigades or
per brigade; JSON for the messaging gateway (`GET /api/notices`, operator
token, read-only: `create_notices_router`). `phone` comes from the latest
imported registry version (private: for the gateway, never published).
Reads the store and the log only, so it runs beside `fairdraw serve`.
Left out: sending the messages (the gateway does), delivery receipts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from openpyxl import Workbook
from openpyxl.styles import Font

from draw_engine.calendar import LABELS, OFFICIAL, PROVISIONAL, CalendarError, WorkCalendar
from draw_engine.calendar import load_calendar as _load_calendar
from draw_engine.schedule import Schedule, ScheduleError, calendar_note, schedule_draw
from draw_engine.snapshot import parse_records
from draw_engine.sql_store import SqlDrawStore
from draw_engine.team_load import Spread, draw_spread, month_spread
from fairdraw.errors import FairdrawError

KEYS = ("notice_date", "inspection_date", "calendar", "draw_id", "unit_id", "unit_name",
        "address", "brigade", "phone", "lead", "assistants", "experts", "checks",
        "portal_link", "message", "message_en")
HEADERS = {
    "notice_date": "通知日期 notice_date", "inspection_date": "检查日期 inspection_date",
    "calendar": "日历 calendar", "draw_id": "抽查编号 draw_id", "unit_id": "单位编号 unit_id",
    "unit_name": "单位名称 unit_name", "address": "地址 address", "brigade": "大队 brigade",
    "phone": "电话 phone", "lead": "主办 lead", "assistants": "协办 assistants",
    "experts": "专家 experts", "checks": "检查内容 checks", "portal_link": "核实链接 portal_link",
    "message": "通知短信 message", "message_en": "message (English)",
}
FORMATS = ("csv", "xlsx")
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
BASE_CHECKS = ("消防安全责任制落实", "消防设施器材", "疏散通道和安全出口", "火灾隐患整改")
BASE_CHECKS_EN = ("fire-safety duties", "fire equipment", "escape routes and exits",
                  "hazard rectification")
TAG_CHECKS = {  # unit tag -> (中文, English): checked harder (DOMAIN.md)
    "high_rise": ("高层建筑消防设施和消防车通道", "high-rise fire systems and fire lanes"),
    "ebike_parking": ("电动自行车停放充电场所", "e-bike parking and charging"),
}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
WINDOW_DAYS = 40
"""A draw concerns a notice day from this many days before its period to its end (the
notice of the first working day lies at most one holiday block before the period)."""


class NoticeError(FairdrawError, ValueError):
    """The date, brigade or calendar is unusable, or a draw cannot be scheduled."""


def parse_date(text: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise NoticeError(f"--date must be YYYY-MM-DD, got {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise NoticeError(f"--date {text!r} is not a calendar date") from e


def load_calendar(settings: Any) -> WorkCalendar:
    """The packaged notices plus the settings' `calendar_file` (NoticeError if unusable)."""
    path = getattr(settings, "calendar_file", None)
    try:
        return _load_calendar(settings.path(path) if path is not None else None)
    except CalendarError as e:
        raise NoticeError(str(e)) from e


@dataclass
class NoticeRun:
    day: dt.date
    working_day: bool
    rows: list[dict[str, str]] = field(default_factory=list)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    """Every draw the day concerns, with its schedule (also those with no row that day)."""

    @property
    def provisional(self) -> bool:
        return any(s.provisional for s in self.schedules.values())

    def notes(self) -> list[str]:
        out = [] if self.working_day else [
            f"{self.day} is not a working day (weekend or holiday): no notice goes out on it "
            "(非工作日，不发通知)"]
        out += [f"{d}: {calendar_note(s)}" for d, s in sorted(self.schedules.items())]
        return out

    def to_json(self) -> dict[str, Any]:
        return {"date": self.day.isoformat(), "working_day": self.working_day,
                "provisional": self.provisional, "notes": self.notes(),
                "draws": {d: {"calendar_sha256": s.calendar_sha256,
                              "announced_calendar_sha256": s.announced_sha256,
                              "provisional_years": list(s.provisional_years)}
                          for d, s in sorted(self.schedules.items())},
                "rows": self.rows}


def _names(team: Mapping[str, Any] | None, role: str, names: Mapping[str, str]) -> list[str]:
    return [names.get(m["person_id"], m["person_id"])
            for m in (team or {}).get("members", ()) if m["role"] == role]


def _ids(team: Mapping[str, Any] | None, role: str, names: Mapping[str, str]) -> str:
    return "; ".join(f"{m['person_id']} {names.get(m['person_id'], '')}".strip()
                     for m in (team or {}).get("members", ()) if m["role"] == role)


def checks_for(unit: Mapping[str, Any]) -> tuple[str, str]:
    """What is checked, (中文, English), from the unit's public tags."""
    tags = unit.get("tags") or []
    zh = list(BASE_CHECKS) + [TAG_CHECKS[t][0] for t in sorted(TAG_CHECKS) if t in tags]
    en = list(BASE_CHECKS_EN) + [TAG_CHECKS[t][1] for t in sorted(TAG_CHECKS) if t in tags]
    return "、".join(zh), ", ".join(en)


def portal_link(portal_url: str, draw_id: str) -> str:
    """The draw's page on the public portal ("" when `portal_url` is not set)."""
    if not portal_url:
        return ""
    return f"{portal_url.rstrip('/')}/draw/{draw_id}.html"


def message_texts(*, authority: str, unit: Mapping[str, Any], unit_id: str, draw_id: str,
                  day: dt.date, team: Mapping[str, Any] | None, names: Mapping[str, str],
                  link: str, provisional: bool) -> tuple[str, str]:
    """The SMS / WeChat text, (中文, English). No phone number or private data in it."""
    people = _names(team, "lead", names) + _names(team, "assist", names)
    experts = _names(team, "expert", names)
    checks_zh, checks_en = checks_for(unit)
    name = str(unit.get("name", unit_id))
    zh = (f"【{authority}】{name}：按“双随机、一公开”抽查（{draw_id}），定于"
          f"{day.year}年{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）对贵单位开展消防监督"
          f"检查，检查人员：{'、'.join(people) or '待定'}")
    en = (f"[{authority}] {name}: drawn in random inspection {draw_id}; fire-safety inspection "
          f"on {day.isoformat()} ({day.strftime('%A')}) by {', '.join(people) or 'to be named'}")
    if experts:
        zh += f"，专家：{'、'.join(experts)}"
        en += f", expert(s) {', '.join(experts)}"
    zh += f"。检查内容：{checks_zh}。"
    en += f". Checked: {checks_en}."
    if link:
        zh += f"抽查可在公示门户核实：{link}（单位编号{unit_id}）。"
        en += f" Check the draw on the public portal: {link} (unit {unit_id})."
    if provisional:
        zh += "日期按临时日历安排（当年节假日安排尚未公布），如有调整另行通知。"
        en += (" The date follows a provisional calendar (this year's holiday notice is not "
               "published yet); you will be told if it moves.")
    return zh, en


def _concerns(announce: Mapping[str, Any], day: dt.date) -> bool:
    first = dt.date.fromisoformat(announce["period"]["from"])
    last = dt.date.fromisoformat(announce["period"]["to"])
    return first - dt.timedelta(days=WINDOW_DAYS) <= day <= last


def notice_run(runtime: Any, day: dt.date, *, calendar: WorkCalendar | None = None,
               brigade: str | None = None, portal_url: str | None = None) -> NoticeRun:
    """The notices for `day` (see the module docstring); `brigade` (code or name) filters."""
    cal = calendar if calendar is not None else load_calendar(runtime.settings)
    url = portal_url if portal_url is not None else str(
        getattr(runtime.settings, "portal_url", "") or "")
    try:
        working = cal.is_working_day(day)
    except CalendarError as e:
        raise NoticeError(str(e)) from e
    run = NoticeRun(day, working)
    store = SqlDrawStore(runtime.engine)
    with store.transaction() as tx:
        draws = [d for d in tx.list_draws() if d.status == "drawn" and d.result_index is not None]
        version = tx.latest_version("units")
        contacts = {}
        if version is not None:
            for line in version.records.splitlines():
                rec = json.loads(line)
                contacts[rec["id"]] = str(rec.get("phone") or "")
        snapshots = {s.name: s for s in tx.list_snapshots()}
    known: dict[str, str] = {}
    for draw in draws:
        announce = json.loads(draw.announce)
        if not _concerns(announce, day):
            continue
        index = draw.result_index
        assert index is not None  # filtered above
        result = json.loads(runtime.storage.read_entries(index, index + 1)[0])
        try:
            schedule = schedule_draw(announce, result["selected"], cal)
        except ScheduleError as e:
            raise NoticeError(f"no notices can be made for {day}: {e}") from e
        run.schedules[draw.draw_id] = schedule
        units = {r["id"]: r for r in parse_records(
            snapshots[announce["units"]["snapshot"]].records).records}
        names: dict[str, str] = {}
        for kind in ("inspectors", "experts"):
            ref = announce.get(kind)
            if ref and ref["snapshot"] in snapshots:
                names.update({r["id"]: str(r.get("name", "")) for r in parse_records(
                    snapshots[ref["snapshot"]].records).records})
        for u in units.values():
            code = str(u.get("brigade", ""))
            if not known.get(code):
                known[code] = str(u.get("brigade_name", ""))
        link = portal_link(url, draw.draw_id)
        for sel in result["selected"]:
            planned = schedule.units[sel["unit_id"]]
            if planned.notice_date != day:
                continue
            unit = units.get(sel["unit_id"], {})
            code = str(unit.get("brigade", ""))
            if brigade is not None and brigade.strip() not in (code, unit.get("brigade_name")):
                continue
            team = sel.get("team")
            provisional = planned.date.year in schedule.provisional_years or (
                day.year in schedule.provisional_years)
            zh, en = message_texts(
                authority=str(announce["authority"]), unit=unit, unit_id=sel["unit_id"],
                draw_id=draw.draw_id, day=planned.date, team=team, names=names, link=link,
                provisional=provisional)
            checks_zh, _ = checks_for(unit)
            run.rows.append({
                "notice_date": day.isoformat(), "inspection_date": planned.date.isoformat(),
                "calendar": LABELS[PROVISIONAL if provisional else OFFICIAL],
                "draw_id": draw.draw_id, "unit_id": sel["unit_id"],
                "unit_name": str(unit.get("name", "")), "address": str(unit.get("address", "")),
                "brigade": code, "phone": contacts.get(sel["unit_id"], ""),
                "lead": _ids(team, "lead", names), "assistants": _ids(team, "assist", names),
                "experts": _ids(team, "expert", names), "checks": checks_zh,
                "portal_link": link, "message": zh, "message_en": en,
            })
    if brigade is not None and known and brigade.strip() not in {*known, *known.values()}:
        listed = ", ".join(f"{c} {n}".rstrip() for c, n in sorted(known.items()))
        raise NoticeError(f"unknown brigade {brigade!r}: no unit of the draws {day} concerns "
                          f"belongs to it; known brigades: {listed}")
    run.rows.sort(key=lambda r: (r["brigade"], r["inspection_date"], r["draw_id"], r["unit_id"]))
    return run


# -- exports -------------------------------------------------------------------------------


def format_csv(rows: Sequence[Mapping[str, str]]) -> bytes:
    """CSV, bilingual header row, UTF-8 with BOM (spreadsheet software opens Chinese text)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([HEADERS[k] for k in KEYS])
    for r in rows:
        w.writerow([r[k] for k in KEYS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def format_xlsx(rows: Sequence[Mapping[str, str]], *, title: str = "notices") -> bytes:
    """One sheet: bold frozen bilingual header, dates as dates."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([HEADERS[k] for k in KEYS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for r in rows:
        ws.append([dt.date.fromisoformat(r[k]) if k.endswith("_date") else r[k] for k in KEYS])
    for row in ws.iter_rows(min_row=2):
        for cell, k in zip(row, KEYS, strict=True):
            if k.endswith("_date"):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


FORMATTERS: dict[str, Callable[[Sequence[Mapping[str, str]]], bytes]] = {
    "csv": format_csv, "xlsx": format_xlsx}


def write_per_brigade(run: NoticeRun, directory: Path, fmt: str) -> list[Path]:
    """One file per brigade with rows: DIR/notices-<date>-<brigade>.<fmt>."""
    directory.mkdir(parents=True, exist_ok=True)
    groups: dict[str, list[dict[str, str]]] = {}
    for r in run.rows:
        groups.setdefault(r["brigade"], []).append(r)
    written = []
    for code, rows in sorted(groups.items()):
        path = directory / f"notices-{run.day.isoformat()}-{code or 'none'}.{fmt}"
        path.write_bytes(FORMATTERS[fmt](rows))
        written.append(path)
    return written


def notices_csv(runtime: Any, date_text: str) -> tuple[bytes, int]:
    """(CSV bytes, row count) of the notices for `date_text`, all brigades."""
    run = notice_run(runtime, parse_date(date_text))
    return format_csv(run.rows), len(run.rows)


# -- team load (issue 18.8) ----------------------------------------------------------------

_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")


def team_load_report(runtime: Any, month: str) -> tuple[list[Spread], list[Spread]]:
    """(per draw, summed over the month) duty spreads of the drawn draws whose period starts
    in `month` (YYYY-MM), per zone (draw_engine.team_load). NoticeError if none is drawn."""
    if not _MONTH.fullmatch(month):
        raise NoticeError(f"--month must be YYYY-MM, got {month!r}")
    store = SqlDrawStore(runtime.engine)
    with store.transaction() as tx:
        draws = [d for d in tx.list_draws() if d.status == "drawn" and d.result_index is not None]
        snapshots = {s.name: s for s in tx.list_snapshots()}
    picked = []
    inspectors: dict[str, Mapping[str, Any]] = {}
    for draw in draws:
        announce = json.loads(draw.announce)
        if not announce["period"]["from"].startswith(month + "-"):
            continue
        index = draw.result_index
        assert index is not None  # filtered above
        result = json.loads(runtime.storage.read_entries(index, index + 1)[0])
        picked.append((announce, result["selected"]))
        ref = announce.get("inspectors")
        if ref and ref["snapshot"] in snapshots:
            for r in parse_records(snapshots[ref["snapshot"]].records).records:
                inspectors[r["id"]] = r  # the newest snapshot's record wins (announce order)
    if not picked:
        raise NoticeError(f"no drawn draw has a period starting in {month}")
    per_draw = [row for a, sel in picked for row in draw_spread(a, sel, inspectors.values())]
    return per_draw, month_spread(month, picked, list(inspectors.values()))


# -- the messaging gateway's endpoint ------------------------------------------------------


def create_notices_router(runtime: Any) -> Any:
    """`GET /notices?date=YYYY-MM-DD[&brigade=B]`: the NoticeRun as JSON (operator token)."""
    router = APIRouter(tags=["operator"])

    @router.get("/notices")
    def get_notices(
        date: str = Query(..., description="notice date YYYY-MM-DD"),
        brigade: str | None = Query(None, description="brigade code or name"),
        _principal: Any = Depends(runtime.auth.require_role("operator")),  # noqa: B008
    ) -> dict[str, Any]:
        """The units to notify on DATE, with their message texts (read-only)."""
        try:
            return notice_run(runtime, parse_date(date), brigade=brigade).to_json()
        except NoticeError as e:
            raise HTTPException(status_code=400, detail=str(e)) from e

    return router
