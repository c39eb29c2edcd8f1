"""Working-day calendar as data: holidays and adjusted working weekends (调休).

Notices go out a number of working days before an inspection (DOMAIN.md: one
working day ahead). China's calendar is announced year by year, so it is data
(`draw_engine/data/calendar-cn.json`, versioned), not a rule: a weekday can be
a holiday and a Saturday can be a working day. Arithmetic that reaches a year
the data does not cover raises `CalendarError` instead of guessing.

Pure: `parse_calendar` takes the decoded JSON; `load_default_calendar` is the
only function that reads a file (the packaged data).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


class CalendarError(ValueError):
    """The calendar data is malformed or does not cover a requested date."""


@dataclass(frozen=True)
class WorkCalendar:
    name: str
    version: int
    years: frozenset[int]
    holidays: frozenset[dt.date]
    working_weekends: frozenset[dt.date]

    def covers(self, day: dt.date) -> bool:
        return day.year in self.years

    def is_working_day(self, day: dt.date) -> bool:
        if not self.covers(day):
            raise CalendarError(
                f"calendar {self.name} v{self.version} has no data for {day.year}; "
                "add that year's State Council holiday notice to the calendar file"
            )
        if day in self.working_weekends:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def working_days_before(self, day: dt.date, count: int) -> dt.date:
        """The date `count` working days before `day` (count ≥ 1)."""
        if count < 1:
            raise CalendarError(f"count must be at least 1, got {count}")
        current = day
        remaining = count
        while remaining:
            current -= dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current


def _date(value: Any, where: str) -> dt.date:
    if not isinstance(value, str) or len(value) != 10:
        raise CalendarError(f"{where}: expected a YYYY-MM-DD date, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise CalendarError(f"{where}: {value!r} is not a valid date") from e


def parse_calendar(data: Any) -> WorkCalendar:
    if not isinstance(data, dict) or not isinstance(data.get("years"), dict):
        raise CalendarError("calendar must be an object with a 'years' object")
    holidays: set[dt.date] = set()
    working: set[dt.date] = set()
    years: set[int] = set()
    for year_text, year in data["years"].items():
        if not (isinstance(year_text, str) and year_text.isdigit() and len(year_text) == 4):
            raise CalendarError(f"year key {year_text!r} is not a four-digit year")
        year_no = int(year_text)
        years.add(year_no)
        for i, span in enumerate(year.get("holidays", [])):
            where = f"years.{year_text}.holidays[{i}]"
            if not (isinstance(span, list) and len(span) in (2, 3)):
                raise CalendarError(f"{where}: expected [from, to, name]")
            start, end = _date(span[0], where), _date(span[1], where)
            if end < start or start.year != year_no or end.year != year_no:
                raise CalendarError(f"{where}: span {span[0]}..{span[1]} is not inside {year_no}")
            day = start
            while day <= end:
                holidays.add(day)
                day += dt.timedelta(days=1)
        for i, value in enumerate(year.get("working_weekends", [])):
            day = _date(value, f"years.{year_text}.working_weekends[{i}]")
            if day.weekday() < 5:
                raise CalendarError(f"{value} is listed as a working weekend but is a weekday")
            working.add(day)
    version = data.get("version")
    if not isinstance(version, int):
        raise CalendarError("calendar 'version' must be an integer")
    return WorkCalendar(
        name=str(data.get("calendar", "unnamed")),
        version=version,
        years=frozenset(years),
        holidays=frozenset(holidays),
        working_weekends=frozenset(working),
    )


def load_default_calendar() -> WorkCalendar:
    text = resources.files("draw_engine").joinpath("data/calendar-cn.json").read_text("utf-8")
    return parse_calendar(json.loads(text))
