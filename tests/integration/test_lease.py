"""The database lease on SQLite and PostgreSQL: one holder, renewal, takeover after expiry, release."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from mailbot.daemon.lease import DatabaseLease, instance_id, stale_local_holder
from mailbot.store.db import Database


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_one_holder_renewal_takeover_and_release(db_url: str) -> None:
    db = Database(db_url)
    clock = Clock()
    a = DatabaseLease(db, "mailbox:main/INBOX", seconds=30, holder="hostA:1:aa", clock=clock)
    b = DatabaseLease(db, "mailbox:main/INBOX", seconds=30, holder="hostB:2:bb", clock=clock)
    try:
        assert a.acquire() and a.held()
        assert not b.acquire(), "a live lease is not taken"
        clock.now += timedelta(seconds=20)
        assert a.acquire(), "the holder renews"
        clock.now += timedelta(seconds=20)  # 40 s after the first take, 20 s after the renewal
        assert not b.acquire()
        clock.now += timedelta(seconds=11)  # expired
        assert b.acquire(), "taken over after expiry"
        assert b.current_holder() == "hostB:2:bb"
        assert not a.acquire(), "the old holder lost it"
        assert not a.held()
        b.release()
        assert a.acquire(), "a released lease is free at once"
        other = DatabaseLease(db, "mailbox:other/INBOX", seconds=30, holder="hostB:2:bb", clock=clock)
        assert other.acquire(), "leases are per mailbox"
    finally:
        db.dispose()


def test_lease_of_a_dead_process_on_this_host_is_taken_at_once(db_url: str) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    me = instance_id()
    host = me.rsplit(":", 2)[0]
    gone = f"{host}:{int(dead.stdout)}:dead"
    assert stale_local_holder(gone, me)
    assert not stale_local_holder(f"{host}:{os.getppid()}:alive", me)
    assert not stale_local_holder(f"otherhost:{int(dead.stdout)}:x", me)
    db = Database(db_url)
    try:
        DatabaseLease(db, "mailbox:main/INBOX", seconds=3600, holder=gone).acquire()
        assert DatabaseLease(db, "mailbox:main/INBOX", seconds=3600, holder=me).acquire()
    finally:
        db.dispose()
