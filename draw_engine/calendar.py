"""Working-day calendar as data: holidays and adjusted working weekends (调休).

Notices go out a number of working days before an inspection (DOMAIN.md: one
working day ahead), and inspections fall on working days. China's calendar is
announced year by year by the General Office of the State Council (国务院办公厅
关于某年部分节假日安排的通知), so it is data: a weekday can be a holiday and a
Saturday a working day.

Two kinds of year:

- **official**: the notice as loaded: the packaged file
  `draw_engine/data/calendar-cn.json` plus the operator's `calendar_file`
  (same format; `merge_calendars`). Only notices that exist are loaded.
- **provisional** (临时): a year no notice covers yet. It is built from the
  statutory holidays of 《全国年节及纪念日放假办法》 (2024 revision, in force
  from 2025): New Year's Day (1 day), Spring Festival (lunar New Year's Eve to
  the 3rd day of the first month, 4 days), Qingming (the solar-term day),
  Labour Day (1-2 May), Dragon Boat (5th day of the 5th lunar month),
  Mid-Autumn (15th day of the 8th lunar month), National Day (1-3 October).
  Its rule "全体公民放假的假日，如果适逢星期六、星期日，应当在工作日补假" is
  applied: each statutory day on a weekend (or on another statutory day)
  gives one day off on the next weekday after its holiday that is not already
  off. The adjusted working weekends of a real notice cannot be derived from
  the regulation, so a provisional year has none; everything scheduled with
  one says so until the official notice is loaded. Lunar dates and the
  Qingming solar term come from `lunar_python` (pinned, pure computation).
  Years before 2025 are never made provisional (other rules applied then).

`calendar_document(cal, years)` is the canonical form of the years a schedule
uses; its SHA-256 (`calendar_ref`) goes into the draw's announce (field
`calendar`, docs/spec/schedule.md) so the schedule can be recomputed.

Pure: the functions take values; `load_calendar` is the only one that reads
files (the packaged data and the operator's file).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from draw_engine.canonical import canonical_json
from draw_engine.errors import FormatError

OFFICIAL, PROVISIONAL = "official", "provisional"
STATUTORY_SINCE = 2025
"""The 2024 revision of the regulation applies from 2025 (4-day Spring Festival, 2-day
Labour Day); earlier years are never built provisionally."""
PROVISIONAL_UNTIL = 2099
PROVISIONAL_SOURCE = (
    "provisional 临时: statutory holidays of 全国年节及纪念日放假办法 (2024 revision) with "
    "weekend make-up days (补假); lunar dates computed; no adjusted working weekends (调休) "
    "until the State Council notice is loaded"
)
LABELS = {OFFICIAL: "official 正式", PROVISIONAL: "provisional 临时"}
MAX_CALENDAR_BYTES = 1 << 20


class CalendarError(FormatError):
    """The calendar data is malformed or does not cover a requested date."""


@dataclass(frozen=True)
class Holiday:
    name: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class CalendarYear:
    """One year: its holidays (days off) and adjusted working weekends (调休上班)."""

    year: int
    status: str  # OFFICIAL | PROVISIONAL
    source: str
    holidays: tuple[Holiday, ...]
    working_weekends: tuple[dt.date, ...]

    @functools.cached_property
    def days_off(self) -> frozenset[dt.date]:
        out: set[dt.date] = set()
        for h in self.holidays:
            day = h.start
            while day <= h.end:
                out.add(day)
                day += dt.timedelta(days=1)
        return frozenset(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "source": self.source,
            "holidays": [[h.start.isoformat(), h.end.isoformat(), h.name] for h in self.holidays],
            "working_weekends": [d.isoformat() for d in self.working_weekends],
        }


@dataclass(frozen=True)
class WorkCalendar:
    name: str
    version: int
    official: Mapping[int, CalendarYear]

    @property
    def years(self) -> frozenset[int]:
        """The years an official notice covers."""
        return frozenset(self.official)

    def year(self, year: int) -> CalendarYear:
        """The official year if loaded, else the provisional one (CalendarError outside
        STATUTORY_SINCE..PROVISIONAL_UNTIL)."""
        found = self.official.get(year)
        return found if found is not None else provisional_year(year)

    def covers(self, day: dt.date) -> bool:
        """True if working-day arithmetic can answer for `day` (official or provisional)."""
        return day.year in self.official or STATUTORY_SINCE <= day.year <= PROVISIONAL_UNTIL

    def status(self, year: int) -> str:
        return self.year(year).status

    def is_working_day(self, day: dt.date) -> bool:
        if not self.covers(day):
            raise CalendarError(
                f"calendar {self.name} v{self.version} has no data for {day.year} and "
                f"builds provisional years only for {STATUTORY_SINCE}-{PROVISIONAL_UNTIL}; "
                "load that year's State Council holiday notice (setting calendar_file)"
            )
        year = self.year(day.year)
        if day in year.working_weekends:
            return True
        if day in year.days_off:
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

    def working_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The working days of first..last, in order."""
        out = []
        day = first
        while day <= last:
            if self.is_working_day(day):
                out.append(day)
            day += dt.timedelta(days=1)
        return out


# -- provisional years ---------------------------------------------------------------------


def _lunar(year: int, month: int, day: int) -> dt.date:
    from lunar_python import Lunar

    solar = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def statutory_days(year: int) -> list[tuple[str, list[dt.date]]]:
    """The statutory holidays of `year` (2024 revision), each with its days."""
    from lunar_python import Lunar

    if not STATUTORY_SINCE <= year <= PROVISIONAL_UNTIL:
        raise CalendarError(f"statutory holidays are computed for {STATUTORY_SINCE}-"
                            f"{PROVISIONAL_UNTIL}, not {year}")
    new_year = _lunar(year, 1, 1)
    qingming = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    d = dt.date
    one = dt.timedelta(days=1)
    return [
        ("元旦", [d(year, 1, 1)]),
        ("春节", [new_year - one, new_year, new_year + one, new_year + 2 * one]),
        ("清明节", [d(qingming.getYear(), qingming.getMonth(), qingming.getDay())]),
        ("劳动节", [d(year, 5, 1), d(year, 5, 2)]),
        ("端午节", [_lunar(year, 5, 5)]),
        ("中秋节", [_lunar(year, 8, 15)]),
        ("国庆节", [d(year, 10, 1), d(year, 10, 2), d(year, 10, 3)]),
    ]


@functools.lru_cache(maxsize=256)
def provisional_year(year: int) -> CalendarYear:
    """SPEC(module docstring): statutory days plus one make-up weekday for each statutory day
    on a weekend or on another statutory day; no adjusted working weekends."""
    festivals = statutory_days(year)
    off: set[dt.date] = set()
    holidays: list[Holiday] = []
    for name, days in festivals:
        owed = sum(1 for day in days if day.weekday() >= 5 or day in off)
        off.update(days)
        end = max(days)
        day = end
        while owed:
            day += dt.timedelta(days=1)
            if day.weekday() < 5 and day not in off:
                off.add(day)
                owed -= 1
        holidays.append(Holiday(name, min(days), max(day, end)))
    return CalendarYear(year, PROVISIONAL, PROVISIONAL_SOURCE, tuple(holidays), ())


# -- the data file -------------------------------------------------------------------------


def _date(value: Any, where: str) -> dt.date:
    if not isinstance(value, str) or len(value) != 10:
        raise CalendarError(f"{where}: expected a YYYY-MM-DD date, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as e:
        raise CalendarError(f"{where}: {value!r} is not a valid date") from e


def _year(year_text: str, year: Any) -> CalendarYear:
    if not isinstance(year, dict):
        raise CalendarError(f"years.{year_text} must be an object")
    unknown = set(year) - {"source", "holidays", "working_weekends"}
    if unknown:
        raise CalendarError(f"years.{year_text}.{sorted(unknown)[0]}: unknown field (allowed: "
                            "source, holidays, working_weekends)")
    year_no = int(year_text)
    source = year.get("source")
    if not isinstance(source, str) or not source.strip():
        raise CalendarError(f"years.{year_text}.source: name the State Council notice "
                            "(title and date) this year is taken from")
    holidays = []
    for i, span in enumerate(year.get("holidays", [])):
        where = f"years.{year_text}.holidays[{i}]"
        if not (isinstance(span, list) and len(span) == 3 and isinstance(span[2], str)):
            raise CalendarError(f"{where}: expected [from, to, name]")
        start, end = _date(span[0], where), _date(span[1], where)
        if end < start or start.year != year_no or end.year != year_no:
            raise CalendarError(f"{where}: span {span[0]}..{span[1]} is not inside {year_no}")
        holidays.append(Holiday(span[2], start, end))
    working = []
    for i, value in enumerate(year.get("working_weekends", [])):
        day = _date(value, f"years.{year_text}.working_weekends[{i}]")
        if day.weekday() < 5:
            raise CalendarError(f"{value} is listed as a working weekend but is a weekday")
        if day.year != year_no:
            raise CalendarError(f"{value} is listed as a working weekend of {year_no}")
        working.append(day)
    return CalendarYear(year_no, OFFICIAL, source, tuple(holidays), tuple(sorted(working)))


def parse_calendar(data: Any) -> WorkCalendar:
    """The calendar file (`draw_engine/data/calendar-cn.json` format): every year in it is
    an official notice."""
    if not isinstance(data, dict) or not isinstance(data.get("years"), dict):
        raise CalendarError("calendar must be an object with a 'years' object")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise CalendarError("calendar 'version' must be an integer")
    years: dict[int, CalendarYear] = {}
    for year_text, year in data["years"].items():
        if not (isinstance(year_text, str) and year_text.isascii() and year_text.isdigit()
                and len(year_text) == 4):
            raise CalendarError(f"year key {year_text!r} is not a four-digit year")
        years[int(year_text)] = _year(year_text, year)
    return WorkCalendar(name=str(data.get("calendar", "unnamed")), version=version,
                        official=years)


def merge_calendars(base: WorkCalendar, extra: WorkCalendar) -> WorkCalendar:
    """`base` plus the years of `extra`; a year both hold must be the same notice."""
    years = dict(base.official)
    for year, cy in extra.official.items():
        if year in years and years[year] != cy:
            raise CalendarError(
                f"the calendar file's {year} differs from the packaged {year} notice "
                f"({years[year].source}); a published notice does not change")
        years[year] = cy
    return WorkCalendar(name=base.name, version=max(base.version, extra.version),
                        official=years)


def load_default_calendar() -> WorkCalendar:
    text = resources.files("draw_engine").joinpath("data/calendar-cn.json").read_text("utf-8")
    return parse_calendar(json.loads(text))


def load_calendar(path: Path | None = None) -> WorkCalendar:
    """The packaged calendar, plus the years of the operator's file `path` if given."""
    base = load_default_calendar()
    if path is None:
        return base
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CalendarError(f"calendar_file {path}: {e.strerror or e}") from e
    if len(data) > MAX_CALENDAR_BYTES:
        raise CalendarError(f"calendar_file {path} is {len(data)} bytes, more than "
                            f"{MAX_CALENDAR_BYTES}")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CalendarError(f"calendar_file {path} is not UTF-8 JSON: {e}") from e
    try:
        return merge_calendars(base, parse_calendar(value))
    except CalendarError as e:
        raise CalendarError(f"calendar_file {path}: {e}") from e


# -- what an announce records --------------------------------------------------------------


def calendar_document(cal: WorkCalendar, years: Iterable[int]) -> dict[str, Any]:
    """SPEC(schedule.md): the years a schedule uses, official or provisional, as one object."""
    return {"calendar": cal.name,
            "years": {str(y): cal.year(y).to_json() for y in sorted(set(years))}}


def calendar_sha256(cal: WorkCalendar, years: Iterable[int]) -> str:
    return hashlib.sha256(canonical_json(calendar_document(cal, years))).hexdigest()


def schedule_years(cal: WorkCalendar, period_from: dt.date, period_to: dt.date) -> list[int]:
    """The years a period's schedule and its notices touch: from the year of the notice day
    of the period's first working day to the period's last year."""
    days = cal.working_days(period_from, period_to)
    if not days:
        raise CalendarError(f"the period {period_from}..{period_to} has no working day")
    first = cal.working_days_before(days[0], 1)
    return list(range(first.year, period_to.year + 1))


def calendar_ref(cal: WorkCalendar, period_from: dt.date, period_to: dt.date) -> dict[str, Any]:
    """The announce's `calendar` field {"sha256", "years", "provisional"} (spec: schedule.md)."""
    years = schedule_years(cal, period_from, period_to)
    return {"sha256": calendar_sha256(cal, years), "years": years,
            "provisional": [y for y in years if cal.status(y) == PROVISIONAL]}
