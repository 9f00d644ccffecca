"""The working-day calendar: office holiday files (holiday-cn JSON, ICS) over chinesecalendar, with time travel.

The 2027 schedule below is an illustrative test file in the holiday-cn format (the State Council had not
published 2027 when this was written); what is tested is that a file decides, not its dates.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.config import build_config
from mailbot.errors import ConfigError
from mailbot.judge.calendar import (
    HolidayFileError,
    WorkCalendar,
    load_holiday_files,
    missing_next_year,
    parse_holiday_cn,
    parse_ics,
)
from mailbot.judge.deadlines import DeadlinePolicy, judge
from mailbot.model import Category, EventTime, Granularity, Verdict

SH = ZoneInfo("Asia/Shanghai")

HOLIDAY_CN_2027 = {
    "$schema": "https://raw.githubusercontent.com/NateScarlet/holiday-cn/master/schema.json",
    "year": 2027,
    "papers": [],
    "days": [
        {"name": "元旦", "date": "2027-01-01", "isOffDay": True},
        {"name": "春节", "date": "2027-02-05", "isOffDay": True},
        {"name": "春节", "date": "2027-02-06", "isOffDay": True},
        {"name": "春节", "date": "2027-02-07", "isOffDay": True},
        {"name": "春节", "date": "2027-02-08", "isOffDay": True},
        {"name": "春节", "date": "2027-02-09", "isOffDay": True},
        {"name": "春节", "date": "2027-02-10", "isOffDay": True},
        {"name": "春节", "date": "2027-02-11", "isOffDay": True},
        {"name": "春节", "date": "2027-02-13", "isOffDay": False},
    ],
}

ICS_2027 = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//holidays//CN\r
BEGIN:VEVENT\r
UID:2027-newyear@test\r
DTSTART;VALUE=DATE:20270101\r
SUMMARY:元旦 休\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2027-spring@test\r
DTSTART;VALUE=DATE:20270205\r
DTEND;VALUE=DATE:20270212\r
SUMMARY:春节 休\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2027-spring-work@test\r
DTSTART;VALUE=DATE:20270213\r
SUMMARY:春节 补班\r
END:VEVENT\r
END:VCALENDAR\r
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _routine(start: datetime, arrived: datetime, calendar: WorkCalendar):  # type: ignore[no-untyped-def]
    policy = DeadlinePolicy(routine_mode="working_days", calendar=calendar)
    event = EventTime(start, start.replace(minute=start.minute + 1), "2月4日10时", Granularity.MINUTE)
    return judge(Category.ROUTINE, event, internaldate=arrived, date_header=None, policy=policy)


def test_2027_with_a_holiday_cn_file_counts_the_spring_festival(tmp_path: Path) -> None:
    path = _write(tmp_path, "2027.json", json.dumps(HOLIDAY_CN_2027, ensure_ascii=False))
    calendar = load_holiday_files([path])
    # event Thu 4 Feb; 5–11 Feb off; Fri 12 (1), make-up Sat 13 (2), Mon 15 (3) → end of 15 Feb
    j = _routine(datetime(2027, 2, 4, 10, tzinfo=SH), datetime(2027, 2, 15, 17, tzinfo=SH), calendar)
    assert j.deadline == datetime(2027, 2, 16, tzinfo=SH)
    assert j.verdict is Verdict.ON_TIME
    assert "calendar_provisional" not in j.flags


def test_2027_without_data_is_provisional_monday_to_friday() -> None:
    # the package has no 2027: Fri 5 (1), Mon 8 (2), Tue 9 (3) → end of 9 Feb, flagged
    j = _routine(datetime(2027, 2, 4, 10, tzinfo=SH), datetime(2027, 2, 15, 17, tzinfo=SH), WorkCalendar())
    assert j.deadline == datetime(2027, 2, 10, tzinfo=SH)
    assert j.verdict is Verdict.LATE
    assert "calendar_provisional" in j.flags


def test_ics_gives_the_same_days_as_the_json(tmp_path: Path) -> None:
    ics = load_holiday_files([_write(tmp_path, "2027.ics", ICS_2027)])
    js = parse_holiday_cn(json.dumps(HOLIDAY_CN_2027))
    assert ics.off_days == js.off_days and ics.work_days == js.work_days
    assert ics.has_year(2027) and ics.is_workday(date(2027, 2, 13)) is True
    assert ics.is_workday(date(2027, 2, 8)) is False and ics.is_workday(date(2027, 2, 12)) is True


def test_the_office_file_wins_over_the_package() -> None:
    # say the office learns that Thu 26 Nov 2026 is a day off (the package says working day)
    office = parse_holiday_cn(
        json.dumps({"year": 2026, "days": [{"name": "test", "date": "2026-11-26", "isOffDay": True}]})
    )
    assert WorkCalendar().is_workday(date(2026, 11, 26)) is True
    assert office.is_workday(date(2026, 11, 26)) is False
    assert office.is_workday(date(2026, 10, 1)) is True, "a file is the whole schedule of its year"
    j = _routine(datetime(2026, 11, 25, 10, tzinfo=SH), datetime(2026, 11, 30, 23, tzinfo=SH), office)
    assert j.deadline == datetime(2026, 12, 2, tzinfo=SH)  # 27 (1), 30 (2), 1 Dec (3)


def test_package_years_are_known_without_files() -> None:
    calendar = WorkCalendar()
    assert calendar.has_year(2026) and not calendar.has_year(2027)
    assert calendar.is_workday(date(2026, 10, 1)) is False and calendar.is_workday(date(2027, 3, 1)) is None


@pytest.mark.parametrize(
    ("now", "missing"),
    [
        (datetime(2026, 11, 30, 23, 59, tzinfo=SH), None),
        (datetime(2026, 11, 30, 16, 30, tzinfo=ZoneInfo("UTC")), 2027),  # already 1 Dec in Shanghai
        (datetime(2026, 12, 1, 0, 0, tzinfo=SH), 2027),
        (datetime(2026, 12, 31, 12, 0, tzinfo=SH), 2027),
        (datetime(2025, 12, 5, 12, 0, tzinfo=SH), None),  # 2026 is in the package
    ],
)
def test_missing_next_year_from_1_december(now: datetime, missing: int | None) -> None:
    assert missing_next_year(WorkCalendar(), now, SH) == missing


def test_missing_next_year_is_none_once_the_file_is_loaded() -> None:
    calendar = parse_holiday_cn(json.dumps(HOLIDAY_CN_2027))
    assert missing_next_year(calendar, datetime(2026, 12, 1, 9, tzinfo=SH), SH) is None


def test_configured_files_relative_to_the_config_file(tmp_path: Path) -> None:
    _write(tmp_path, "2027.json", json.dumps(HOLIDAY_CN_2027))
    config = build_config(
        {"calendar": {"holiday_files": ["2027.json"]}, "deadlines": {"routine_mode": "working_days"}},
        env={},
        path=tmp_path / "mailbot.toml",
    )
    assert config.deadlines.calendar.has_year(2027)
    assert config.deadlines.calendar.is_workday(date(2027, 2, 13)) is True


@pytest.mark.parametrize(
    ("name", "text", "words"),
    [
        ("bad.json", "{not json", "not valid JSON"),
        ("bad.json", json.dumps({"days": []}), "holiday-cn format"),
        (
            "bad.json",
            json.dumps({"year": 2027, "days": [{"date": "2027-13-01", "isOffDay": True}]}),
            "not a YYYY-MM-DD",
        ),
        ("bad.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "no all-day events"),
        (
            "bad.ics",
            "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n",
            "RRULE",
        ),
    ],
)
def test_a_bad_file_fails_closed_naming_it(tmp_path: Path, name: str, text: str, words: str) -> None:
    path = _write(tmp_path, name, text)
    with pytest.raises(HolidayFileError, match=words):
        load_holiday_files([path])
    with pytest.raises(ConfigError, match=name):
        build_config({"calendar": {"holiday_files": [str(path)]}}, env={})


def test_a_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        build_config({"calendar": {"holiday_files": [str(tmp_path / "2027.json")]}}, env={})


def test_ics_folded_lines_and_parameters() -> None:
    text = "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2027\r\n 0101\r\nSUMMARY:元旦\r\nEND:VEVENT\r\n"
    assert parse_ics(text).off_days == frozenset({date(2027, 1, 1)})
