"""Festival and lunar dates as real Gregorian dates: 春节 2023 → 2023-01-22, 腊月二十三 → its day.

The lunar calendar is the widely published compact table (one number a year: bits 4–15 say which of
months 1–12 have 30 days, bits 0–3 the leap month, bit 16 whether the leap month has 30 days), here
for lunar years 1990–2035 only, starting from 正月初一 1990 = 1990-01-27. 清明 is the solar term
(the usual year formula, right for 1990–2035). Pure: no clock, no I/O.
"""

from __future__ import annotations

from datetime import date, timedelta

_FIRST = 1990
_NEW_YEAR_1990 = date(1990, 1, 27)
_INFO = (
    0x04AF5, 0x04970, 0x064B0, 0x074A3, 0x0EA50, 0x06B58, 0x05AC0, 0x0AB60,  # 1990–1997
    0x096D5, 0x092E0, 0x0C960, 0x0D954, 0x0D4A0, 0x0DA50, 0x07552, 0x056A0,  # 1998–2005
    0x0ABB7, 0x025D0, 0x092D0, 0x0CAB5, 0x0A950, 0x0B4A0, 0x0BAA4, 0x0AD50,  # 2006–2013
    0x055D9, 0x04BA0, 0x0A5B0, 0x15176, 0x052B0, 0x0A930, 0x07954, 0x06AA0,  # 2014–2021
    0x0AD50, 0x05B52, 0x04B60, 0x0A6E6, 0x0A4E0, 0x0D260, 0x0EA65, 0x0D530,  # 2022–2029
    0x05AA0, 0x076A3, 0x096D0, 0x04AFB, 0x04AD0, 0x0A4D0,  # 2030–2035
)  # fmt: skip
LAST_LUNAR_YEAR = _FIRST + len(_INFO) - 1


def _months(year: int) -> list[tuple[int, bool, int]]:
    """(month, is leap, days) of a lunar year, in order."""
    info = _INFO[year - _FIRST]
    leap = info & 0xF
    out: list[tuple[int, bool, int]] = []
    for m in range(1, 13):
        out.append((m, False, 30 if info & (0x10000 >> m) else 29))
        if m == leap:
            out.append((m, True, 30 if info & 0x10000 else 29))
    return out


def _new_year(year: int) -> date:
    day = _NEW_YEAR_1990
    for y in range(_FIRST, year):
        day += timedelta(days=sum(n for _, _, n in _months(y)))
    return day


_NEW_YEARS = {y: _new_year(y) for y in range(_FIRST, LAST_LUNAR_YEAR + 1)}


def lunar_date(year: int, month: int, day: int, leap: bool = False) -> date | None:
    """The Gregorian date of lunar ``year``/``month``/``day`` (None outside the table or invalid)."""
    if not _FIRST <= year <= LAST_LUNAR_YEAR or not 1 <= day <= 30:
        return None
    offset = 0
    for m, is_leap, days in _months(year):
        if m == month and is_leap == leap:
            return _NEW_YEARS[year] + timedelta(days=offset + day - 1) if day <= days else None
        offset += days
    return None


def _qingming(year: int) -> date:
    yy = year % 100
    c = 5.59 if year < 2000 else 4.81
    return date(year, 4, int(yy * 0.2422 + c) - yy // 4)


# name → ("solar", month, day) | ("lunar", month, day) | ("eve", 0, 0) (the day before 春节) | ("term", 0, 0)
FESTIVALS: dict[str, tuple[str, int, int]] = {
    "元旦": ("solar", 1, 1),
    "新年": ("solar", 1, 1),
    "情人节": ("solar", 2, 14),
    "女生节": ("solar", 3, 7),
    "妇女节": ("solar", 3, 8),
    "三八": ("solar", 3, 8),
    "植树节": ("solar", 3, 12),
    "愚人节": ("solar", 4, 1),
    "清明": ("term", 0, 0),
    "劳动节": ("solar", 5, 1),
    "五一": ("solar", 5, 1),
    "青年节": ("solar", 5, 4),
    "儿童节": ("solar", 6, 1),
    "六一": ("solar", 6, 1),
    "建党节": ("solar", 7, 1),
    "建军节": ("solar", 8, 1),
    "教师节": ("solar", 9, 10),
    "国庆": ("solar", 10, 1),
    "万圣节": ("solar", 10, 31),
    "光棍节": ("solar", 11, 11),
    "双十一": ("solar", 11, 11),
    "平安夜": ("solar", 12, 24),
    "圣诞节": ("solar", 12, 25),
    "春节": ("lunar", 1, 1),
    "大年初一": ("lunar", 1, 1),
    "除夕": ("eve", 0, 0),
    "大年三十": ("eve", 0, 0),
    "元宵": ("lunar", 1, 15),
    "端午": ("lunar", 5, 5),
    "七夕": ("lunar", 7, 7),
    "中秋": ("lunar", 8, 15),
    "重阳": ("lunar", 9, 9),
    "腊八": ("lunar", 12, 8),
}


def festival_date(name: str, year: int) -> date | None:
    """The date of festival ``name`` (a key of :data:`FESTIVALS`) in Gregorian ``year``."""
    kind, m, d = FESTIVALS[name]
    if kind == "solar":
        return date(year, m, d)
    if kind == "term":
        return _qingming(year) if 1990 <= year <= 2035 else None
    if kind == "eve":
        ny = lunar_date(year, 1, 1)
        return ny - timedelta(days=1) if ny is not None else None
    if m == 12:  # 腊月 falls in the next Gregorian year's January/February
        return lunar_date(year - 1, m, d)
    return lunar_date(year, m, d)
