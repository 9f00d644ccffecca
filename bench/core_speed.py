"""Throughput of mailbot's pure core on realistic texts (never a timed test: speed goals live in bench/).

    python bench/core_speed.py              # median of 5 runs each
    python bench/core_speed.py --runs 9

Inputs: the labelled report texts of tests/eval/*.jsonl (subject + body, sent_at as the reference time)
and every raw message of tests/fixtures/mail/*.eml, plus the bench's mixed 5–200 KB mail (bench.py).
Prints, per function, the median items/s over ``--runs`` runs and the spread.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mailbot.config import load_config  # noqa: E402
from mailbot.judge.assess import assess  # noqa: E402
from mailbot.judge.classify import classify_text  # noqa: E402
from mailbot.judge.timephrase import extract_event_time  # noqa: E402
from mailbot.mail.parse import parse_mail  # noqa: E402


def eval_texts() -> list[dict[str, Any]]:
    items = []
    for path in sorted((ROOT / "tests" / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append(
                    {
                        "subject": row.get("subject", ""),
                        "body": row.get("body", ""),
                        "sent_at": datetime.fromisoformat(row["sent_at"]),
                    }
                )
    return items


def fixture_mails() -> list[bytes]:
    return [p.read_bytes() for p in sorted((ROOT / "tests" / "fixtures" / "mail").glob("*.eml"))]


def bench_mails(n: int) -> list[bytes]:
    from bench.bench import mixed_mail

    rng = random.Random(7)
    return [mixed_mail(i, rng) for i in range(n)]


def rate(fn: Callable[[Any], object], items: Sequence[Any], runs: int) -> tuple[float, list[float]]:
    fn(items[0])  # warm up (regex compilation, imports)
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for item in items:
            fn(item)
        rates.append(len(items) / (time.perf_counter() - start))
    return statistics.median(rates), rates


def show(name: str, unit: str, items: Sequence[Any], median: float, rates: list[float]) -> None:
    spread = (max(rates) - min(rates)) / 2
    print(
        f"   {name:<42} {median:>9,.0f} {unit}/s  ({len(items)} items; {1000 / median:.2f} ms each; "
        f"spread ±{spread:,.0f})"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--mixed", type=int, default=300, help="bench mixed mails (5–200 KB) to parse and assess")
    args = ap.parse_args()
    config = load_config(None, env={})
    rules, policy, domains = config.classify, config.deadlines, config.domain_policy
    texts = eval_texts()
    fixtures = fixture_mails()
    mixed = bench_mails(args.mixed)
    print(
        f"core speed: {len(texts)} eval texts, {len(fixtures)} fixture .eml, {len(mixed)} mixed bench mails; "
        f"median of {args.runs} runs"
    )

    for name, raws in (
        ("parse_mail (fixtures/mail/*.eml)", fixtures),
        ("parse_mail (mixed 5–200 KB mail)", mixed),
    ):
        show(name, "msg", raws, *rate(lambda raw: parse_mail(raw), raws, args.runs))

    show(
        "classify_text (eval subject + body)",
        "text",
        texts,
        *rate(lambda t: classify_text(t["subject"], t["body"], rules=rules), texts, args.runs),
    )
    show(
        "extract_event_time (eval subject + body)",
        "text",
        texts,
        *rate(
            lambda t: extract_event_time(f"{t['subject']}\n{t['body']}", t["sent_at"], policy.tz),
            texts,
            args.runs,
        ),
    )

    arrived = datetime(2026, 11, 20, 10, 0, tzinfo=policy.tz)  # when a Date header is missing
    for name, raws in (("assess (fixtures, parsed)", fixtures), ("assess (mixed mail, parsed)", mixed)):
        parsed = [parse_mail(raw) for raw in raws]
        show(
            name,
            "msg",
            parsed,
            *rate(
                lambda p: assess(
                    p, internaldate=p.date or arrived, rules=rules, policy=policy, domains=domains
                ),
                parsed,
                args.runs,
            ),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
