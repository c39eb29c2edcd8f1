import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from draw_engine.calendar import (
    OFFICIAL,
    PROVISIONAL,
    CalendarError,
    calendar_document,
    calendar_ref,
    calendar_sha256,
    load_calendar,
    load_default_calendar,
    parse_calendar,
    provisional_year,
    statutory_days,
)
from draw_engine.canonical import canonical_json

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
        ("2027-01-04", "2026-12-31"),  # the demo's first January working day: 2026 is official
    ],
)
def test_notice_one_working_day_before(cal, day, notice):
    assert cal.working_days_before(D(day), 1) == D(notice)


def test_holiday_weekday_is_not_working(cal):
    assert not cal.is_working_day(D("2026-10-02"))
    assert cal.is_working_day(D("2026-09-20"))  # Sunday, adjusted working day
    assert not cal.is_working_day(D("2026-11-28"))  # ordinary Saturday


# Festival dates as published (lunar New Year, Dragon Boat, Mid-Autumn, Qingming).
KNOWN = {
    2025: {"春节": "2025-01-29", "端午节": "2025-05-31", "中秋节": "2025-10-06",
           "清明节": "2025-04-04"},
    2026: {"春节": "2026-02-17", "端午节": "2026-06-19", "中秋节": "2026-09-25",
           "清明节": "2026-04-05"},
    2027: {"春节": "2027-02-06", "端午节": "2027-06-09", "中秋节": "2027-09-15",
           "清明节": "2027-04-05"},
    2028: {"春节": "2028-01-26", "端午节": "2028-05-28", "中秋节": "2028-10-03",
           "清明节": "2028-04-04"},
}


@pytest.mark.parametrize("year", sorted(KNOWN))
def test_lunar_festival_dates(year):
    days = dict(statutory_days(year))
    for name, first in KNOWN[year].items():
        main = days[name][1] if name == "春节" else days[name][0]  # 春节: eve, 初一, 初二, 初三
        assert main == D(first), name
    assert days["春节"][0] == D(KNOWN[year]["春节"]) - dt.timedelta(days=1)  # 除夕
    assert len(days["春节"]) == 4
    assert len(days["劳动节"]) == 2
    assert len(days["国庆节"]) == 3


def test_statutory_days_lie_inside_the_official_2026_notice(cal):
    """The one official notice we hold contains every statutory day the rules give."""
    off = cal.year(2026).days_off
    for name, days in statutory_days(2026):
        for day in days:
            assert day in off, (name, day)


def test_provisional_2027_with_weekend_make_up_days(cal):
    assert cal.status(2026) == OFFICIAL
    assert cal.status(2027) == PROVISIONAL
    y = provisional_year(2027)
    assert y.working_weekends == ()
    spans = {h.name: (h.start.isoformat(), h.end.isoformat()) for h in y.holidays}
    # 2027-02-06/07 (Sat/Sun) are statutory: two make-up weekdays 02-09, 02-10 (补假).
    assert spans["春节"] == ("2027-02-05", "2027-02-10")
    assert spans["劳动节"] == ("2027-05-01", "2027-05-04")  # Sat+Sun -> Mon, Tue
    assert spans["国庆节"] == ("2027-10-01", "2027-10-05")  # Sat+Sun -> Mon, Tue
    assert spans["元旦"] == ("2027-01-01", "2027-01-01")  # a Friday: nothing owed
    assert not cal.is_working_day(D("2027-01-01"))
    assert cal.is_working_day(D("2027-01-04"))
    assert not cal.is_working_day(D("2027-02-10"))
    assert cal.is_working_day(D("2027-02-11"))


def test_provisional_overlap_of_mid_autumn_and_national_day():
    # 2028: Mid-Autumn is 10-03, inside National Day; 10-01 is a Sunday: two days owed.
    y = provisional_year(2028)
    assert {d.isoformat() for d in y.days_off if d.month == 10} == {
        "2028-10-01", "2028-10-02", "2028-10-03", "2028-10-04", "2028-10-05"}


def test_years_outside_the_rules_are_refused(cal):
    with pytest.raises(CalendarError, match="no data for 2024"):
        cal.working_days_before(D("2025-01-01"), 1)
    with pytest.raises(CalendarError, match="2100"):
        provisional_year(2100)


def test_loading_a_notice_replaces_the_provisional_year(cal, tmp_path: Path):
    notice = {"calendar": "cn-mainland", "version": 2, "years": {"2027": {
        "source": "test notice (not a real one)",
        "holidays": [["2027-01-01", "2027-01-03", "元旦"]],
        "working_weekends": ["2027-01-09"]}}}
    path = tmp_path / "cal.json"
    path.write_text(json.dumps(notice, ensure_ascii=False), encoding="utf-8")
    loaded = load_calendar(path)
    assert loaded.status(2027) == OFFICIAL
    assert loaded.status(2026) == OFFICIAL
    assert loaded.is_working_day(D("2027-01-09"))  # Saturday, adjusted working day
    before = calendar_ref(cal, D("2027-01-01"), D("2027-01-31"))
    after = calendar_ref(loaded, D("2027-01-01"), D("2027-01-31"))
    assert before["provisional"] == [2027]
    assert after["provisional"] == []
    assert before["years"] == after["years"] == [2026, 2027]
    assert before["sha256"] != after["sha256"]


def test_a_loaded_file_may_not_change_a_published_notice(tmp_path: Path):
    path = tmp_path / "cal.json"
    path.write_text(json.dumps({"version": 1, "years": {"2026": {
        "source": "forged", "holidays": [["2026-01-01", "2026-01-01", "元旦"]]}}}),
        encoding="utf-8")
    with pytest.raises(CalendarError, match="differs from the packaged 2026"):
        load_calendar(path)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(CalendarError, match="not UTF-8 JSON"):
        load_calendar(path)
    with pytest.raises(CalendarError, match="calendar_file"):
        load_calendar(tmp_path / "missing.json")


def test_calendar_hash_is_over_the_canonical_document(cal):
    doc = calendar_document(cal, [2027, 2026])
    assert list(doc["years"]) == ["2026", "2027"]
    assert doc["years"]["2027"]["status"] == PROVISIONAL
    assert calendar_sha256(cal, [2026, 2027]) == hashlib.sha256(canonical_json(doc)).hexdigest()
    with pytest.raises(CalendarError, match="no working day"):
        calendar_ref(cal, D("2026-10-01"), D("2026-10-07"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"version": 1}, "'years'"),
        ({"version": 1, "years": {"26": {}}}, "four-digit"),
        ({"version": 1, "years": {"2026": {"source": "s",
                                           "holidays": [["2026-13-01", "2026-13-02", "x"]]}}},
         "not a valid date"),
        ({"version": 1, "years": {"2026": {"source": "s",
                                           "holidays": [["2026-05-05", "2026-05-01", "x"]]}}},
         "not inside"),
        ({"version": 1, "years": {"2026": {"source": "s",
                                           "holidays": [["2026-05-01", "2026-05-02"]]}}},
         r"\[from, to, name\]"),
        ({"version": 1, "years": {"2026": {"source": "s", "working_weekends": ["2026-11-30"]}}},
         "is a weekday"),
        ({"version": 1, "years": {"2026": {"holidays": []}}}, "source"),
        ({"version": 1, "years": {"2026": {"source": "s", "extra": 1}}}, "unknown field"),
        ({"version": "1", "years": {}}, "version"),
    ],
)
def test_malformed_calendar(data, message):
    with pytest.raises(CalendarError, match=message):
        parse_calendar(data)
