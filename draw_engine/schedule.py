"""Inspection schedule of a drawn draw: a working day per selected unit (docs/spec/schedule.md).

Input: the announce (its `period` and, when present, its `calendar` reference),
the result's `selected` list, and a working-day calendar
(`draw_engine.calendar`). Output: each selected unit's inspection date, on a
working day of the period, and its notice date, one working day before
(DOMAIN.md: units are told one working day ahead).

SPEC(schedule.md) rules:
1. `days` = the working days of `period.from..period.to` (none: ScheduleError).
2. Units are walked in ascending target ticket (ties: unit id), the order
   draw-v1 §5 step 7 forms the teams in.
3. Each unit takes the day with the smallest key (most loaded member's duties
   that day, the members' duties that day summed, units that day, day order):
   every person's duties are spread over the period's working days, and days
   without teams fill evenly. Members are the team's members of every role.
4. notice date = the working day before the inspection date.

The schedule depends only on the result and the calendar, so anyone holding
both recomputes it; the announce's `calendar.sha256` says which calendar the
operator committed to before the randomness existed, and `check_calendar`
compares it with the calendar at hand. Reserve units get no date: a reserve
replaces a closed unit and takes its date. Pure: no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from draw_engine.calendar import (
    PROVISIONAL,
    CalendarError,
    WorkCalendar,
    calendar_sha256,
    schedule_years,
)
from draw_engine.errors import DrawEngineError


class ScheduleError(DrawEngineError, ValueError):
    """No schedule can be made (no working day in the period, calendar mismatch…)."""


@dataclass(frozen=True)
class ScheduledUnit:
    unit_id: str
    date: dt.date
    notice_date: dt.date
    members: tuple[str, ...]


@dataclass(frozen=True)
class Schedule:
    draw_id: str
    days: tuple[dt.date, ...]
    units: Mapping[str, ScheduledUnit]
    provisional_years: tuple[int, ...]
    """Years of the schedule whose calendar is provisional (临时): dates may move."""
    calendar_sha256: str
    announced_sha256: str | None
    """The announce's calendar.sha256 (None: an announce made before the field existed)."""

    @property
    def provisional(self) -> bool:
        return bool(self.provisional_years)

    @property
    def calendar_as_announced(self) -> bool | None:
        """True if the calendar at hand is the announced one; None if none was announced."""
        if self.announced_sha256 is None:
            return None
        return self.announced_sha256 == self.calendar_sha256


def _members(sel: Mapping[str, Any]) -> tuple[str, ...]:
    team = sel.get("team") or {}
    return tuple(str(m["person_id"]) for m in team.get("members", ()))


def check_calendar(announce: Mapping[str, Any], cal: WorkCalendar) -> str | None:
    """The announce's `calendar.sha256`, or None for an announce without the field (made
    before it existed). A different hash at hand is not an error here: a notice loaded
    after the announce replaces a provisional year (`Schedule.calendar_as_announced`)."""
    ref = announce.get("calendar")
    if ref is None:
        return None
    if not isinstance(ref, Mapping) or not isinstance(ref.get("sha256"), str):
        raise ScheduleError("announce calendar must be an object with sha256")
    return str(ref["sha256"])


def schedule_draw(announce: Mapping[str, Any], selected: Sequence[Mapping[str, Any]],
                  cal: WorkCalendar) -> Schedule:
    """SPEC(schedule.md): the inspection and notice dates of every selected unit."""
    try:
        first = dt.date.fromisoformat(announce["period"]["from"])
        last = dt.date.fromisoformat(announce["period"]["to"])
        days = cal.working_days(first, last)
        if not days:
            raise ScheduleError(f"draw {announce['draw_id']}: the period {first}..{last} has "
                                "no working day on the calendar")
        years = schedule_years(cal, first, last)
        notices = {d: cal.working_days_before(d, 1) for d in days}
    except CalendarError as e:
        raise ScheduleError(f"draw {announce['draw_id']}: {e}") from e
    load: dict[tuple[str, int], int] = defaultdict(int)
    per_day = [0] * len(days)
    units: dict[str, ScheduledUnit] = {}
    for sel in sorted(selected, key=lambda s: (s["ticket"], s["unit_id"])):
        members = _members(sel)

        def key(i: int, members: tuple[str, ...] = members) -> tuple[int, int, int, int]:
            loads = [load[(p, i)] for p in members]
            return (max(loads, default=0), sum(loads), per_day[i], i)

        best = min(range(len(days)), key=key)
        for p in members:
            load[(p, best)] += 1
        per_day[best] += 1
        units[sel["unit_id"]] = ScheduledUnit(sel["unit_id"], days[best], notices[days[best]],
                                              members)
    return Schedule(
        draw_id=str(announce["draw_id"]), days=tuple(days), units=units,
        provisional_years=tuple(y for y in years if cal.status(y) == PROVISIONAL),
        calendar_sha256=calendar_sha256(cal, years),
        announced_sha256=check_calendar(announce, cal),
    )


def calendar_note(schedule: Schedule) -> str:
    """One bilingual line on the calendar a schedule used, for every output that shows dates."""
    parts = []
    if schedule.provisional:
        years = ", ".join(str(y) for y in schedule.provisional_years)
        parts.append(f"provisional 临时: no State Council notice loaded for {years}; dates may "
                     "move when it is (按法定节假日推算，待国务院通知发布后确认)")
    else:
        parts.append("official 正式: State Council holiday notices")
    if schedule.calendar_as_announced is False:
        parts.append("calendar differs from the one committed in the announce "
                     f"({schedule.announced_sha256}) (日历与公告时不同)")
    return "; ".join(parts)
