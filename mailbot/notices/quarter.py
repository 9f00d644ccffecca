"""Quarters (2026Q4) and years as spans of local days in the zone, for the notice and the awards. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
QUARTER_WORDS = ("一", "二", "三", "四")


@dataclass(frozen=True)
class Span:
    key: str  # 2026Q4 (the NoticeRun key) or 2026
    kind: str  # quarter, year
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
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.first_day.year}年第{QUARTER_WORDS[(self.first_day.month - 1) // 3]}季度"
        return f"{self.first_day.year}年度"

    def previous(self) -> Span:
        if self.kind == "quarter":
            return quarter_of(self.first_day - timedelta(days=1), self.tz)
        return year_span(self.first_day.year - 1, self.tz)


def quarter_of(day: date, tz: ZoneInfo) -> Span:
    q = (day.month - 1) // 3
    first = date(day.year, 3 * q + 1, 1)
    nxt = date(day.year + 1, 1, 1) if q == 3 else date(day.year, 3 * q + 4, 1)
    return Span(f"{day.year}Q{q + 1}", "quarter", first, nxt - timedelta(days=1), tz)


def parse_quarter(text: str, tz: ZoneInfo) -> Span:
    """``2026Q4`` (also ``2026-Q4``, ``2026q4``) → 1 October – 31 December 2026."""
    m = _QUARTER.match(text.strip())
    if m is None:
        raise ValueError(f"{text!r} is not a quarter such as 2026Q4")
    return quarter_of(date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1), tz)


def year_span(year: int, tz: ZoneInfo) -> Span:
    return Span(str(year), "year", date(year, 1, 1), date(year, 12, 31), tz)


def quarter_before(instant: datetime, tz: ZoneInfo) -> Span:
    """The last complete quarter before the local day of ``instant``: what a notice sent then covers."""
    return quarter_of(quarter_of(instant.astimezone(tz).date(), tz).first_day - timedelta(days=1), tz)
