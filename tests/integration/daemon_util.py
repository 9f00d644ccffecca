"""Running ``mailbot run`` as a real process for daemon tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from mailbot.app import App
from mailbot.replies import compose
from mailbot.store.db import Database
from mailbot.store.models import Submission

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_UNITS = ROOT / "examples" / "units.csv"


def write_config(path: Path, *, extra: str = "") -> Path:
    path.write_text(
        '[general]\nlog_level = "INFO"\n'
        '[[imap]]\nname = "main"\nurl = "imap://placeholder@127.0.0.1/INBOX?tls=none"\n'
        "poll_interval = 1\nidle_renew_seconds = 5\nbatch_size = 20\n"
        "[office]\nalert_recipients = []\n[replies]\nrate_limit_count = 10000\n"
        "[outbox]\ninterval_seconds = 0.5\nbackoff_base_seconds = 0.5\nbackoff_max_seconds = 2\n" + extra,
        encoding="utf-8",
    )
    return path


def import_units(config: Path, env: dict[str, str]) -> None:
    """``mailbot units import examples/units.csv`` once per database: the mailgen senders are its units
    (mailbot answers an address of no unit with the short receipt, which carries no In-Reply-To)."""
    from mailbot.store.models import Unit

    db = Database(env["MAILBOT_DATABASE_URL"], migrate_schema=False)
    try:
        with db.session() as s:
            if s.scalar(select(Unit.id).limit(1)) is not None:
                return
    except DBAPIError:
        pass  # no schema yet: the import creates it
    finally:
        db.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "--config", str(config), "units", "import", str(SAMPLE_UNITS)],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


def start_daemon(
    config: Path, env: dict[str, str], log: Path, *, units: bool = True
) -> subprocess.Popen[bytes]:
    """``mailbot run`` in its own session; ``units``: import the sample registry first (once)."""
    if units and "MAILBOT_DATABASE_URL" in env:
        import_units(config, env)
    full_env = {**os.environ, **env, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "run"],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            start_new_session=True,
        )


def stop_daemon(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 20) -> int:
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
        raise AssertionError("daemon did not stop in time") from None


def wait_for(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def env_for(dovecot, user: str, sink, db_url: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The three MAILBOT_*_URL variables for a rig mailbox, the sink and a database."""
    return {
        "MAILBOT_DATABASE_URL": db_url,
        "MAILBOT_IMAP_URL": dovecot.url(user),
        "MAILBOT_SMTP_URL": f"smtp://127.0.0.1:{sink.port}?tls=none",
    }


def count_submissions(db_url: str) -> int:
    """Stored submissions, 0 while the daemon has not created the schema (or the database is down)."""
    db = Database(db_url, migrate_schema=False)
    try:
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(Submission)) or 0
    except DBAPIError:
        return 0
    finally:
        db.dispose()


def wait_sent(db_url: str, n: int, timeout: float = 30.0) -> None:
    """Wait until ``n`` outbox rows are committed as sent (the SMTP sink sees a mail a moment earlier)."""
    from mailbot.store.models import OutboxItem

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db = Database(db_url, migrate_schema=False)
        try:
            with db.session() as s:
                if (
                    s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "sent"))
                    or 0
                ) >= n:
                    return
        except DBAPIError:
            pass
        finally:
            db.dispose()
        time.sleep(0.1)
    raise AssertionError(f"fewer than {n} replies committed as sent within {timeout} s")


def receipts(sink) -> Counter[str]:  # type: ignore[no-untyped-def]
    """How many receipts the sink got per original Message-ID (In-Reply-To)."""
    return Counter(
        m.message()["In-Reply-To"] for m in sink.messages if m.message()["X-Mailbot-Kind"] == "receipt"
    )


def queue_receipts(app: App, n: int, start: int = 0) -> list[str]:
    """``n`` pending receipts committed in one transaction (Chinese text: an 8bit body); their Message-IDs."""
    ids = []
    with app.db.session() as session:
        for i in range(start, start + n):
            reply = compose.render_reply(
                app,
                "receipt",
                f"{i}",
                template="receipt_short",
                context={"tracking_no": f"JB-2026-{i:06d}", "received_at": app.now()},
                to=[f"unit{i}@xjzj.gov.cn"],
                subject=f"[回执 JB-2026-{i:06d}] 来信已收到",
            )
            compose.enqueue(app, session, reply, dedupe_key=f"test:{i}")
            ids.append(reply.message_id)
    return ids
