"""The working-day calendar: the State Council's holiday schedule (法定节假日与调休安排).

Two sources, the office's first:

* files the office loads (``[calendar] holiday_files``): the per-year JSON of the public holiday-cn
  data set (``{"year": 2027, "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}, …]}``)
  or an ICS file whose all-day VEVENTs name the days (a SUMMARY with 班 — 补班/上班 — is a make-up
  working day, any other event an official day off);
* the ``chinese_calendar`` package (data through 2026 in 1.11).

A year covered by an office file is judged from that file alone (days it does not list are
Monday–Friday working days); otherwise the package decides; a year neither knows has *no data*:
:meth:`WorkCalendar.is_workday` returns None and deadlines fall back to Monday–Friday, flagged
``calendar_provisional`` (receipts say 暂按周一至周五计算).

Parsing is pure (text in, schedule out); :func:`load_holiday_files` is the one function that reads files.
The only importer of ``chinese_calendar``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "HolidayFileError",
    "WorkCalendar",
    "load_holiday_files",
    "missing_next_year",
    "parse_holiday_cn",
    "parse_ics",
]

# The day from which the daemon warns that next year's schedule is missing (the State Council
# usually publishes it in November).
WARN_FROM_MONTH, WARN_FROM_DAY = 12, 1


class HolidayFileError(ValueError):
    """A holiday file that cannot be read; the message names the file and what to do."""


@dataclass(frozen=True)
class WorkCalendar:
    """Official working days: office-loaded days (``off_days``/``work_days``, years ``years``) over the package."""

    off_days: frozenset[date] = frozenset()
    work_days: frozenset[date] = frozenset()  # 调休 make-up working days (often a Saturday or Sunday)
    years: frozenset[int] = frozenset()  # years the office files cover completely
    sources: tuple[str, ...] = field(default=(), compare=False)  # file names, for messages

    def is_workday(self, day: date) -> bool | None:
        """True/False for an official working day or day off; None when no source has the year."""
        if day in self.work_days:
            return True
        if day in self.off_days:
            return False
        if day.year in self.years:
            return day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            return None

    def has_year(self, year: int) -> bool:
        """Whether the schedule of ``year`` is known (office file or package)."""
        return year in self.years or year in self._package_years

    @cached_property
    def _package_years(self) -> frozenset[int]:
        years = set()
        for year in range(1990, 2200):
            try:
                chinese_calendar.is_workday(date(year, 6, 1))
            except NotImplementedError:
                continue
            years.add(year)
        return frozenset(years)

    def merged(self, other: WorkCalendar) -> WorkCalendar:
        """This calendar with ``other``'s days added; ``other`` wins where both name a day."""
        return WorkCalendar(
            off_days=(self.off_days - other.work_days) | other.off_days,
            work_days=(self.work_days - other.off_days) | other.work_days,
            years=self.years | other.years,
            sources=(*self.sources, *other.sources),
        )


def parse_holiday_cn(text: str, name: str = "holiday file") -> WorkCalendar:
    """One year of the holiday-cn data set (its ``YEAR.json``)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HolidayFileError(f"{name}: not valid JSON ({exc})") from None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("year"), int)
        or not isinstance(data.get("days"), list)
    ):
        raise HolidayFileError(
            f'{name}: expected the holiday-cn format {{"year": 2027, "days": [{{"date": "2027-01-01", '
            '"isOffDay": true}, …]}'
        )
    off: set[date] = set()
    work: set[date] = set()
    for i, item in enumerate(data["days"]):
        if not isinstance(item, dict) or not isinstance(item.get("isOffDay"), bool):
            raise HolidayFileError(f"{name}: days[{i}] needs a date and isOffDay true/false")
        try:
            day = date.fromisoformat(str(item.get("date")))
        except ValueError:
            raise HolidayFileError(
                f"{name}: days[{i}]: {item.get('date')!r} is not a YYYY-MM-DD date"
            ) from None
        (off if item["isOffDay"] else work).add(day)
    return WorkCalendar(frozenset(off), frozenset(work), frozenset({data["year"]}), (name,))


_ICS_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})")


def _unfold(text: str) -> list[str]:
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += line[1:]
        elif line:
            lines.append(line)
    return lines


def _ics_day(value: str, name: str, prop: str) -> date:
    m = _ICS_DATE.match(value.strip())
    if m is None:
        raise HolidayFileError(f"{name}: {prop} {value!r} is not a date (YYYYMMDD)")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise HolidayFileError(f"{name}: {prop} {value!r} is not a date") from None


def parse_ics(text: str, name: str = "holiday file") -> WorkCalendar:
    """All-day VEVENTs (``DTSTART;VALUE=DATE:20270101``, optional exclusive ``DTEND``) of an ICS file.

    A SUMMARY containing 班 (补班, 上班) marks make-up working days, any other event days off. The
    years covered are those the events touch. Recurring events (RRULE) are refused: a holiday
    schedule lists its days.
    """
    off: set[date] = set()
    work: set[date] = set()
    event: dict[str, str] | None = None
    for line in _unfold(text):
        key, _, value = line.partition(":")
        prop = key.split(";", 1)[0].upper()
        if prop == "BEGIN" and value.strip().upper() == "VEVENT":
            event = {}
        elif prop == "END" and value.strip().upper() == "VEVENT" and event is not None:
            if "RRULE" in event:
                raise HolidayFileError(f"{name}: recurring events (RRULE) are not supported; list the days")
            if "DTSTART" not in event:
                raise HolidayFileError(f"{name}: a VEVENT without DTSTART")
            start = _ics_day(event["DTSTART"], name, "DTSTART")
            end = _ics_day(event["DTEND"], name, "DTEND") if "DTEND" in event else start + timedelta(days=1)
            target = work if "班" in event.get("SUMMARY", "") else off
            day = start
            while day < max(end, start + timedelta(days=1)):
                target.add(day)
                day += timedelta(days=1)
            event = None
        elif event is not None and prop in ("DTSTART", "DTEND", "SUMMARY", "RRULE"):
            event[prop] = value
    if not off and not work:
        raise HolidayFileError(f"{name}: no all-day events (VEVENT with DTSTART;VALUE=DATE:…) found")
    off -= work
    years = frozenset(d.year for d in off | work)
    return WorkCalendar(frozenset(off), frozenset(work), years, (name,))


def load_holiday_files(paths: tuple[Path, ...] | list[Path]) -> WorkCalendar:
    """Read the office's holiday files in order (a later file wins over an earlier one)."""
    calendar = WorkCalendar()
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise HolidayFileError(f"{path}: cannot read the holiday file ({exc})") from None
        parse = parse_ics if path.suffix.lower() in (".ics", ".ical") else parse_holiday_cn
        calendar = calendar.merged(parse(text, str(path)))
    return calendar


def missing_next_year(calendar: WorkCalendar, now: datetime, tz: ZoneInfo) -> int | None:
    """From 1 December: next year when its schedule is not known, else None."""
    local = now.astimezone(tz).date()
    if (local.month, local.day) < (WARN_FROM_MONTH, WARN_FROM_DAY):
        return None
    year = local.year + 1
    return None if calendar.has_year(year) else year
