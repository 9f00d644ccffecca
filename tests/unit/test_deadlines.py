"""Deadlines: the 2-hour and 3-day rules, table-driven."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mailbot.judge.deadlines import DeadlinePolicy, judge
from mailbot.model import Category, EventTime, Granularity, Verdict

SH = ZoneInfo("Asia/Shanghai")
URUMQI = ZoneInfo("Asia/Urumqi")
BERLIN = ZoneInfo("Europe/Berlin")

_SPANS = {
    Granularity.MINUTE: timedelta(minutes=1),
    Granularity.HOUR: timedelta(hours=1),
    Granularity.DAY: timedelta(days=1),
}


def ev(
    start: datetime, granularity: Granularity = Granularity.MINUTE, end: datetime | None = None
) -> EventTime:
    if end is None:
        end = start + _SPANS[granularity]
    return EventTime(start, end, "phrase", granularity)


def at(*args: int, tz: ZoneInfo = SH) -> datetime:
    return datetime(*args, tzinfo=tz)  # type: ignore[misc]


CAL = DeadlinePolicy()


@dataclass(frozen=True)
class Row:
    name: str
    category: Category
    event: EventTime | None
    reported: datetime
    deadline: datetime | None
    verdict: Verdict | None
    lateness: int | None = None
    approximate: bool = False
    policy: DeadlinePolicy = CAL
    flags: tuple[str, ...] = ()


HOURS = DeadlinePolicy(routine_mode="hours")
WORK = DeadlinePolicy(routine_mode="working_days")
NOV25_1430 = ev(at(2026, 11, 25, 14, 30))
NOV25_DAY = ev(at(2026, 11, 25), Granularity.DAY)

ROWS = [
    # urgent: event + 2 h (to the minute: its start; coarser: the span's end)
    Row(
        "urgent exactly on deadline",
        Category.URGENT,
        NOV25_1430,
        at(2026, 11, 25, 16, 30),
        at(2026, 11, 25, 16, 30),
        Verdict.ON_TIME,
    ),
    Row(
        "urgent one minute late",
        Category.URGENT,
        NOV25_1430,
        at(2026, 11, 25, 16, 31),
        at(2026, 11, 25, 16, 30),
        Verdict.LATE,
        1,
    ),
    Row(
        "urgent one second late rounds up",
        Category.URGENT,
        NOV25_1430,
        at(2026, 11, 25, 16, 30, 1),
        at(2026, 11, 25, 16, 30),
        Verdict.LATE,
        1,
    ),
    Row(
        "urgent well within",
        Category.URGENT,
        NOV25_1430,
        at(2026, 11, 25, 15, 0),
        at(2026, 11, 25, 16, 30),
        Verdict.ON_TIME,
    ),
    Row(
        "urgent a day late",
        Category.URGENT,
        NOV25_1430,
        at(2026, 11, 26, 16, 30),
        at(2026, 11, 25, 16, 30),
        Verdict.LATE,
        1440,
    ),
    Row(
        "urgent hour phrase is approximate",
        Category.URGENT,
        ev(at(2026, 11, 25, 14), Granularity.HOUR),
        at(2026, 11, 25, 17, 0),
        at(2026, 11, 25, 17, 0),
        Verdict.ON_TIME,
        approximate=True,
    ),
    Row(
        "urgent day phrase uses latest instant",
        Category.URGENT,
        NOV25_DAY,
        at(2026, 11, 26, 1, 0),
        at(2026, 11, 26, 2, 0),
        Verdict.ON_TIME,
        approximate=True,
    ),
    Row(
        "urgent part of day (下午)",
        Category.URGENT,
        ev(at(2026, 11, 25, 12), Granularity.PART_OF_DAY, at(2026, 11, 25, 18)),
        at(2026, 11, 25, 20, 5),
        at(2026, 11, 25, 20, 0),
        Verdict.LATE,
        5,
        approximate=True,
    ),
    Row(
        "followup follows the urgent rule",
        Category.FOLLOWUP,
        NOV25_1430,
        at(2026, 11, 25, 17, 0),
        at(2026, 11, 25, 16, 30),
        Verdict.LATE,
        30,
    ),
    Row(
        "urgent custom 1 hour",
        Category.URGENT,
        NOV25_1430,
        at(2026, 11, 25, 15, 40),
        at(2026, 11, 25, 15, 30),
        Verdict.LATE,
        10,
        policy=DeadlinePolicy(urgent_hours=1),
    ),
    Row(
        "urgent 新疆时间 event, Shanghai policy",
        Category.URGENT,
        ev(at(2026, 11, 25, 12, 30, tz=URUMQI)),
        at(2026, 11, 25, 16, 30),
        at(2026, 11, 25, 16, 30),
        Verdict.ON_TIME,
    ),
    # routine, calendar days
    Row(
        "routine on the last minute of day 3",
        Category.ROUTINE,
        NOV25_1430,
        at(2026, 11, 28, 23, 59),
        at(2026, 11, 29),
        Verdict.ON_TIME,
    ),
    Row(
        "routine exactly at midnight",
        Category.ROUTINE,
        NOV25_1430,
        at(2026, 11, 29),
        at(2026, 11, 29),
        Verdict.ON_TIME,
    ),
    Row(
        "routine one minute late",
        Category.ROUTINE,
        NOV25_1430,
        at(2026, 11, 29, 0, 1),
        at(2026, 11, 29),
        Verdict.LATE,
        1,
    ),
    Row(
        "routine day phrase is exact",
        Category.ROUTINE,
        NOV25_DAY,
        at(2026, 11, 27),
        at(2026, 11, 29),
        Verdict.ON_TIME,
    ),
    Row(
        "research follows the routine rule",
        Category.RESEARCH,
        NOV25_DAY,
        at(2026, 11, 30, 9),
        at(2026, 11, 29),
        Verdict.LATE,
        1980,
    ),
    Row(
        "routine month phrase is approximate",
        Category.ROUTINE,
        ev(at(2026, 10, 1), Granularity.MONTH, at(2026, 11, 1)),
        at(2026, 11, 3),
        at(2026, 11, 4),
        Verdict.ON_TIME,
        approximate=True,
    ),
    Row(
        "routine over year end",
        Category.ROUTINE,
        ev(at(2026, 12, 30), Granularity.DAY),
        at(2027, 1, 2, 10),
        at(2027, 1, 3),
        Verdict.ON_TIME,
    ),
    Row(
        "routine night span ends next day",
        Category.ROUTINE,
        ev(at(2026, 11, 25, 20), Granularity.PART_OF_DAY, at(2026, 11, 26, 6)),
        at(2026, 11, 29, 12),
        at(2026, 11, 30),
        Verdict.ON_TIME,
        approximate=False,
    ),
    Row(
        "routine UTC arrival converted",
        Category.ROUTINE,
        NOV25_1430,
        datetime(2026, 11, 28, 16, 30, tzinfo=UTC),
        at(2026, 11, 29),
        Verdict.LATE,
        30,
    ),
    # routine, hours
    Row(
        "routine hours mode on deadline",
        Category.ROUTINE,
        NOV25_1430,
        at(2026, 11, 28, 14, 30),
        at(2026, 11, 28, 14, 30),
        Verdict.ON_TIME,
        policy=HOURS,
    ),
    Row(
        "routine hours mode day phrase approximate",
        Category.ROUTINE,
        NOV25_DAY,
        at(2026, 11, 29, 0, 2),
        at(2026, 11, 29),
        Verdict.LATE,
        2,
        approximate=True,
        policy=HOURS,
    ),
    # routine, working days (real 2026 calendar)
    Row(
        "working days over 国庆 2026",
        Category.ROUTINE,
        ev(at(2026, 9, 30, 10)),
        at(2026, 10, 10, 23, 0),
        at(2026, 10, 11),
        Verdict.ON_TIME,
        policy=WORK,
    ),
    Row(
        "working days over 国庆 2026, late",
        Category.ROUTINE,
        ev(at(2026, 9, 30, 10)),
        at(2026, 10, 11, 0, 30),
        at(2026, 10, 11),
        Verdict.LATE,
        30,
        policy=WORK,
    ),
    Row(
        "working days over 春节 2026",
        Category.ROUTINE,
        ev(at(2026, 2, 13, 9)),
        at(2026, 2, 25, 20),
        at(2026, 2, 26),
        Verdict.ON_TIME,
        policy=WORK,
    ),
    Row(
        "working days count make-up Saturday 2026-02-14",
        Category.ROUTINE,
        ev(at(2026, 2, 12, 9)),
        at(2026, 2, 25, 8),
        at(2026, 2, 25),
        Verdict.LATE,
        480,
        policy=WORK,
    ),
    Row(
        "working days ordinary week",
        Category.ROUTINE,
        ev(at(2026, 11, 25, 9)),
        at(2026, 11, 30, 23),
        at(2026, 12, 1),
        Verdict.ON_TIME,
        policy=WORK,
    ),
    Row(
        "working days outside calendar range",
        Category.ROUTINE,
        ev(at(2031, 1, 3, 9)),
        at(2031, 1, 8, 9),
        at(2031, 1, 9),
        Verdict.ON_TIME,
        policy=WORK,
        flags=("calendar_provisional",),
    ),
    # other zones
    Row(
        "non-Shanghai policy tz (Urumqi) day boundary",
        Category.ROUTINE,
        ev(at(2026, 11, 26, 0, 30, tz=SH)),
        at(2026, 11, 29, 0, 30, tz=URUMQI),
        at(2026, 11, 29, tz=URUMQI),
        Verdict.LATE,
        30,
        policy=DeadlinePolicy(tz=URUMQI),
    ),
    Row(
        "Berlin policy across DST end",
        Category.ROUTINE,
        ev(at(2026, 10, 23, 12, tz=BERLIN)),
        at(2026, 10, 27, 0, 30, tz=BERLIN),
        at(2026, 10, 27, tz=BERLIN),
        Verdict.LATE,
        30,
        policy=DeadlinePolicy(tz=BERLIN),
    ),
    # unknown and non-reports
    Row("no event time", Category.URGENT, None, at(2026, 11, 25, 16), None, Verdict.UNKNOWN),
    Row("routine without event time", Category.ROUTINE, None, at(2026, 11, 25, 16), None, Verdict.UNKNOWN),
    Row("research dating no activity", Category.RESEARCH, None, at(2026, 11, 25, 16), None, Verdict.UNTIMED),
    Row(
        "event after report",
        Category.URGENT,
        ev(at(2026, 11, 25, 17)),
        at(2026, 11, 25, 16),
        at(2026, 11, 25, 19, 0),
        Verdict.UNKNOWN,
        flags=("event_after_report",),
    ),
    Row(
        "event slightly after report is tolerated",
        Category.URGENT,
        ev(at(2026, 11, 25, 16, 5)),
        at(2026, 11, 25, 16),
        at(2026, 11, 25, 18, 5),
        Verdict.ON_TIME,
    ),
    Row("non-report has no verdict", Category.AUTO_REPLY, NOV25_1430, at(2026, 12, 25), None, None),
    Row("bounce has no verdict", Category.BOUNCE, None, at(2026, 12, 25), None, None),
]


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_judge(row: Row) -> None:
    j = judge(row.category, row.event, internaldate=row.reported, date_header=None, policy=row.policy)
    assert j.deadline == row.deadline
    assert j.verdict == row.verdict
    assert j.lateness_minutes == row.lateness
    assert j.approximate == row.approximate
    assert j.flags == row.flags
    assert j.reported_at == row.reported
    assert j.category == row.category
    if j.deadline is not None:
        assert j.deadline.utcoffset() == j.deadline.astimezone(row.policy.tz).utcoffset()


@pytest.mark.parametrize(
    ("internaldate", "date_header", "reported_at", "flags"),
    [
        (at(2026, 11, 25, 16), at(2026, 11, 25, 15, 59), at(2026, 11, 25, 16), ()),
        (None, at(2026, 11, 25, 16), at(2026, 11, 25, 16), ("reported_at_from_date_header",)),
        (at(2026, 11, 25, 16), at(2026, 11, 26, 16, 1), at(2026, 11, 25, 16), ("date_header_in_future",)),
        (at(2026, 11, 25, 16), at(2026, 11, 26, 16), at(2026, 11, 25, 16), ()),
        (at(2026, 11, 25, 16), at(2026, 10, 25, 15), at(2026, 11, 25, 16), ("date_header_far_past",)),
        (at(2026, 11, 25, 16), at(2026, 10, 26, 16), at(2026, 11, 25, 16), ()),
    ],
)
def test_reported_at(
    internaldate: datetime | None, date_header: datetime | None, reported_at: datetime, flags: tuple[str, ...]
) -> None:
    j = judge(Category.URGENT, NOV25_1430, internaldate=internaldate, date_header=date_header, policy=CAL)
    assert j.reported_at == reported_at
    assert j.flags == flags


def test_date_header_fallback_judges_late() -> None:
    j = judge(Category.URGENT, NOV25_1430, internaldate=None, date_header=at(2026, 11, 25, 17), policy=CAL)
    assert (j.verdict, j.lateness_minutes) == (Verdict.LATE, 30)


def test_neither_arrival_time_raises() -> None:
    with pytest.raises(ValueError, match="internaldate or date_header"):
        judge(Category.ROUTINE, NOV25_1430, internaldate=None, date_header=None, policy=CAL)


def test_naive_arrival_raises() -> None:
    with pytest.raises(ValueError, match="aware"):
        judge(Category.ROUTINE, NOV25_1430, internaldate=datetime(2026, 11, 25), date_header=None, policy=CAL)


def test_policy_is_frozen_with_defaults() -> None:
    p = DeadlinePolicy()
    assert (p.urgent_hours, p.routine_mode, p.routine_days, p.routine_hours) == (2, "calendar_days", 3, 72)
    assert p.tz == SH
    with pytest.raises(AttributeError):
        p.urgent_hours = 3  # type: ignore[misc]
