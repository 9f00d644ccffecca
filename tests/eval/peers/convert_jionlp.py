#!/usr/bin/env python3
"""Convert JioNLP's time-parser unit test cases into an event-time set.

    python tests/eval/peers/convert_jionlp.py GIT_DIR > tests/eval/peers/jionlp.jsonl

GIT_DIR is a clone of github.com/dongrixinyu/JioNLP; the cases are the ``time_string_list`` of
``test/test_time_parser.py`` (``[text, reference timestamp, expected]``; the timestamps are read in
Asia/Shanghai, as that test's comments state; ``time.time()`` references, used where the answer does
not depend on them, become the file's commit time). A case is kept when the expected result is a
``time_point`` with ``definition: accurate`` whose span is one minute (or one second), one hour, one
day or one calendar month, starts no later than the reference (an event that has happened), in 1900
or later, and the text holds no second time expression JioNLP leaves out (是…还是, 或). Granularity
from the span; the start is the label.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PATH = "test/test_time_parser.py"
TZ = ZoneInfo("Asia/Shanghai")


class _Names(ast.NodeTransformer):
    def __init__(self, names: dict[str, int], now: int) -> None:
        self.names = names
        self.now = now

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Constant(self.names[node.id]), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # datetime.datetime(2021, 5, 6): a naive local (Asia/Shanghai) reference → its timestamp;
        # time.time() (cases whose answer does not depend on it): the file's commit time
        if not node.args:
            return ast.copy_location(ast.Constant(self.now), node)
        args = [ast.literal_eval(a) for a in node.args]
        stamp = datetime(*args, tzinfo=TZ).timestamp()
        return ast.copy_location(ast.Constant(stamp), node)


def _cases(source: str, now: int) -> list[list[Any]]:
    tree = ast.parse(source)
    names: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            target = node.targets[0].id
            if target.startswith("_ts_") and isinstance(node.value, ast.Constant):
                names[target] = int(node.value.value)
            elif target == "time_string_list":
                return ast.literal_eval(_Names(names, now).visit(node.value))
    raise SystemExit("time_string_list not found")


def _granularity(start: datetime, end: datetime) -> str | None:
    width = end - start
    if width <= timedelta(seconds=59):
        return "minute"
    if start.second == 0 and width == timedelta(seconds=59):
        return "minute"
    if start.minute == 0 and start.second == 0 and width == timedelta(minutes=59, seconds=59):
        return "hour"
    if start.hour == 0 and start.minute == 0 and width == timedelta(hours=23, minutes=59, seconds=59):
        return "day"
    if (
        start.day == 1
        and start.hour == 0
        and (end + timedelta(seconds=1)).day == 1
        and width < timedelta(days=32)
    ):
        return "month"
    return None


def main(git_dir: str) -> int:
    source = subprocess.run(
        ["git", f"--git-dir={git_dir}", "show", f"HEAD:{PATH}"], check=True, capture_output=True
    ).stdout.decode("utf-8")
    now = int(
        subprocess.run(
            ["git", f"--git-dir={git_dir}", "log", "-1", "--format=%ct", "HEAD", "--", PATH],
            check=True,
            capture_output=True,
        ).stdout
    )
    seen: set[str] = set()
    for idx, case in enumerate(_cases(source, now)):
        if len(case) < 3 or not isinstance(case[2], dict):
            continue
        text, ts, expected = case[0], case[1], case[2]
        if expected.get("type") != "time_point" or expected.get("definition") != "accurate":
            continue
        times = expected.get("time")
        if not isinstance(times, list) or len(times) != 2 or "inf" in str(times):
            continue
        start = datetime.fromisoformat(times[0]).replace(tzinfo=TZ)
        end = datetime.fromisoformat(times[1]).replace(tzinfo=TZ)
        if isinstance(ts, list):  # [2008, 3, 13] or [1997, 7, 1, 12, 30, 0]: a local datetime
            ref = datetime(*ts, tzinfo=TZ)
        elif isinstance(ts, (int, float)):
            ref = datetime.fromtimestamp(ts, TZ)
        else:
            continue  # {'year': 1837}: a partial reference we cannot state as a sending time
        gran = _granularity(start, end)
        if gran is None or start > ref or start.year < 1900 or text in seen:
            continue
        if "还是" in text or "或" in text or text == "现在":  # 现在: "now" is no event's time
            continue
        seen.add(text)
        row = {
            "id": f"jio-{idx:03d}",
            "subject": "",
            "body": text,
            "sent_at": ref.isoformat(),
            "category": "routine",
            "event_time": start.isoformat(),
            "granularity": gran,
            "event_time_text": text,
            "notes": f"JioNLP {PATH} time_string_list[{idx}]: {times[0]} – {times[1]}",
        }
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
