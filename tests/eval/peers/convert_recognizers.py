#!/usr/bin/env python3
"""Convert Microsoft Recognizers-Text's Chinese DateTime parser specs into an event-time set.

    python tests/eval/peers/convert_recognizers.py GIT_DIR > tests/eval/peers/recognizers_zh.jsonl

GIT_DIR is a clone of github.com/microsoft/Recognizers-Text (read with ``git show HEAD:path``).
A case is kept when it has exactly one result that describes a single past point or day:

* ``date`` / ``datetime`` / ``time`` results, resolved with the spec's *PastResolution* (an event has
  happened); a time without a date is the latest such time not after the reference;
* ``daterange`` results whose timex is one month (``2018-10``, ``XXXX-03``) → granularity month, or a
  range of days (``(2016-01-10,2016-01-12,P2D)`` from an explicit 从…到…) → its start day;
* dropped: durations, sets, weeks, years, seasons, decades, part-of-day timexes (TMO/TAF/TEV/TNI
  follow another convention), resolutions after the reference day (future-only), era names.

Granularity from the timex: ``THH`` hour, ``THH:MM`` / ``THH:MM:SS`` minute, a date day, a month month.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta

FILES = (
    "DateParser",
    "DateTimeParser",
    "TimeParser",
    "HolidayParser",
    "DatePeriodParser",
    "DateTimeModel",
)
SPEC = "Specs/DateTime/Chinese/{}.json"
TZ = "+08:00"
_DAY = re.compile(r"^(?:\d{4}|XXXX)-\d{2}-\d{2}$")
_DT = re.compile(r"^(?:\d{4}|XXXX)-\d{2}-\d{2}T(\d{2})(:\d{2})?(:\d{2})?$")
_T = re.compile(r"^T(\d{2})(:\d{2})?(:\d{2})?$")
_MONTH = re.compile(r"^(?:\d{4}|XXXX)-\d{2}$")
_DAYRANGE = re.compile(r"^\((?:\d{4}|XXXX)-\d{2}-\d{2},(?:\d{4}|XXXX)-\d{2}-\d{2},P\d+D\)$")
_ERA = re.compile("元年|康熙|雍正|乾隆|民国|神龙|光绪")
# lunar dates: the specs give the lunar month/day as if Gregorian (春节 → 01-01), not a real date
_LUNAR = re.compile("农历|正月|腊月|大年|初[一二三四五六七八九十]|春节|除夕|元宵|中秋|端午|重阳|七夕")
# numeric dates with a two-digit year or the day first (13.5.2015, 05/05/89): not Chinese usage, ambiguous
_WESTERN = re.compile(r"(?<![\d./-])\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?!\d)")
# open ranges and vague words: not a single point
# planned, not happened
_FUTURE = re.compile("将|打算|计划|准备")
_OPEN = re.compile("以后|之后|以前|之前(?<!分钟之前)|或之|及之|以来|开始|最近")


def _case(spec: dict, name: str, idx: int) -> dict | None:
    results = spec.get("Results") or []
    if len(results) != 1:
        return None
    res = results[0]
    value = res.get("Value") or {}
    timex = value.get("Timex") or ""
    past = value.get("PastResolution") or {}
    ref = datetime.fromisoformat(spec["Context"]["ReferenceDateTime"] + TZ)
    text = res["Text"]
    if _ERA.search(spec["Input"]) or _LUNAR.search(spec["Input"]) or _WESTERN.search(spec["Input"]):
        return None
    if _OPEN.search(text) or _FUTURE.search(spec["Input"]):
        return None
    if _DAY.match(timex) and "date" in past:
        start, gran = datetime.fromisoformat(past["date"] + "T00:00:00" + TZ), "day"
    elif (m := _DT.match(timex)) and "dateTime" in past:
        start = datetime.fromisoformat(past["dateTime"].replace(" ", "T") + TZ)
        gran = "hour" if m.group(2) is None else "minute"
    elif (m := _T.match(timex)) and "time" in past:
        hh, mm, *_ = (int(x) for x in past["time"].split(":"))
        start = ref.replace(hour=hh, minute=mm, second=0)
        if start > ref:
            start -= timedelta(days=1)
        gran = "hour" if m.group(2) is None else "minute"
    elif _MONTH.match(timex) and "startDate" in past:
        start, gran = datetime.fromisoformat(past["startDate"] + "T00:00:00" + TZ), "month"
    elif _DAYRANGE.match(timex) and "startDate" in past and re.search("[从自]", spec["Input"]):
        start, gran = datetime.fromisoformat(past["startDate"] + "T00:00:00" + TZ), "day"
    else:
        return None
    if start.date() > ref.date() or start.year < 1900:
        return None  # future only, or not a usable date: not an event that has happened
    if gran in ("hour", "minute") and not _DT.match(timex) and re.search("[月日号]", spec["Input"]):
        return None  # the result is a bare time but the sentence dates it: the spec's day is not the event's
    return {
        "id": f"rt-{name}-{idx:03d}",
        "subject": "",
        "body": spec["Input"],
        "sent_at": ref.isoformat(),
        "category": "routine",
        "event_time": start.isoformat(),
        "granularity": gran,
        "event_time_text": text,
        "notes": f"Recognizers-Text {SPEC.format(name)} #{idx}, timex {timex}",
    }


def _model_case(spec: dict, name: str, idx: int) -> dict | None:
    """A DateTimeModel case → the parser-spec shape (the latest value not after the reference is the past one)."""
    results = spec.get("Results") or []
    if len(results) != 1 or "ReferenceDateTime" not in spec.get("Context", {}):
        return None
    res = results[0]
    kind = res["TypeName"].removeprefix("datetimeV2.")
    ref = datetime.fromisoformat(spec["Context"]["ReferenceDateTime"] + TZ)
    values = res.get("Resolution", {}).get("values", [])
    past: dict[str, str] = {}
    timex = ""
    if kind in ("date", "datetime"):
        key = "date" if kind == "date" else "dateTime"
        cands = [v for v in values if v.get("value") and v["value"][:10] <= ref.isoformat()[:10]]
        if not cands:
            return None
        best = max(cands, key=lambda v: v["value"])
        timex, past = best["timex"], {key: best["value"]}
    elif kind == "time" and len(values) == 1:
        timex, past = values[0]["timex"], {"time": values[0]["value"]}
    elif kind == "daterange" and values and values[0].get("start"):
        cands = [v for v in values if v["start"] <= ref.isoformat()[:10]]
        if not cands:
            return None
        best = max(cands, key=lambda v: v["start"])
        timex, past = best["timex"], {"startDate": best["start"]}
    else:
        return None
    shaped = {
        "Input": spec["Input"],
        "Context": spec["Context"],
        "Results": [{"Text": res["Text"], "Value": {"Timex": timex, "PastResolution": past}}],
    }
    return _case(shaped, name, idx)


def main(git_dir: str) -> int:
    seen: set[str] = set()
    for name in FILES:
        raw = subprocess.run(
            ["git", f"--git-dir={git_dir}", "show", f"HEAD:{SPEC.format(name)}"],
            check=True,
            capture_output=True,
        ).stdout
        for idx, spec in enumerate(json.loads(raw.decode("utf-8-sig"))):
            case = (_model_case if name.startswith("DateTimeModel") else _case)(spec, name, idx)
            if case is None or case["body"] in seen:
                continue
            seen.add(case["body"])
            print(json.dumps(case, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
