"""Two ``mailbot run`` daemons on one PostgreSQL database and one mailbox: the lease decides who reads,
outbox rows are claimed with FOR UPDATE SKIP LOCKED; SIGKILL of the active one → the other takes over."""

from __future__ import annotations

import signal
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from mailbot.store.db import Database
from mailbot.store.models import Submission
from tests import mailgen
from tests.integration.daemon_util import (
    count_submissions,
    receipts,
    start_daemon,
    stop_daemon,
    wait_for,
    write_config,
)

LEASE = 4.0


def test_two_daemons_one_mailbox_each_message_once_and_failover(
    tmp_path: Path, dovecot, imap_user, smtp_sink, pg
) -> None:  # type: ignore[no-untyped-def]
    url = pg.create_database()
    Database(url).dispose()  # schema first, so the two starts do not race on the migration
    n = 200
    env = {
        "MAILBOT_DATABASE_URL": url,
        "MAILBOT_IMAP_URL": dovecot.url(imap_user),
        "MAILBOT_SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none",
    }
    config = write_config(tmp_path / "c.toml", extra=f"[ha]\nlease_seconds = {LEASE}\n")
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    procs = [start_daemon(config, env, logs[0]), start_daemon(config, env, logs[1])]
    try:
        dovecot.multiappend(imap_user, [mailgen.report(i) for i in range(n // 2)])
        assert wait_for(lambda: count_submissions(url) >= n // 2, 60)
        dovecot.multiappend(imap_user, [mailgen.report(i) for i in range(n // 2, n)])
        assert wait_for(lambda: count_submissions(url) >= n, 60)
        assert wait_for(lambda: len(receipts(smtp_sink)) >= n, 60)
        readers = [i for i, log in enumerate(logs) if "lease mailbox:main/INBOX acquired" in log.read_text()]
        assert len(readers) == 1, "exactly one instance read the mailbox"
        active = readers[0]
        standby = 1 - active
        assert "standing by" in logs[standby].read_text()

        killed_at = time.monotonic()
        stop_daemon(procs[active], signal.SIGKILL)
        dovecot.deliver(imap_user, mailgen.report(n))
        assert wait_for(lambda: len(receipts(smtp_sink)) >= n + 1, LEASE * 3 + 10)
        takeover = time.monotonic() - killed_at
        assert "lease mailbox:main/INBOX acquired" in logs[standby].read_text()
        assert procs[standby].poll() is None
    finally:
        for p in procs:
            if p.poll() is None:
                stop_daemon(p)
    db = Database(url, migrate_schema=False)
    with db.session() as s:
        mids = [m for (m,) in s.execute(select(Submission.message_id))]
    db.dispose()
    got = receipts(smtp_sink)
    kinds = Counter(m.message()["X-Mailbot-Kind"] for m in smtp_sink.messages)
    print(
        f"\nTWO INSTANCES: messages={n + 1} stored={len(mids)} stored_once={len(set(mids))} "
        f"got={len(got)} duplicates={sum(c - 1 for c in got.values())} "
        f"takeover after SIGKILL={takeover:.1f} s (lease {LEASE:g} s) sent by kind={dict(kinds)}"
    )
    assert len(mids) == n + 1 and len(set(mids)) == n + 1
    assert len(got) == n + 1 and set(got.values()) == {1}
    # lease expiry + one standby check (a third of the lease) + IDLE/poll + sending
    assert takeover < LEASE + LEASE / 3 + 6
