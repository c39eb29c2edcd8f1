"""A brigade's assignment list, taken only from a draw that verified.

Input: a `DrawReport` whose verdict is "pass" (the caller refuses otherwise)
and the snapshot records it verified. Output: one row per unit of the brigade
that the draw selected (and, marked "reserve", its published substitutes):
unit id, name, address, stratum, rank, team members with their names, the
planned period and the notice date. Units belong to a brigade by their
`brigade` attribute (DESIGN §4 unit record): inspections act in the name of
the territorially competent brigade even when officers come from another
brigade of the zone (DOMAIN.md).

Dates: each selected unit's inspection date is its day in the draw's schedule
(`draw_engine.schedule`: a working day of the period, spread over each
officer's days, recomputed here from the verified result and the calendar);
the notice date is one working day before it (DOMAIN.md: units are told one
working day ahead). Reserve units get no date (a reserve takes the date of the
unit it replaces). `calendar` says "official 正式" or "provisional 临时" (a year
without a loaded State Council notice); `schedule_notes` says whether the
calendar at hand is the one the announce committed to. Formats: aligned text
table, CSV (UTF-8 with BOM, so spreadsheet software opens Chinese text), XLSX
(openpyxl).
Left out: the duties of the brigade's own inspectors in other brigades.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from draw_engine.calendar import LABELS, OFFICIAL, PROVISIONAL, WorkCalendar
from draw_engine.schedule import Schedule, ScheduleError, calendar_note, schedule_draw
from fairdraw.portal_source import ClientError
from fairdraw.report import PASS, DrawReport

FORMATS = ("table", "csv", "xlsx")
ROLE_LABELS = {"lead": "主办", "assist": "协办", "expert": "专家"}


class AssignmentError(ClientError):
    """No assignment list can be made (draw not verified, unknown brigade…)."""


class UnknownBrigadeError(AssignmentError):
    """The brigade is neither a code nor a display name of the verified unit records."""

    def __init__(self, brigade: str, known: Mapping[str, str]) -> None:
        self.brigade, self.known = brigade, dict(known)
        listed = ", ".join(f"{code} {name}".rstrip() for code, name in sorted(known.items()))
        super().__init__(
            f"unknown brigade {brigade!r}: no unit of the verified registry belongs to it; "
            f"known brigades (code and name): {listed or 'none'}"
        )


BRIGADE_NAME = "brigade_name"
"""Optional public unit attribute: the brigade's display name (the demo's are Chinese)."""


def known_brigades(records: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, str]:
    """Brigade code -> display name ("" if the records carry none), from the unit records."""
    known: dict[str, str] = {}
    for u in records.get("units", ()):
        code, name = u.get("brigade"), u.get(BRIGADE_NAME)
        if isinstance(code, str):
            if isinstance(name, str) and name and not known.get(code):
                known[code] = name
            known.setdefault(code, "")
    return known


def resolve_brigade(records: Mapping[str, Sequence[Mapping[str, Any]]], brigade: str) -> str:
    """The brigade code meant by `brigade`: a code, or a display name the unit records carry
    (NFC-compared, surrounding spaces ignored). Raises UnknownBrigadeError listing the known
    ones: a misspelt brigade must never give an empty list that looks like "nothing to do"."""
    known = known_brigades(records)
    wanted = unicodedata.normalize("NFC", brigade.strip())
    if wanted in known:
        return wanted
    codes = [c for c, name in known.items()
             if name and unicodedata.normalize("NFC", name) == wanted]
    if len(codes) == 1:
        return codes[0]
    raise UnknownBrigadeError(brigade, known)


@dataclass(frozen=True)
class Assignment:
    draw_id: str
    status: str  # "selected" | "reserve"
    unit_id: str
    unit_name: str
    address: str
    stratum: str
    rank: int
    team: str
    period_from: str
    period_to: str
    planned_date: str
    notice_date: str
    calendar: str


COLUMNS = [f.name for f in fields(Assignment)]
HEADERS = {
    "draw_id": "抽查编号 draw",
    "status": "状态 status",
    "unit_id": "单位编号 unit",
    "unit_name": "单位名称 name",
    "address": "地址 address",
    "stratum": "分层 stratum",
    "rank": "序号 rank",
    "team": "检查组 team",
    "period_from": "计划开始 from",
    "period_to": "计划结束 to",
    "planned_date": "计划日期 planned",
    "notice_date": "通知日期 notice",
    "calendar": "日历 calendar",
}


def _team_text(team: Mapping[str, Any] | None, people: Mapping[str, Mapping[str, Any]]) -> str:
    if not team:
        return ""
    parts = []
    for m in team.get("members", []):
        person = people.get(m["person_id"], {})
        role = ROLE_LABELS.get(m["role"], m["role"])
        parts.append(f"{role} {m['person_id']} {person.get('name', '?')}")
    for role in team.get("unfilled", []):
        parts.append(f"{ROLE_LABELS.get(role, role)} (unfilled)")
    return "; ".join(parts)


def draw_schedule(report: DrawReport, calendar: WorkCalendar) -> Schedule:
    """The schedule of a verified draw (AssignmentError if none can be made)."""
    if report.verdict != PASS or report.computed is None or report.announce is None:
        raise AssignmentError(f"draw {report.draw_id} did not verify (verdict {report.verdict})")
    try:
        return schedule_draw(report.announce, report.computed["selected"], calendar)
    except ScheduleError as e:
        raise AssignmentError(str(e)) from e


def schedule_notes(report: DrawReport, calendar: WorkCalendar) -> str:
    """One line on the calendar the draw's dates come from (provisional, not as announced)."""
    return f"{report.draw_id}: {calendar_note(draw_schedule(report, calendar))}"


def brigade_assignments(
    report: DrawReport,
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    brigade: str,
    calendar: WorkCalendar,
) -> list[Assignment]:
    """The brigade's rows of a verified draw, selected units first (stratum order, rank).

    `brigade` is a code or a display name (`resolve_brigade`)."""
    schedule = draw_schedule(report, calendar)
    assert report.computed is not None
    assert report.announce is not None
    brigade = resolve_brigade(records, brigade)
    units = {u["id"]: u for u in records.get("units", ())}
    people = {p["id"]: p for kind in ("inspectors", "experts") for p in records.get(kind, ())}
    a = report.announce
    common = {
        "draw_id": a["draw_id"],
        "period_from": a["period"]["from"],
        "period_to": a["period"]["to"],
    }
    rows: list[Assignment] = []
    for sel in report.computed["selected"]:
        unit = units[sel["unit_id"]]
        if unit.get("brigade") != brigade:
            continue
        planned = schedule.units[sel["unit_id"]]
        provisional = {planned.date.year, planned.notice_date.year} & set(
            schedule.provisional_years)
        rows.append(
            Assignment(
                status="selected",
                unit_id=sel["unit_id"],
                unit_name=str(unit.get("name", "")),
                address=str(unit.get("address", "")),
                stratum=sel["stratum"],
                rank=sel["rank"],
                team=_team_text(sel.get("team"), people),
                planned_date=planned.date.isoformat(),
                notice_date=planned.notice_date.isoformat(),
                calendar=LABELS[PROVISIONAL if provisional else OFFICIAL],
                **common,
            )
        )
    for stratum in report.computed["strata"]:
        for pos, uid in enumerate(stratum["reserve"], start=1):
            unit = units[uid]
            if unit.get("brigade") == brigade:
                rows.append(
                    Assignment(
                        status="reserve",
                        unit_id=uid,
                        unit_name=str(unit.get("name", "")),
                        address=str(unit.get("address", "")),
                        stratum=stratum["name"],
                        rank=stratum["k"] + pos,
                        team="",
                        planned_date="",
                        notice_date="",
                        calendar="",
                        **common,
                    )
                )
    return rows


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(rows: Sequence[Assignment]) -> str:
    cols = [
        "status",
        "unit_id",
        "unit_name",
        "address",
        "stratum",
        "rank",
        "team",
        "planned_date",
        "notice_date",
        "calendar",
    ]
    table = [[HEADERS[c] for c in cols]] + [[str(getattr(r, c)) for c in cols] for r in rows]
    widths = [max(_width(row[i]) for row in table) for i in range(len(cols))]
    lines = [
        "  ".join(
            cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in table
    ]
    return "\n".join(lines) + "\n"


DATE_COLUMNS = ("period_from", "period_to", "planned_date", "notice_date")


def format_csv(rows: Sequence[Assignment]) -> bytes:
    """CSV with the same bilingual header row as the XLSX ("单位编号 unit", …), UTF-8 with BOM."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([HEADERS[c] for c in COLUMNS])
    for r in rows:
        w.writerow([getattr(r, c) for c in COLUMNS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _cell(column: str, value: Any) -> Any:
    """Dates as real spreadsheet dates (sortable, filterable); an empty date stays empty."""
    if column in DATE_COLUMNS and isinstance(value, str) and value:
        return dt.date.fromisoformat(value)
    return value


def format_xlsx(rows: Sequence[Assignment], *, title: str = "assignments") -> bytes:
    """One sheet: bold frozen bilingual header, date cells as dates, columns fit their text."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append([HEADERS[c] for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    for r in rows:
        ws.append([_cell(c, getattr(r, c)) for c in COLUMNS])
    for i, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        if column in DATE_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd"
        texts = [HEADERS[column], *(str(getattr(r, column)) for r in rows)]
        ws.column_dimensions[letter].width = min(60, max(_width(t) for t in texts) + 2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
