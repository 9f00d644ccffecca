"""Storing, in process: SQL statements and milliseconds per message through the pipeline (never a timed test).

    .venv/bin/python bench/store_speed.py --n 500 --runs 3
    .venv/bin/python bench/store_speed.py --n 500 --runs 3 --pg      # also on a throwaway PostgreSQL

Feeds the bench's mixed report mails (bench/bench.py) straight to ``process_batch`` in chunks of the
runner's COMMIT_EVERY, on a fresh SQLite database with the sample registry (examples/units.csv)
imported, and counts what reaches the database with a ``before_cursor_execute`` listener: statements
(an executemany is one), and how many were INSERT / UPDATE / SELECT. No IMAP, no SMTP: prepare (parse +
assess) is timed apart so that the store figure is the database's and the pipeline's own.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bench.bench import mixed_mail  # noqa: E402
from mailbot.app import App  # noqa: E402
from mailbot.config import build_config  # noqa: E402
from mailbot.intake import pipeline  # noqa: E402
from mailbot.intake.runner import COMMIT_EVERY  # noqa: E402
from mailbot.model import FetchedMail, Outcome  # noqa: E402
from tests.registry_util import import_sample_units  # noqa: E402


def fetched_mails(n: int) -> list[FetchedMail]:
    rng = random.Random(2026)
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    return [
        FetchedMail(
            source="main",
            mailbox="INBOX",
            uidvalidity=1,
            uid=i + 1,
            key=str(i + 1),
            raw=mixed_mail(i, rng),
            internaldate=start + timedelta(minutes=7 * i, seconds=30),
        )
        for i in range(n)
    ]


def one_run(url: str, mails: list[FetchedMail]) -> dict[str, Any]:
    data = {
        "database": {"url": url},
        "imap": [{"name": "main", "url": "imap://x@127.0.0.1/INBOX?tls=none"}],
        "smtp": {"url": "smtp://127.0.0.1:1?tls=none"},
        "office": {"alert_recipients": [], "notify": []},
        "replies": {"rate_limit_count": 1_000_000},
    }
    last = mails[-1].internaldate or datetime.now(UTC)
    app = App.create(build_config(data, env={}), clock=lambda: last + timedelta(minutes=5))
    import_sample_units(app)
    kinds: Counter[str] = Counter()

    def count(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        kinds[statement.lstrip().split(None, 1)[0].upper()] += 1
        if executemany:
            kinds["(executemany)"] += 1

    prepare_s = store_s = 0.0
    outcomes: Counter[str] = Counter()
    original = pipeline.prepare
    prepared: dict[int, pipeline.Prepared] = {}
    t = time.perf_counter()
    for mail in mails:  # the pure part, timed apart
        prepared[id(mail)] = original(app, mail)
    prepare_s = time.perf_counter() - t
    pipeline.prepare = lambda app, mail, archive=False: prepared[id(mail)]  # type: ignore[assignment]
    event.listen(app.db.engine, "before_cursor_execute", count)
    try:
        t = time.perf_counter()
        for i in range(0, len(mails), COMMIT_EVERY):
            chunk = [(m, False) for m in mails[i : i + COMMIT_EVERY]]
            for result in pipeline.process_batch(app, chunk):
                outcomes[result.outcome.value] += 1
        store_s = time.perf_counter() - t
    finally:
        event.remove(app.db.engine, "before_cursor_execute", count)
        pipeline.prepare = original  # type: ignore[assignment]
        app.close()
    n = len(mails)
    statements = sum(v for k, v in kinds.items() if not k.startswith("("))
    if outcomes[Outcome.STORED.value] != n:
        print(f"   not all stored: {dict(outcomes)}")
    return {
        "statements": statements / n,
        "kinds": {k: round(v / n, 2) for k, v in sorted(kinds.items())},
        "store_ms": 1000 * store_s / n,
        "prepare_ms": 1000 * prepare_s / n,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pg", action="store_true", help="also on a throwaway PostgreSQL (tests/rig)")
    args = ap.parse_args()
    mails = fetched_mails(args.n)
    targets: list[tuple[str, Any]] = [("sqlite", None)]
    if args.pg:
        from tests.rig.postgres import Postgres

        targets.append(("postgresql", Postgres))
    for name, server in targets:
        runs = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory(prefix="mailbot-store-") as d:
                if server is None:
                    runs.append(one_run(f"sqlite:///{d}/store.db", mails))
                else:
                    with server() as pg:
                        runs.append(one_run(pg.url, mails))
        ms = [r["store_ms"] for r in runs]
        print(f"== {name}: {args.n} mixed messages, {args.runs} runs, batches of {COMMIT_EVERY}")
        print(f"   SQL statements per message: {runs[-1]['statements']:.2f} {runs[-1]['kinds']}")
        print(
            f"   store (lookup + finalize + persist + commit): median {statistics.median(ms):.2f} ms/message "
            f"(runs {', '.join(f'{v:.2f}' for v in ms)})"
        )
        print(
            f"   prepare (parse + assess), for scale: {statistics.median(r['prepare_ms'] for r in runs):.2f} ms/message"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
