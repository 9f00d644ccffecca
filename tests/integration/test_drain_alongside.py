"""``poll --once`` sends a backlog's replies while it stores later chunks (issue 17): the drain thread
sends each committed reply once over a real SMTP session, on SQLite and PostgreSQL; a failed session
stops it (charged once); SIGKILLs of ``poll --once`` on a backlog lose nothing and send nothing twice
beyond the one reply in flight per kill."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake.runner import SWITCH_INTERVAL, DrainAlongside
from mailbot.model import OutboxStatus
from mailbot.replies.outbox import HEALTH_KEY
from mailbot.store.db import Database
from mailbot.store.models import OutboxItem, SmtpHealth, Submission
from tests import mailgen
from tests.integration.daemon_util import (
    count_submissions,
    env_for,
    import_units,
    queue_receipts,
    receipts,
    wait_for,
    write_config,
)
from tests.rig import free_port

ROOT = Path(__file__).resolve().parents[2]


def _app(db_url: str, port: int) -> App:
    config = build_config(
        {
            "database": {"url": db_url},
            "smtp": {"url": f"smtp://127.0.0.1:{port}?tls=none"},
            "office": {"notify": [], "alert_recipients": []},
        },
        env={},
    )
    return App.create(config, clock=lambda: datetime.now(UTC))


def test_committed_chunks_are_sent_while_the_poll_goes_on(db_url: str, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    app = _app(db_url, smtp_sink.port)
    before = sys.getswitchinterval()
    try:
        with DrainAlongside(app) as alongside:
            first = queue_receipts(app, 30, 0)
            alongside.kick()
            assert sys.getswitchinterval() == SWITCH_INTERVAL < before  # answers are not kept waiting
            assert wait_for(lambda: alongside.report.sent == 30, 30)
            second = queue_receipts(app, 20, 30)
            alongside.kick()
            assert wait_for(lambda: alongside.report.sent == 50, 30)
        assert sys.getswitchinterval() == before
        got = Counter(m.message()["Message-ID"].strip("<>") for m in smtp_sink.messages)
        assert got == Counter(first + second)  # each once
        with app.db.session() as s:
            rows = s.scalars(select(OutboxItem)).all()
            assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.SENT, 1)}
    finally:
        app.close()


def test_a_failed_session_stops_it_and_is_charged_once(db_url: str) -> None:
    app = _app(db_url, free_port())  # nothing listens there
    try:
        alongside = DrainAlongside(app)
        queue_receipts(app, 5, 0)
        alongside.kick()
        assert wait_for(lambda: alongside.report.server_down, 30)
        queue_receipts(app, 5, 5)
        alongside.kick()  # the thread has ended: no second try in this run
        alongside.close()
        assert alongside.report.sent == 0 and alongside.report.session_error
        with app.db.session() as s:
            health = s.get(SmtpHealth, HEALTH_KEY)
            assert health is not None and health.failures == 1
            assert {r.status for r in s.scalars(select(OutboxItem))} == {OutboxStatus.PENDING}
    finally:
        app.close()


def test_cli_poll_on_a_failed_session_is_charged_once(tmp_path: Path, dovecot, imap_user) -> None:  # type: ignore[no-untyped-def]
    """A backlog big enough for the drain alongside, no SMTP server: exit 1, one failure recorded."""
    dovecot.multiappend(imap_user, [mailgen.report(i) for i in range(70)])
    db_url = f"sqlite:///{tmp_path / 'p.db'}"
    config = write_config(tmp_path / "c.toml")
    env = {
        "MAILBOT_DATABASE_URL": db_url,
        "MAILBOT_IMAP_URL": dovecot.url(imap_user),
        "MAILBOT_SMTP_URL": f"smtp://127.0.0.1:{free_port()}?tls=none",
    }
    import_units(config, env)
    done = _poll(config, env)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "SMTP" in done.stderr
    db = Database(db_url, migrate_schema=False)
    try:
        with db.session() as s:
            health = s.get(SmtpHealth, HEALTH_KEY)
            assert health is not None and health.failures == 1
            kinds = Counter(
                k for (k,) in s.execute(select(OutboxItem.kind).where(OutboxItem.status == "pending"))
            )
            assert kinds["receipt"] == 70
    finally:
        db.dispose()


def _poll(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "--config", str(config), "poll", "--once"],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_sigkill_of_poll_once_on_a_backlog(tmp_path: Path, dovecot, imap_user, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    n, kills = 300, 6
    dovecot.multiappend(imap_user, [mailgen.report(i, urgent=(i % 25 == 0)) for i in range(n)])
    db_url = f"sqlite:///{tmp_path / 'k.db'}"
    config = write_config(tmp_path / "c.toml")
    env = env_for(dovecot, imap_user, smtp_sink, db_url)
    import_units(config, env)
    rng = random.Random(2026)
    busy_kills = 0
    for _ in range(kills):
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailbot.cli", "--config", str(config), "poll", "--once"],
            env={**os.environ, **env},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(1.0, 3.0))  # start-up, fetch, store, send alongside: anywhere
        busy_kills += proc.poll() is None
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
    done = _poll(config, env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert count_submissions(db_url) == n
    db = Database(db_url, migrate_schema=False)
    try:
        with db.session() as s:
            mids = [m for (m,) in s.execute(select(Submission.message_id))]
            statuses = Counter(
                st for (st,) in s.execute(select(OutboxItem.status).where(OutboxItem.kind == "receipt"))
            )
    finally:
        db.dispose()
    got = receipts(smtp_sink)
    assert len(mids) == n and len(set(mids)) == n, "every message stored exactly once"
    assert statuses == {"sent": n}
    assert len(got) == n, "no receipt lost"
    # only the reply in flight at a kill (between the server's 250 and our COMMIT) can go twice
    assert sum(c - 1 for c in got.values()) <= busy_kills
    assert busy_kills > 0  # the kills hit a running poll
