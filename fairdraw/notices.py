"""Notice export (一公开, issue 6 item 7): the units to notify on a date, as CSV for a gateway.

DOMAIN.md: units are told one working day ahead who comes, when and what is
checked. The planned date of a draw's inspections is the first day of its
announce `period` (draw-v1 announces carry no per-unit date; the brigade
client, fairdraw.assignments, uses the same rule), and the notice date is one
working day before it on the working-day calendar (draw_engine.calendar,
holidays and 调休 as data). `notices_csv(runtime, "YYYY-MM-DD")` lists every
selected unit of every DRAWN draw (not cancelled, not superseded) whose notice
date is that day.

Columns (UTF-8 CSV with a header row, one row per unit): notice_date,
planned_date, draw_id, unit_id, unit_name, address, brigade, phone, lead,
assistants, experts, stratum, rank. `phone` comes from the latest imported
registry version (private data: this file is for the operator's gateway,
never published). Team members are "id name" joined by "; ".

Reads the store and the log only (no sequencer), so it runs beside
`fairdraw serve`. Left out: per-unit schedules, sending the messages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from typing import Any

from draw_engine.calendar import CalendarError, WorkCalendar, load_default_calendar
from draw_engine.snapshot import parse_records
from draw_engine.sql_store import SqlDrawStore
from fairdraw.errors import FairdrawError

COLUMNS = ("notice_date", "planned_date", "draw_id", "unit_id", "unit_name", "address",
           "brigade", "phone", "lead", "assistants", "experts", "stratum", "rank")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class NoticeError(FairdrawError, ValueError):
    """The date is malformed or the calendar does not cover it."""


def parse_date(text: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise NoticeError(f"--date must be YYYY-MM-DD, got {text!r}")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as e:
        raise NoticeError(f"--date {text!r} is not a calendar date") from e


def notice_date_for(planned: dt.date, calendar: WorkCalendar) -> dt.date:
    """One working day before `planned` (CalendarError if the calendar does not cover it)."""
    return calendar.working_days_before(planned, 1)


def _members(team: dict[str, Any] | None, role: str, names: dict[str, str]) -> str:
    if not team:
        return ""
    return "; ".join(f"{m['person_id']} {names.get(m['person_id'], '')}".strip()
                     for m in team["members"] if m["role"] == role)


def notice_rows(runtime: Any, day: dt.date, *, calendar: WorkCalendar | None = None
                ) -> list[dict[str, str]]:
    """The notice rows for `day` (see the module docstring)."""
    cal = calendar or load_default_calendar()
    if not cal.covers(day):
        raise NoticeError(f"the working-day calendar has no data for {day.year}")
    store = SqlDrawStore(runtime.engine)
    with store.transaction() as tx:
        draws = [d for d in tx.list_draws() if d.status == "drawn" and d.result_index is not None]
        contacts = {}
        version = tx.latest_version("units")
        if version is not None:
            for line in version.records.splitlines():
                rec = json.loads(line)
                contacts[rec["id"]] = str(rec.get("phone") or "")
        snapshots = {s.name: s for s in tx.list_snapshots()}
    rows: list[dict[str, str]] = []
    for draw in draws:
        announce = json.loads(draw.announce)
        planned = dt.date.fromisoformat(announce["period"]["from"])
        try:
            if notice_date_for(planned, cal) != day:
                continue
        except CalendarError:
            continue
        index = draw.result_index
        assert index is not None  # filtered above
        result = json.loads(runtime.storage.read_entries(index, index + 1)[0])
        units = {r["id"]: r for r in parse_records(
            snapshots[announce["units"]["snapshot"]].records).records}
        names: dict[str, str] = {}
        for kind in ("inspectors", "experts"):
            ref = announce.get(kind)
            if ref and ref["snapshot"] in snapshots:
                names.update({r["id"]: str(r.get("name", "")) for r in parse_records(
                    snapshots[ref["snapshot"]].records).records})
        for sel in result["selected"]:
            unit = units.get(sel["unit_id"], {})
            team = sel.get("team")
            rows.append({
                "notice_date": day.isoformat(), "planned_date": planned.isoformat(),
                "draw_id": draw.draw_id, "unit_id": sel["unit_id"],
                "unit_name": str(unit.get("name", "")), "address": str(unit.get("address", "")),
                "brigade": str(unit.get("brigade", "")),
                "phone": contacts.get(sel["unit_id"], ""),
                "lead": _members(team, "lead", names),
                "assistants": _members(team, "assist", names),
                "experts": _members(team, "expert", names),
                "stratum": sel["stratum"], "rank": str(sel["rank"]),
            })
    return rows


def notices_csv(runtime: Any, date_text: str) -> tuple[bytes, int]:
    """(CSV bytes, row count) of the notices for `date_text`."""
    day = parse_date(date_text)
    try:
        rows = notice_rows(runtime, day)
    except CalendarError as e:
        raise NoticeError(str(e)) from e
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8"), len(rows)
