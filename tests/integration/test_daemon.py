"""``mailbot run`` as a real process against Dovecot and the SMTP sink: IDLE, SIGTERM, SIGKILL, server restarts."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.store.db import Database
from mailbot.store.models import Submission
from tests import mailgen
from tests.integration.daemon_util import (
    count_submissions,
    env_for,
    receipts,
    start_daemon,
    stop_daemon,
    wait_for,
    write_config,
)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'daemon.db'}"


def test_message_arriving_during_idle_is_receipted_within_seconds(
    tmp_path, dovecot, imap_user, smtp_sink, sqlite_url
):  # type: ignore[no-untyped-def]
    config = write_config(tmp_path / "c.toml")
    proc = start_daemon(config, env_for(dovecot, imap_user, smtp_sink, sqlite_url), tmp_path / "daemon.log")
    try:
        assert wait_for(lambda: "daemon starting" in (tmp_path / "daemon.log").read_text(), 20)
        time.sleep(1.5)  # let the watcher reach IDLE
        latencies = []
        for i in range(3):
            sent = time.monotonic()
            dovecot.deliver(imap_user, mailgen.report(100 + i))
            smtp_sink.wait_for(i + 1, timeout=10)
            latencies.append(time.monotonic() - sent)
        assert max(latencies) < 5, latencies
        assert stop_daemon(proc) == 0, (tmp_path / "daemon.log").read_text()[-3000:]
    finally:
        if proc.poll() is None:
            stop_daemon(proc, signal.SIGKILL)
    assert count_submissions(sqlite_url) == 3
    assert "mailbot daemon stopped" in (tmp_path / "daemon.log").read_text()


def test_sigkill_mid_batch_then_restart_loses_nothing_and_stores_nothing_twice(
    tmp_path, dovecot, imap_user, smtp_sink, sqlite_url
):  # type: ignore[no-untyped-def]
    n = 120
    dovecot.multiappend(imap_user, [mailgen.report(i) for i in range(n)])
    config = write_config(tmp_path / "c.toml")
    env = env_for(dovecot, imap_user, smtp_sink, sqlite_url)
    rng = random.Random(7)
    kills = 0
    for _ in range(3):
        proc = start_daemon(config, env, tmp_path / "daemon.log")
        target = (
            min(n, count_submissions(sqlite_url) + rng.randint(5, 30))
            if count_submissions(sqlite_url) < n
            else n
        )
        wait_for(lambda t=target: count_submissions(sqlite_url) >= t, 60, 0.02)
        stop_daemon(proc, signal.SIGKILL)
        kills += 1
    proc = start_daemon(config, env, tmp_path / "daemon.log")
    try:
        assert wait_for(lambda: count_submissions(sqlite_url) >= n, 90), (
            tmp_path / "daemon.log"
        ).read_text()[-3000:]
        assert wait_for(lambda: len(receipts(smtp_sink)) >= n, 60)
        assert wait_for(lambda: all("$MailbotDone" in f for f in dovecot.fetch_flags(imap_user).values()), 30)
    finally:
        stop_daemon(proc)
    db = Database(sqlite_url, migrate_schema=False)
    with db.session() as s:
        mids = [m for (m,) in s.execute(select(Submission.message_id))]
    db.dispose()
    assert len(mids) == n and len(set(mids)) == n, "every message stored exactly once"
    got = receipts(smtp_sink)
    assert len(got) == n, "every report got a receipt"
    duplicates = sum(c - 1 for c in got.values())
    print(
        f"\nSIGKILL test: kills={kills} messages={n} stored_once={len(set(mids))} duplicate_receipts={duplicates}"
    )
    assert duplicates <= kills, (
        "a duplicate is possible only in the window between SMTP acceptance and commit"
    )


def test_dovecot_restart_under_the_daemon(tmp_path, dovecot_factory, smtp_sink, sqlite_url):  # type: ignore[no-untyped-def]
    server = dovecot_factory(tls=False)
    user = server.add_user()
    config = write_config(tmp_path / "c.toml")
    proc = start_daemon(config, env_for(server, user, smtp_sink, sqlite_url), tmp_path / "daemon.log")
    try:
        server.append(user, mailgen.report(1))
        smtp_sink.wait_for(1, timeout=15)
        server.stop()
        time.sleep(2)
        server.start()
        server.append(user, mailgen.report(2))
        smtp_sink.wait_for(2, timeout=40)
        assert proc.poll() is None, "the daemon never exits on a server fault"
    finally:
        stop_daemon(proc)
    assert count_submissions(sqlite_url) == 2
    assert "reconnected" in (tmp_path / "daemon.log").read_text()
