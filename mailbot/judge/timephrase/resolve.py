"""Resolving a matched phrase against the reference (the sending time): numerals, relative days and
weekdays, year and month inference, parts of day → an :class:`~mailbot.model.EventTime` span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from mailbot.judge.timephrase.grammar import _LABEL_NUMBER_RE, BEIJING_TIME, XINJIANG_TIME
from mailbot.judge.timephrase.scoring import _VAGUE_MONTH_AFTER_RE
from mailbot.model import EventTime, Granularity

# Part-of-day spans: (start hour, end hour), end may exceed 24 (next day).
_POD_SPANS: dict[str, tuple[int, int]] = {
    "凌晨": (0, 6),
    "清晨": (6, 9),
    "早上": (6, 9),
    "早晨": (6, 9),
    "早间": (6, 9),
    "一早": (6, 9),
    "早": (6, 9),
    "上午": (8, 12),
    "中午": (11, 13),
    "午间": (11, 13),
    "下午": (12, 18),
    "午后": (12, 18),
    "傍晚": (17, 19),
    "晚上": (18, 24),
    "晚间": (18, 24),
    "晚": (18, 24),
    "夜间": (20, 30),
    "夜里": (20, 30),
    "夜": (20, 30),
    "深夜": (23, 27),
    "半夜": (23, 27),
}


_PM_PODS = frozenset({"下午", "午后", "傍晚", "晚上", "晚间", "晚", "夜间", "夜里", "夜", "深夜", "半夜"})


_NIGHT_PODS = frozenset({"夜间", "夜里", "夜", "深夜", "半夜"})


# Relative day words: (anchor, day offset, implied part of day). anchor "ref" = the reference
# date, "ctx" = the date mentioned before (the reference date when none).
_REL: dict[str, tuple[str, int, str | None]] = {
    "今天": ("ref", 0, None),
    "今日": ("ref", 0, None),
    "今晨": ("ref", 0, "早上"),
    "今早": ("ref", 0, "早上"),
    "今晚": ("ref", 0, "晚上"),
    "今夜": ("ref", 0, "夜间"),
    "昨天": ("ref", -1, None),
    "昨日": ("ref", -1, None),
    "昨晨": ("ref", -1, "早上"),
    "昨晚": ("ref", -1, "晚上"),
    "昨夜": ("ref", -1, "夜间"),
    "前天": ("ref", -2, None),
    "前日": ("ref", -2, None),
    "前晚": ("ref", -2, "晚上"),
    "前夜": ("ref", -2, "夜间"),
    "大前天": ("ref", -3, None),
    "当天": ("ctx", 0, None),
    "当日": ("ctx", 0, None),
    "同日": ("ctx", 0, None),
    "同天": ("ctx", 0, None),
    "当晚": ("ctx", 0, "晚上"),
    "当夜": ("ctx", 0, "夜间"),
    "次日": ("ctx", 1, None),
    "翌日": ("ctx", 1, None),
    "第二天": ("ctx", 1, None),
}


_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}


def _cn_int(s: str) -> int:
    """``25``, ``二十五``, ``廿五``, ``十``, ``两``, ``二〇二六`` → int."""
    s = s.strip()
    if s.isascii() and s.isdigit():
        return int(s)
    digits = {
        "〇": 0,
        "零": 0,
        "一": 1,
        "二": 2,
        "两": 2,
        "三": 3,
        "四": 4,
        "五": 5,
        "六": 6,
        "七": 7,
        "八": 8,
        "九": 9,
    }
    tens = {"十": 1, "廿": 2, "卅": 3}
    for ch, mult in tens.items():
        if ch in s:
            head, _, tail = s.partition(ch)
            if mult != 1:
                high = -100 if head else mult
            elif head:
                high = digits.get(head, -100)
            else:
                high = 1
            low = digits.get(tail, -100) if tail else 0
            value = high * 10 + low
            return value if value >= 0 else -1
    value = 0
    for ch in s:
        if ch not in digits:
            return -1
        value = value * 10 + digits[ch]
    return value


@dataclass
class _Context:
    reference: datetime
    last_date: date | None = None


def _valid_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _infer_year(m: int, d: int, ref: date) -> date | None:
    """The most recent month/day not after ``ref`` + 1 day."""
    limit = ref + timedelta(days=1)
    for y in range(limit.year, limit.year - 9, -1):
        cand = _valid_date(y, m, d)
        if cand is not None and cand <= limit:
            return cand
    return None


def _infer_month(d: int, ref: date) -> date | None:
    """The most recent day-of-month ``d`` not after ``ref`` + 1 day."""
    limit = ref + timedelta(days=1)
    y, m = limit.year, limit.month
    for _ in range(4):
        cand = _valid_date(y, m, d)
        if cand is not None and cand <= limit:
            return cand
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return None


def _shift_month(y: int, m: int, delta: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + delta
    return idx // 12, idx % 12 + 1


@dataclass(frozen=True)
class _Resolved:
    day: date | None
    month: tuple[int, int] | None  # (year, month) when only a month is known
    pod: str | None
    anchor_free: bool  # True when the day was not given (clock/part of day alone)


def _resolve_date(g: dict[str, str | None], ctx: _Context, ref: date) -> _Resolved | None:
    pod: str | None = None
    if g["y"] is not None:
        y, m = _cn_int(g["y"]), _cn_int(g["m"] or "")
        if not 1 <= m <= 12 or y < 1900:
            return None
        if g["d"] is None:
            return _Resolved(None, (y, m), None, False)
        day = _valid_date(y, m, _cn_int(g["d"]))
        return None if day is None else _Resolved(day, None, None, False)
    if g["iy"] is not None:
        day = _valid_date(int(g["iy"]), int(g["im"] or 0), int(g["id"] or 0))
        return None if day is None else _Resolved(day, None, None, False)
    if g["mrel"] is not None or g["m2"] is not None:
        if g["mrel"] is not None:
            base = (ref.year, ref.month)
            if g["mrel"] in ("当", "同") and ctx.last_date is not None:
                base = (ctx.last_date.year, ctx.last_date.month)
            y, m = _shift_month(*base, {"上": -1, "下": 1}.get(g["mrel"], 0))
            explicit_year = True
        else:
            m = _cn_int(g["m2"] or "")
            if not 1 <= m <= 12:
                return None
            yrel = g["yrel"]
            explicit_year = yrel is not None
            y = ref.year + {"去年": -1, "上年": -1, "明年": 1}.get(yrel or "", 0)
        if g["d2"] is None or g["mr"] is not None:
            if not explicit_year and (y, m) > (ref.year, ref.month):
                y -= 1
            return _Resolved(None, (y, m), None, False)
        d = _cn_int(g["d2"])
        day = _valid_date(y, m, d) if explicit_year else _infer_year(m, d, ref)
        return None if day is None else _Resolved(day, None, None, False)
    if g["dm"] is not None:
        m, d = int(g["dm"]), int(g["dd"] or 0)
        day = _infer_year(m, d, ref) if 1 <= m <= 12 else None
        return None if day is None else _Resolved(day, None, None, False)
    if g["wd"] is not None:
        wd = _WEEKDAYS.get(g["wd"], int(g["wd"]) - 1 if g["wd"].isdigit() else 0)
        rel = g["wkrel"]
        if rel in ("上", "上上", "下"):
            monday = ref - timedelta(days=ref.weekday())
            weeks = {"上": -1, "上上": -2, "下": 1}[rel]
            return _Resolved(monday + timedelta(days=7 * weeks + wd), None, None, False)
        return _Resolved(ref - timedelta(days=(ref.weekday() - wd) % 7), None, None, False)
    if g["rel"] is not None:
        anchor, offset, pod = _REL[g["rel"]]
        base_day = ctx.last_date if anchor == "ctx" and ctx.last_date is not None else ref
        return _Resolved(base_day + timedelta(days=offset), None, pod, False)
    if g["d3"] is not None:
        d = _cn_int(g["d3"])
        if not 1 <= d <= 31:
            return None
        day = None
        if ctx.last_date is not None:
            day = _valid_date(ctx.last_date.year, ctx.last_date.month, d)
            if day is not None and day > ref + timedelta(days=1):
                day = None
        day = day or _infer_month(d, ref)
        return None if day is None else _Resolved(day, None, None, False)
    return _Resolved(None, None, None, True)


def _local(day: date, hour: int, minute: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone) + timedelta(hours=hour, minutes=minute)


def _build(m: re.Match[str], ctx: _Context, tz: ZoneInfo) -> tuple[EventTime, tuple[int, int], bool] | None:
    """Resolve one phrase match → (event, core span, has explicit day)."""
    g = m.groupdict()
    zone: tzinfo = tz
    if g["tz"] == "北京时间":
        zone = BEIJING_TIME
    elif g["tz"] in ("新疆时间", "乌鲁木齐时间"):
        zone = XINJIANG_TIME
    ref_local = ctx.reference.astimezone(zone)
    ref = ref_local.date()
    if g["d3"] is not None and _LABEL_NUMBER_RE.match(m.string, max(0, m.start("d3") - 1)):
        return None  # "某商场3号乘客电梯": a number label, not a day
    resolved = _resolve_date(g, ctx, ref)
    if resolved is None:
        return None
    pod = g["pod"] or resolved.pod
    if g["pod"] and resolved.pod and g["pod"] != resolved.pod:
        pod = g["pod"]
    hour: int | None = None
    minute = 0
    granularity = Granularity.HOUR
    if g["h"] is not None:
        hour = _cn_int(g["h"])
        if g["mi"] is not None or g["mi2"] is not None:
            minute = _cn_int(g["mi"] or g["mi2"] or "")
            granularity = Granularity.MINUTE
        elif g["half"]:
            minute, granularity = 30, Granularity.MINUTE
        elif g["zheng"]:
            granularity = Granularity.MINUTE
    elif g["hh"] is not None:
        hour, minute, granularity = int(g["hh"]), int(g["mm"] or 0), Granularity.MINUTE
    if hour is not None and not (0 <= hour <= 24 and 0 <= minute <= 59):
        return None
    if (
        hour is not None
        and g["h"] is not None
        and not (g["h"].isascii())
        and g["h"] == "一"
        and not (pod or g["approx"] or granularity is Granularity.MINUTE or not resolved.anchor_free)
    ):
        return None  # "一点" alone is rarely a clock time
    day_offset = 0
    if hour is not None and pod is not None:
        if pod in _NIGHT_PODS and hour < 6:
            day_offset = 1
        elif (pod in _PM_PODS and 1 <= hour < 12) or (pod in ("中午", "午间") and 1 <= hour <= 2):
            hour += 12
    if resolved.month is not None and hour is None and pod is None:
        if _VAGUE_MONTH_AFTER_RE.match(m.string, m.end()):
            return None  # 11月上旬, 11月底, 10月以来: a period, not an event time
        y, mo = resolved.month
        start = datetime(y, mo, 1, tzinfo=zone)
        ny, nm = _shift_month(y, mo, 1)
        end = datetime(ny, nm, 1, tzinfo=zone)
        granularity = Granularity.MONTH
    else:
        day = resolved.day
        if resolved.month is not None:
            return None  # a month with a time of day but no day: not a usable instant
        if day is None:
            # clock or part of day alone: the date mentioned before, else the reference's
            if ctx.last_date is not None:
                day = ctx.last_date
            else:
                day = ref
                probe_h = hour if hour is not None else _POD_SPANS[pod or "凌晨"][0]
                if _local(day, probe_h + 24 * day_offset, minute, zone) > ref_local:
                    day = ref - timedelta(days=1)
        if hour is not None:
            start = _local(day, hour + 24 * day_offset, minute, zone)
            end = start + (timedelta(minutes=1) if granularity is Granularity.MINUTE else timedelta(hours=1))
        elif pod is not None:
            lo, hi = _POD_SPANS[pod]
            start, end = _local(day, lo, 0, zone), _local(day, hi, 0, zone)
            granularity = Granularity.PART_OF_DAY
        else:
            start, end = _local(day, 0, 0, zone), _local(day, 24, 0, zone)
            granularity = Granularity.DAY
    core_end = m.end()
    core_start = m.start()
    text = m.string
    while core_start < core_end and text[core_start].isspace():
        core_start += 1
    has_day = resolved.day is not None and not resolved.anchor_free
    return EventTime(start, end, "", granularity), (core_start, core_end), has_day
