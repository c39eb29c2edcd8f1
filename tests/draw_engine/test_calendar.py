import datetime as dt

import pytest

from draw_engine.calendar import CalendarError, load_default_calendar, parse_calendar

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cal():
    return load_default_calendar()


@pytest.mark.parametrize(
    ("day", "notice"),
    [
        ("2026-12-01", "2026-11-30"),  # ordinary Tuesday -> Monday
        ("2026-12-07", "2026-12-04"),  # Monday -> previous Friday
        ("2026-10-08", "2026-09-30"),  # after National Day holiday
        ("2026-02-24", "2026-02-14"),  # after Spring Festival: the working Saturday
        ("2026-10-12", "2026-10-10"),  # working Saturday after National Day
        ("2026-01-05", "2026-01-04"),  # working Sunday after New Year
    ],
)
def test_notice_one_working_day_before(cal, day, notice):
    assert cal.working_days_before(D(day), 1) == D(notice)


def test_holiday_weekday_is_not_working(cal):
    assert not cal.is_working_day(D("2026-10-02"))
    assert cal.is_working_day(D("2026-09-20"))  # Sunday, adjusted working day
    assert not cal.is_working_day(D("2026-11-28"))  # ordinary Saturday


def test_uncovered_year_is_refused_not_guessed(cal):
    with pytest.raises(CalendarError, match="no data for 2027"):
        cal.working_days_before(D("2027-01-02"), 1)
    with pytest.raises(CalendarError, match="no data for 2025"):
        cal.working_days_before(D("2026-01-01"), 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 1}, "'years'"),
        ({"version": 1, "years": {"26": {}}}, "four-digit"),
        ({"version": 1, "years": {"2026": {"holidays": [["2026-13-01", "2026-13-02"]]}}},
         "not a valid date"),
        ({"version": 1, "years": {"2026": {"holidays": [["2026-05-05", "2026-05-01"]]}}},
         "not inside"),
        ({"version": 1, "years": {"2026": {"working_weekends": ["2026-11-30"]}}}, "is a weekday"),
        ({"version": "1", "years": {}}, "version"),
    ],
)
def test_malformed_calendar(data, message):
    with pytest.raises(CalendarError, match=message):
        parse_calendar(data)
