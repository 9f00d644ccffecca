"""Category + event time + arrival time → deadline and verdict (the 2-hour and 3-day rules).

Pure: the arrival time is a parameter, no clock, no I/O. Working days come from
:class:`mailbot.judge.calendar.WorkCalendar` (the office's holiday files over ``chinese_calendar``).

Rules (新质监办发〔2012〕24号, 三): urgent information (突发事件、重大事故、重要工作动态) within
``urgent_hours`` (2) of the event; routine information (and 调研信息) within ``routine_days`` (3) days.

An event phrase allows a span ``[start, end)``. The report is judged against the *latest* instant
the phrase allows, taken as ``event.end`` (the exclusive end; it differs from the last representable
instant by one unit at most, and it never makes a report late that a precise time would have
let pass). So "14时许" (14:00–15:00) gives an urgent deadline of 17:00, and "11月25日" gives
11月26日 02:00. A time given to the minute is exact: "14时05分" gives 16:05.

Routine deadlines (``policy.routine_mode``):

* ``calendar_days``: the end of the ``routine_days``-th calendar day after the day of the event's
  latest instant, in ``policy.tz`` (event on 25 Nov at any time → 29 Nov 00:00);
* ``hours``: the event's latest instant + ``routine_hours``;
* ``working_days``: the end of the ``routine_days``-th working day after the event's day, with the
  official holidays and 调休 make-up working days of ``policy.calendar``; for a year it has no data
  for, Monday–Friday, flagged ``calendar_provisional`` (the receipt says so; the office loads the
  year's schedule with ``[calendar] holiday_files``).

``approximate`` is set when the phrase is coarser than the rule can judge exactly: for urgent and
follow-up reports anything coarser than a minute; for ``calendar_days``/``working_days`` only a
month (a day is exact for a day rule); for ``hours`` anything coarser than an hour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from mailbot.judge.calendar import WorkCalendar
from mailbot.model import Category, EventTime, Granularity, Judgement, Verdict

__all__ = ["CALENDAR_PROVISIONAL", "EVENT_AFTER_REPORT_TOLERANCE", "DeadlinePolicy", "judge"]

# Flag of a working-day deadline counted Monday–Friday because the year's holiday schedule is missing.
CALENDAR_PROVISIONAL = "calendar_provisional"

# An event time this much after the arrival is taken as a clock or parsing problem, not a report.
EVENT_AFTER_REPORT_TOLERANCE = timedelta(minutes=10)

_URGENT = frozenset({Category.URGENT, Category.FOLLOWUP})
_FINER_THAN_HOUR = frozenset({Granularity.MINUTE, Granularity.HOUR})


@dataclass(frozen=True)
class DeadlinePolicy:
    urgent_hours: float = 2
    routine_mode: Literal["calendar_days", "hours", "working_days"] = "calendar_days"
    routine_days: int = 3
    routine_hours: float = 72
    future_date_tolerance_hours: float = 24  # Date header this far after arrival → flagged
    past_date_tolerance_days: float = 30  # Date header this far before arrival → flagged
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    calendar: WorkCalendar = field(default_factory=WorkCalendar)  # working_days mode: holidays and 调休

    @property
    def urgent_limit_text(self) -> str:
        """The urgent rule's limit in words: ``2小时``."""
        return f"{self.urgent_hours:g}小时"

    @property
    def routine_limit_text(self) -> str:
        """The routine rule's limit in words: ``3天``, ``3个工作日`` or ``72小时``."""
        if self.routine_mode == "hours":
            return f"{self.routine_hours:g}小时"
        if self.routine_mode == "working_days":
            return f"{self.routine_days}个工作日"
        return f"{self.routine_days}天"


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=tz)


def _latest_day(event: EventTime, tz: ZoneInfo) -> date:
    """The local day of the latest instant the phrase allows (just before its exclusive end)."""
    return (event.end - timedelta(microseconds=1)).astimezone(tz).date()


def _nth_working_day_after(day: date, n: int, calendar: WorkCalendar) -> tuple[date, bool]:
    """The n-th working day after ``day`` and whether the Monday–Friday fallback was used."""
    fallback = False
    count = 0
    current = day
    while count < n:
        current += timedelta(days=1)
        working = calendar.is_workday(current)
        if working is None:
            fallback = True
            working = current.weekday() < 5
        if working:
            count += 1
    return current, fallback


def _deadline(
    category: Category, event: EventTime, policy: DeadlinePolicy
) -> tuple[datetime, bool, tuple[str, ...]]:
    """(deadline, approximate, flags) for a report category."""
    latest = event.start if event.granularity is Granularity.MINUTE else event.end
    if category in _URGENT:
        deadline = latest + timedelta(hours=policy.urgent_hours)
        return deadline.astimezone(policy.tz), event.granularity is not Granularity.MINUTE, ()
    if policy.routine_mode == "hours":
        deadline = latest + timedelta(hours=policy.routine_hours)
        return deadline.astimezone(policy.tz), event.granularity not in _FINER_THAN_HOUR, ()
    approximate = event.granularity is Granularity.MONTH
    day = _latest_day(event, policy.tz)
    if policy.routine_mode == "working_days":
        last, fallback = _nth_working_day_after(day, policy.routine_days, policy.calendar)
        flags = (CALENDAR_PROVISIONAL,) if fallback else ()
        return _midnight(last + timedelta(days=1), policy.tz), approximate, flags
    return _midnight(day + timedelta(days=policy.routine_days + 1), policy.tz), approximate, ()


def _reported_at(
    internaldate: datetime | None, date_header: datetime | None, policy: DeadlinePolicy
) -> tuple[datetime, list[str]]:
    flags: list[str] = []
    for name, value in (("internaldate", internaldate), ("date_header", date_header)):
        if value is not None and value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware")
    if internaldate is not None and date_header is not None:
        if date_header - internaldate > timedelta(hours=policy.future_date_tolerance_hours):
            flags.append("date_header_in_future")
        if internaldate - date_header > timedelta(days=policy.past_date_tolerance_days):
            flags.append("date_header_far_past")
    if internaldate is not None:
        return internaldate.astimezone(policy.tz), flags
    if date_header is not None:
        flags.append("reported_at_from_date_header")
        return date_header.astimezone(policy.tz), flags
    raise ValueError("judge() needs internaldate or date_header to know when the report arrived")


def judge(
    category: Category,
    event: EventTime | None,
    *,
    internaldate: datetime | None,
    date_header: datetime | None,
    policy: DeadlinePolicy,
) -> Judgement:
    """Judge one submission.

    ``reported_at`` is the server arrival time (``internaldate``), the Date header only as a
    fallback (flag ``reported_at_from_date_header``); with neither, ValueError. Non-reports get no
    deadline and verdict None. Without an event time the verdict is ``unknown`` (``untimed`` for a
    research piece, whose time is only that of a dated research activity); ``unknown`` also when the
    event starts more than 10 minutes after the arrival (flag ``event_after_report``; the deadline
    is still given). Otherwise ``on_time`` when ``reported_at <= deadline``, else ``late`` with
    ``lateness_minutes`` = whole minutes past the deadline, rounded up.
    """
    reported_at, flags = _reported_at(internaldate, date_header, policy)
    if not category.is_report:
        return Judgement(category, event, reported_at, None, None, None, flags=tuple(flags))
    if event is None:
        verdict = Verdict.UNTIMED if category is Category.RESEARCH else Verdict.UNKNOWN
        return Judgement(category, None, reported_at, None, verdict, None, flags=tuple(flags))
    deadline, approximate, more_flags = _deadline(category, event, policy)
    flags.extend(more_flags)
    if event.start > reported_at + EVENT_AFTER_REPORT_TOLERANCE:
        flags.append("event_after_report")
        return Judgement(
            category, event, reported_at, deadline, Verdict.UNKNOWN, None, approximate, tuple(flags)
        )
    if reported_at <= deadline:
        return Judgement(
            category, event, reported_at, deadline, Verdict.ON_TIME, None, approximate, tuple(flags)
        )
    lateness = math.ceil((reported_at - deadline) / timedelta(minutes=1))
    return Judgement(
        category, event, reported_at, deadline, Verdict.LATE, lateness, approximate, tuple(flags)
    )
