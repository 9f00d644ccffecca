"""First start on a large mailbox in archive mode (issue 17, item 5): time and peak RSS (never a timed test).

    .venv/bin/python bench/archive_start.py                 # 100,000 messages
    .venv/bin/python bench/archive_start.py --n 20000

Starts the project's own rig (tests/rig: Dovecot on loopback, aiosmtpd sink), seeds one mailbox with
``--n`` mixed report mails (``bench.bench.mixed_mail``) by IMAP MULTIAPPEND, generated batch by batch so the
benchmark itself stays small, then runs ``mailbot poll --once`` as a child process with
``imap.archive_backlog = true`` (what the folder held when first seen is stored as ``archived``, never
answered) until nothing is pending, and prints the wall time, messages/s and the child's peak RSS (VmHWM,
through bench/peak.py). It checks that every message was archived and no reply reached the sink.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench import env_for, mailbot_cmd, mixed_mail  # noqa: E402
from tests.rig.dovecot import Dovecot  # noqa: E402
from tests.rig.smtpsink import SmtpSink  # noqa: E402

DONE_KEYWORD = "$MailbotDone"  # ImapSettings.done_keyword's default


def archive_config(folder: Path) -> Path:
    path = folder / "archive.toml"
    path.write_text(
        '[general]\nlog_level = "WARNING"\n'
        '[[imap]]\nname = "main"\nurl = "imap://x@127.0.0.1/INBOX?tls=none"\nbatch_size = 200\n'
        "poll_interval = 1\narchive_backlog = true\n"
        "[office]\nalert_recipients = []\nnotify = []\n"
        "[replies]\nrate_limit_count = 1000000\n",
        encoding="utf-8",
    )
    return path


def seed(dovecot: Dovecot, user: str, n: int, batch: int, rng: random.Random) -> tuple[float, int]:
    """MULTIAPPEND ``n`` mixed mails, generated one batch at a time; (seconds, total bytes)."""
    total = 0
    start = time.perf_counter()
    with dovecot.client(user) as c:
        for i in range(0, n, batch):
            mails = [mixed_mail(j, rng) for j in range(i, min(n, i + batch))]
            total += sum(len(m) for m in mails)
            c.multiappend("INBOX", mails)
            if (i // batch) % 50 == 49:
                print(f"   seeded {i + len(mails)}/{n}", flush=True)
    return time.perf_counter() - start, total


def pending(dovecot: Dovecot, user: str) -> int:
    with dovecot.client(user) as c:
        c.select_folder("INBOX", readonly=True)
        return len(c.search(["NOT", "KEYWORD", DONE_KEYWORD]))


def run_poll(args: list[str], env: dict[str, str]) -> tuple[float, int, int, str]:
    """(seconds, exit code, peak RSS in KB from VmHWM, stdout + stderr tail) of one ``poll --once``."""
    peak_file = Path(tempfile.mkstemp(prefix="mailbot-peak-")[1])
    env = {**env, "MAILBOT_BENCH_PEAK_FILE": str(peak_file)}
    start = time.perf_counter()
    proc = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    peak = peak_file.read_text().strip()
    peak_file.unlink()
    out = (proc.stdout + proc.stderr).decode(errors="replace").strip()
    return elapsed, proc.returncode, int(peak) if peak else 0, out[-2000:]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=100_000, help="messages in the mailbox")
    ap.add_argument("--batch", type=int, default=200, help="messages per MULTIAPPEND")
    ap.add_argument("--max-polls", type=int, default=10, help="give up after this many polls")
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    rng = random.Random(args.seed)
    with (
        tempfile.TemporaryDirectory(prefix="mailbot-archive-") as d,
        Dovecot() as dovecot,
        SmtpSink() as sink,
    ):
        tmp = Path(d)
        user = dovecot.add_user()
        print(f"== seeding {args.n} mixed messages with MULTIAPPEND ({args.batch} per command)")
        seconds, total = seed(dovecot, user, args.n, args.batch, rng)
        print(
            f"   {total / 1e6:.0f} MB ({total / args.n / 1024:.0f} KB average) in {seconds:.0f} s "
            f"({args.n / seconds:.0f} msg/s, generation included)"
        )
        time.sleep(1.5)  # INTERNALDATE has whole seconds: every message lies before the first sight
        db = tmp / "archive.db"
        env = env_for(dovecot, user, sink, db)
        cmd = mailbot_cmd(archive_config(tmp), "poll", "--once")
        print("== first start, archive mode (imap.archive_backlog = true): mailbot poll --once until drained")
        wall, peak, polls, left = 0.0, 0, 0, args.n
        while left and polls < args.max_polls:
            polls += 1
            seconds, rc, rss, out = run_poll(cmd, env)
            wall += seconds
            peak = max(peak, rss)
            left = pending(dovecot, user)
            print(
                f"   poll {polls}: {seconds:.1f} s, exit {rc}, peak RSS {rss / 1024:.0f} MB, {left} left; "
                f"{out.splitlines()[-1] if out else ''}",
                flush=True,
            )
            if rc != 0:
                print(f"   child output: {out}")
                break
        with sqlite3.connect(db) as con:
            statuses = dict(
                con.execute("SELECT status, count(*) FROM submissions GROUP BY status").fetchall()
            )
        print(f"   stored: {statuses}; replies at the sink: {len(sink.messages)}")
        print(
            f"   total: {args.n} messages in {wall:.1f} s over {polls} poll(s) = {args.n / wall:.1f} msg/s, "
            f"peak RSS {peak / 1024:.0f} MB, database {db.stat().st_size / 1e6:.0f} MB"
        )
        ok = left == 0 and statuses.get("archived", 0) == args.n and not sink.messages
        if not ok:
            print("   NOT OK: pending left, messages not archived, or replies sent")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
