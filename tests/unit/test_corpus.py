"""The real-text corpora (tests/eval/real, fresh, fresh2 … fresh6) keep the rules of their guide.

tests/eval/real/GUIDE.md: every row has its fields and its source, a body of at most 600 characters,
a granularity exactly when it has an event time, an event-time phrase copied from the text, the split
of the sha256 rule, and no row repeats another's URL or opening (so no text is in two parts at once).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[1] / "eval"
FOLDERS = ("real", "fresh", "fresh2", "fresh3", "fresh4", "fresh5", "fresh6")
FIELDS = {
    "id",
    "subject",
    "body",
    "sent_at",
    "category",
    "event_time",
    "granularity",
    "event_time_text",
    "source",
}
CATEGORIES = {"urgent", "routine", "followup", "research"}
GRANULARITIES = {"minute", "hour", "part_of_day", "day", "month"}


def _rows() -> list[tuple[str, dict]]:
    out = []
    for folder in FOLDERS:
        for path in sorted((EVAL / folder).glob("*.jsonl")):
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    out.append((f"{folder}/{path.name}:{n}", json.loads(line)))
    return out


ROWS = _rows()


def test_the_corpora_are_there() -> None:
    assert len(ROWS) >= 1000
    assert {where.split("/")[0] for where, _ in ROWS} == set(FOLDERS)


@pytest.mark.parametrize("folder", FOLDERS)
def test_rows_follow_the_guide(folder: str) -> None:
    bad = []
    for where, r in ROWS:
        if not where.startswith(folder + "/"):
            continue
        problems = [f"missing {f}" for f in sorted(FIELDS - r.keys())]
        if not problems:
            if len(r["body"]) > 600:
                problems.append("body over 600 characters")
            if r["category"] not in CATEGORIES:
                problems.append(f"category {r['category']!r}")
            if datetime.fromisoformat(r["sent_at"]).utcoffset() is None:
                problems.append("sent_at not aware")
            if (r["event_time"] is None) != (r["granularity"] is None):
                problems.append("granularity and event_time disagree")
            if r["granularity"] is not None and r["granularity"] not in GRANULARITIES:
                problems.append(f"granularity {r['granularity']!r}")
            if r["event_time"] is not None and datetime.fromisoformat(r["event_time"]).utcoffset() is None:
                problems.append("event_time not aware")
            text = r["event_time_text"]
            if text is not None and text not in r["subject"] and text not in r["body"]:
                problems.append("event_time_text not in subject or body")
            if not r["source"]:
                problems.append("no source")
            if "split" in r:
                want = "test" if int(hashlib.sha256(r["id"].encode()).hexdigest(), 16) % 3 == 0 else "dev"
                if r["split"] != want:
                    problems.append(f"split {r['split']} (the rule says {want})")
        bad.extend(f"{where} {r.get('id')}: {p}" for p in problems)
    assert bad == []


def test_no_row_is_in_two_places() -> None:
    seen: dict[tuple[str, str], str] = {}
    twice = []
    for where, r in ROWS:
        for key in (("id", r["id"]), ("source", r["source"]), ("opening", r["body"][:40])):
            if key in seen:
                twice.append(f"{where} repeats the {key[0]} of {seen[key]}")
            seen.setdefault(key, where)
    assert twice == []
