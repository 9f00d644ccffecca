"""Digest periods: an ISO week, a calendar month or a range of days, as local midnights in the zone. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    key: str  # 2026-W47, 2026-11, 2026-11-01..2026-11-15 (the DigestRun key)
    kind: str  # week, month, range
    first_day: date
    last_day: date  # inclusive
    tz: ZoneInfo

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), self.tz)

    @property
    def end(self) -> datetime:
        """Exclusive: the local midnight after the last day."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), self.tz)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def label(self) -> str:
        span = f"{self.first_day.month}月{self.first_day.day}日—{self.last_day.month}月{self.last_day.day}日"
        if self.kind == "week":
            year, week, _ = self.first_day.isocalendar()
            return f"{year}年第{week}周（{span}）"
        if self.kind == "month":
            return f"{self.first_day.year}年{self.first_day.month}月"
        return (
            f"{self.first_day:%Y}年{span}"
            if self.first_day.year == self.last_day.year
            else f"{self.first_day:%Y年%m月%d日}—{self.last_day:%Y年%m月%d日}"
        )

    def previous(self) -> Period:
        """The period of the same kind (or length) just before this one, for week-on-week change."""
        if self.kind == "week":
            return week_of(self.first_day - timedelta(days=7), self.tz)
        if self.kind == "month":
            return month_of(self.first_day - timedelta(days=1), self.tz)
        return day_range(
            self.first_day - timedelta(days=self.days), self.first_day - timedelta(days=1), self.tz
        )


def week_of(day: date, tz: ZoneInfo) -> Period:
    monday = day - timedelta(days=day.weekday())
    year, week, _ = monday.isocalendar()
    return Period(f"{year}-W{week:02d}", "week", monday, monday + timedelta(days=6), tz)


def month_of(day: date, tz: ZoneInfo) -> Period:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return Period(f"{first:%Y-%m}", "month", first, last, tz)


def day_range(first: date, last: date, tz: ZoneInfo) -> Period:
    if last < first:
        raise ValueError(f"the period ends ({last}) before it starts ({first})")
    return Period(f"{first.isoformat()}..{last.isoformat()}", "range", first, last, tz)


def parse_week(text: str, tz: ZoneInfo) -> Period:
    """``2026-W47`` (ISO 8601 week) → that Monday–Sunday."""
    m = _WEEK.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not an ISO week such as 2026-W47")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(f"{text!r}: year {m.group(1)} has no week {m.group(2)}") from None
    return week_of(monday, tz)


def period_before(instant: datetime, kind: str, tz: ZoneInfo) -> Period:
    """The last complete week (or month) before the local day of ``instant``: what a digest sent then covers."""
    today = instant.astimezone(tz).date()
    if kind == "month":
        return month_of(today.replace(day=1) - timedelta(days=1), tz)
    return week_of(today - timedelta(days=today.weekday() + 7), tz)
