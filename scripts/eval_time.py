#!/usr/bin/env python3
"""Score the event-time extractor alone: every row whose GOLD category is a report (urgent, routine,
followup, research), whatever the classifier says, so that time figures do not move with the classifier.

    python scripts/eval_time.py [--set tests/eval/real] [--split dev] [--errors]

Scoring as in scripts/evaluate.py (``time_correct``): the predicted start truncated to the labelled
granularity equals the label; a null label is right only for a null prediction.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluate import REPORT_CATEGORIES, TZ, load_rows, time_correct

from mailbot.judge.timephrase import extract_event_time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default="tests/eval/real", help="labelled JSONL set, or a folder of them")
    ap.add_argument("--split", choices=("dev", "test"), help="only the rows of this split")
    ap.add_argument("--errors", action="store_true", help="list every mistake")
    args = ap.parse_args(argv)
    rows = [r for r in load_rows(args.set, args.split) if r["category"] in REPORT_CATEGORIES]
    ok = 0
    mistakes = []
    for row in rows:
        et = extract_event_time(
            row["subject"] + "\n" + row["body"], datetime.fromisoformat(row["sent_at"]), TZ
        )
        if time_correct(row["event_time"], row["granularity"], et.start if et else None):
            ok += 1
        else:
            mistakes.append((row, et))
    n = len(rows)
    print(
        f"event time alone on gold reports: {ok}/{n} = {ok / n if n else 0:.3f}  ({args.set} {args.split or ''})"
    )
    if args.errors:
        for row, et in mistakes:
            got = f"{et.start.isoformat()} ({et.granularity}, {et.text!r})" if et else "None"
            print(
                f"- {row['id']} gold={row['event_time']} ({row['granularity']}, {row['event_time_text']!r}) got={got}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
