"""Resolving a matched phrase against the reference (the sending time): numerals, relative days and
weekdays, year and month inference, parts of day → an :class:`~mailbot.model.EventTime` span.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from mailbot.judge.timephrase.festivals import FESTIVALS, festival_date, lunar_date
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
    "夜晚": (18, 24),  # 8月13日夜晚: the evening, as 晚上
    "晚": (18, 24),
    "夜间": (20, 30),
    "夜里": (20, 30),
    "夜": (20, 30),
    "深夜": (23, 27),
    "半夜": (23, 27),
}


_PM_PODS = frozenset(
    {"下午", "午后", "傍晚", "晚上", "晚间", "夜晚", "晚", "夜间", "夜里", "夜", "深夜", "半夜"}
)


_NIGHT_PODS = frozenset({"夜间", "夜里", "夜", "深夜", "半夜"})


_MIDNIGHT_PODS = frozenset({"晚上", "晚间", "夜晚", "晚", "夜间", "夜里", "夜", "深夜", "半夜"})


# Relative day words: (anchor, day offset, implied part of day). anchor "ref" = the reference
# date, "ctx" = the date mentioned before (the reference date when none).
_REL: dict[str, tuple[str, int, str | None]] = {
    "今天": ("ref", 0, None),
    "今日": ("ref", 0, None),
    "本日": ("ref", 0, None),
    "今晨": ("ref", 0, "早上"),
    "今早": ("ref", 0, "早上"),
    "今晚": ("ref", 0, "晚上"),
    "今夜": ("ref", 0, "夜间"),
    "昨天": ("ref", -1, None),
    "昨": ("ref", -1, None),
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
    carry_year: int | None = None  # the year a preceding 去年/前年 named, for later dates without a year
    dateline: date | None = None  # a news dateline's date (新华社…4月27日电): the text's own "today"
    vague_day: bool = False  # the text says 近日/日前/近期 before any date: a later 当天 has no day


_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_YEAR_REL = {"今年": 0, "去年": -1, "上年": -1, "前年": -2, "明年": 1}


def _year(s: str, ref: date) -> int:
    """``2026``, ``二〇二六``, and two digits: ``03`` → 2003, ``98`` → 1998 (the latest not after ``ref``)."""
    if s.startswith("两千"):  # 两千零四, 两千年
        rest = s[2:].lstrip("零")
        return 2000 + (_cn_int(rest) if rest else 0)
    y = _cn_int(s)
    if 0 <= y < 100:
        y += 2000 if 2000 + y <= ref.year else 1900
    return y


def _latest(candidates: list[date | None], ref: date) -> date | None:
    """The most recent candidate not after ``ref`` + 1 day."""
    limit = ref + timedelta(days=1)
    ok = [c for c in candidates if c is not None and c <= limit]
    return max(ok) if ok else None


# a festival this close ahead is the one a text sent before it means (元旦、春节来临之际 on 29 December)
_FESTIVAL_AHEAD = timedelta(days=45)


def _nearest_festival(candidates: list[date | None], ref: date) -> date | None:
    """The festival's most recent date, or its next one when that is nearer and at most 45 days ahead."""
    past = _latest(candidates, ref)
    ahead = [c for c in candidates if c is not None and ref + timedelta(days=1) < c <= ref + _FESTIVAL_AHEAD]
    if ahead and (past is None or min(ahead) - ref < ref - past):
        return min(ahead)
    return past


def _lunar_month(s: str) -> tuple[int, bool]:
    leap = s.startswith("闰")
    s = s.removeprefix("闰")
    return {"正": 1, "冬": 11, "腊": 12}.get(s) or _cn_int(s), leap


def _lunar_day(s: str) -> int:
    s = s.removesuffix("日").removesuffix("号")
    if s.startswith("初"):
        return _cn_int(s[1:])
    return _cn_int(s)


def _resolve_lunar(g: dict[str, str | None], ref: date) -> _Resolved | None:
    if g["ld3"] is not None:  # 大年初十, 大年三十 (the eve)
        if g["ld3"] == "三十":
            day = _latest([festival_date("除夕", y) for y in (ref.year + 1, ref.year, ref.year - 1)], ref)
        else:
            n = _lunar_day(g["ld3"])
            day = _latest([lunar_date(y, 1, n) for y in (ref.year, ref.year - 1)], ref)
        return None if day is None else _Resolved(day, None, None, False)
    month_s = g["lm"] or g["lm2"] or g["lm3"] or ""
    day_s = g["ld"] or g["ld2"] or g["ld4"] or ""
    month, leap = _lunar_month(month_s)
    n = _lunar_day(day_s)
    if not 1 <= month <= 12 or not 1 <= n <= 30:
        return None
    year_s = g["ly"] or g["ly2"] or g["ly3"]
    if g.get("lyrel") is not None:  # 去年十一月廿九: the lunar date of last (lunar) year
        day = lunar_date(ref.year + _YEAR_REL[g["lyrel"] or ""], month, n, leap)
    elif year_s is not None:
        day = lunar_date(_year(year_s, ref), month, n, leap)
    else:
        day = _latest([lunar_date(y, month, n, leap) for y in (ref.year, ref.year - 1, ref.year - 2)], ref)
    return None if day is None else _Resolved(day, None, None, False)


_FESTIVAL_POD = {"当晚": "晚上", "当夜": "夜间", "夜": "晚上"}  # 元宵夜, 除夕夜: the festival's evening


def _resolve_festival(g: dict[str, str | None], ref: date) -> _Resolved | None:
    name = g["hol"] or ""
    if name not in FESTIVALS:
        name = name.removesuffix("节")
    if name not in FESTIVALS:
        return None
    hy = g["hy"]
    if hy is not None and hy in _YEAR_REL:
        day = festival_date(name, ref.year + _YEAR_REL[hy])
    elif hy is not None:
        day = festival_date(name, _year(hy, ref))
    else:
        day = _nearest_festival([festival_date(name, y) for y in (ref.year - 1, ref.year, ref.year + 1)], ref)
    if day is None:
        return None
    if g["hs"] == "前夕":
        day -= timedelta(days=1)
    return _Resolved(day, None, _FESTIVAL_POD.get(g["hs"] or ""), False)


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
    resolved = _resolve_date_core(g, ctx, ref)
    if resolved is not None and g["nd"] is not None:
        # "今天（15日）", "昨日（4月18日）": the bracketed date wins
        nd = int(g["nd"])
        if g["ny"] is not None and g["nm"] is not None:
            day = _valid_date(int(g["ny"]), int(g["nm"]), nd)
        elif g["nm"] is not None:
            day = _infer_year(int(g["nm"]), nd, ref)
        elif resolved.day is not None:
            day = _valid_date(resolved.day.year, resolved.day.month, nd) or _infer_month(nd, ref)
        else:
            day = _infer_month(nd, ref)
        if day is not None:
            npod = g.get("npod")
            pod = resolved.pod or (("晚上" if npod == "晚" else npod) if npod else None)  # 昨天(11日晚上)
            return _Resolved(day, None, pod, False)
    return resolved


def _resolve_date_core(g: dict[str, str | None], ctx: _Context, ref: date) -> _Resolved | None:
    if g["lm"] is not None or g["lm2"] is not None or g["lm3"] is not None or g["ld3"] is not None:
        return _resolve_lunar(g, ref)
    if g["hol"] is not None:
        return _resolve_festival(g, ref)
    if g["yp"] is not None or g["yq"] is not None:  # 2016年底, 去年年底, 今年初, 2010年第三季度
        y = _year(g["ye"], ref) if g["ye"] is not None else ref.year + _YEAR_REL[g["yerel"] or "今年"]
        if g["yq"] is not None:  # a quarter: its first month (a statistical period → its start)
            return _Resolved(None, (y, 3 * _QUARTERS[g["yq"]] - 2), None, False)
        return _Resolved(None, (y, 1 if g["yp"] == "初" else 12), None, False)
    if g["q2"] is not None:  # 二季度: of the reference's year, or last year's when it has not begun
        first = 3 * _QUARTERS[g["q2"]] - 2
        return _Resolved(None, (ref.year if first <= ref.month else ref.year - 1, first), None, False)
    if g["jd"] is not None:  # 今(3)日
        d = int(g["jd"])
        jday = ref if g["jrel"] == "今" else ref - timedelta(days=1)
        day = _valid_date(jday.year, jday.month, d) or _infer_month(d, ref)
        return None if day is None else _Resolved(day, None, None, False)
    if g["y"] is not None:
        y, m = _year(g["y"], ref), _cn_int(g["m"] or "")
        if not 1 <= m <= 12 or y < 1900:
            return None
        d_s = g["d"] or g["dn"]
        if d_s is None:
            return _Resolved(None, (y, m), None, False)
        day = _valid_date(y, m, _cn_int(d_s))
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
            y += _YEAR_REL.get(g["yrel"] or "", 0)  # 去年本月十日
            explicit_year = True
        else:
            m = _cn_int(g["m2"] or "")
            if not 1 <= m <= 12:
                return None
            yrel = g["yrel"]
            explicit_year = yrel is not None
            y = ref.year + _YEAR_REL.get(yrel or "", 0)
            if yrel is None and ctx.carry_year is not None and _valid_date(ctx.carry_year, m, 1):
                # "去年12月…12月5日": the year a preceding 去年/前年 named
                explicit_year, y = True, ctx.carry_year
        d_s = g["d2"] or g["dn2"] or g["dp2"]  # 11月25日, 一月二十三, 11月23上午
        if d_s is None or g["mr"] is not None:
            if not explicit_year and (y, m) > (ref.year, ref.month):
                y -= 1
            return _Resolved(None, (y, m), None, False)
        d = _cn_int(d_s)
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
        if anchor == "ctx" and ctx.last_date is None and ctx.vague_day:
            return None  # "近日，…当晚7时左右": 当晚 of a day the text leaves vague
        base_day = ctx.last_date if anchor == "ctx" and ctx.last_date is not None else ctx.dateline or ref
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


_DECIMAL_DIGITS = frozenset("〇零一二三四五六七八九两")


_AGO_UNITS = {
    "小时": Granularity.HOUR,
    "钟头": Granularity.HOUR,
    "天": Granularity.DAY,
    "分钟": Granularity.MINUTE,
}


def _ago(
    m: re.Match[str], g: dict[str, str | None], ref_local: datetime
) -> tuple[EventTime, tuple[int, int], bool] | None:
    """N小时前 / N天前 / N分钟前 / 半小时前, counted back from the reference."""
    n = 0.5 if g["ago"] == "半" else float(_cn_int(g["ago"] or ""))
    unit = (g["agou"] or "").removeprefix("个")
    granularity = _AGO_UNITS[unit]
    if n <= 0 or (granularity is Granularity.DAY and n > 60):
        return None
    if granularity is Granularity.DAY:
        day = ref_local.date() - timedelta(days=int(n))
        start = _local(day, 0, 0, ref_local.tzinfo or BEIJING_TIME)
        end = start + timedelta(days=1)
    else:
        back = timedelta(hours=n) if granularity is Granularity.HOUR else timedelta(minutes=n)
        t = ref_local - back
        if granularity is Granularity.HOUR and n != int(n):
            granularity = Granularity.MINUTE  # 半小时前
        if granularity is Granularity.HOUR:
            start, end = (
                t.replace(minute=0, second=0, microsecond=0),
                t.replace(minute=0, second=0, microsecond=0),
            )
            end = start + timedelta(hours=1)
        else:
            start = t.replace(second=0, microsecond=0)
            end = start + timedelta(minutes=1)
    core_start = m.start()
    while core_start < m.end() and m.string[core_start].isspace():
        core_start += 1
    return EventTime(start, end, "", granularity), (core_start, m.end()), True


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
    if g["ago"] is not None:
        return _ago(m, g, ref_local)
    if g["h"] is not None and m.string[max(0, m.start() - 2) : m.start()] in ("不到", "不足"):
        return None  # "下午一点多不到两点": the upper bound of the time just given
    resolved = _resolve_date(g, ctx, ref)
    if resolved is None:
        return None
    if g["yrel"] in ("去年", "上年", "前年") or g["yerel"] in ("去年", "上年", "前年"):
        year = (
            resolved.day.year if resolved.day is not None else resolved.month[0] if resolved.month else None
        )
        ctx.carry_year = year
    elif (
        g["y"] is not None or g["iy"] is not None or g["ye"] is not None or "今年" in (g["yrel"], g["yerel"])
    ):
        ctx.carry_year = None
    pod = g["pod"] or resolved.pod
    if g["pod"] and resolved.pod and g["pod"] != resolved.pod:
        pod = g["pod"]
    hour: int | None = None
    minute = 0
    granularity = Granularity.HOUR
    if g["h"] is not None:
        hour = _cn_int(g["h"])
        mark = m.end("h")
        while mark < len(m.string) and m.string[mark].isspace():
            mark += 1
        if (
            m.string[mark : mark + 1] == "点"
            and m.string[mark + 1 : mark + 2] in _DECIMAL_DIGITS
            and g["mi"] is None
            and g["mi3"] is None
            and g["ke"] is None
        ):
            return None  # 三点五个百分点: a decimal number, not a clock time
        if g["mi"] is not None or g["mi2"] is not None or g["mi3"] is not None:
            minute = _cn_int(g["mi"] or g["mi2"] or g["mi3"] or "")
            granularity = Granularity.MINUTE
        elif g["ke"] is not None:  # 一刻 = 15 minutes, 三刻 = 45
            minute, granularity = 15 * _cn_int(g["ke"]), Granularity.MINUTE
        elif g["half"]:
            minute, granularity = 30, Granularity.MINUTE
        elif g["zheng"]:
            granularity = Granularity.MINUTE
    elif g["hh"] is not None:
        hour, minute, granularity = int(g["hh"]), int(g["mm"] or 0), Granularity.MINUTE
        if g["ampm"] is not None and 1 <= hour <= 12:  # 2:00pm, 11:30 p.m., 12:10 a.m.
            hour = hour % 12 + (12 if g["ampm"] in "pP" else 0)
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
        if pod in _MIDNIGHT_PODS and hour == 12:
            hour, day_offset = 0, 1  # 晚上12点, 夜里12点: midnight at the end of the day, not noon
        elif pod == "凌晨" and hour == 12:
            hour = 0  # 13日凌晨12时22分: twelve past midnight of that day
        elif pod in _NIGHT_PODS and hour < 6:
            day_offset = 1
        elif (pod in _PM_PODS and 1 <= hour < 12) or (pod in ("中午", "午间") and 1 <= hour <= 2):
            hour += 12
    if resolved.month is not None and hour is None and pod is None:
        if g["mp"] is None and g["mp2"] is None and _VAGUE_MONTH_AFTER_RE.match(m.string, m.end()):
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
