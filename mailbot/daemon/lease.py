"""Database leases: which daemon instance reads a mailbox, so that two instances never read the same one.

A lease is one row of ``leases`` (name, holder, acquired_at, expires_at). Taking it is a single atomic
statement, so it works the same on SQLite and PostgreSQL without table locks:

- ``UPDATE leases SET holder = me … WHERE name = :n AND (holder = me OR expires_at < now)`` — renew our
  own lease or take over an expired one (one row updated = ours);
- else ``INSERT … ON CONFLICT DO NOTHING`` — the first instance ever (one row inserted = ours).

A holder is ``hostname:pid:random``. A lease left behind by a process of *this* host that no longer
exists (SIGKILL, power loss of a container whose host name survived) is taken over at once with a
compare-and-swap on the old holder; a lease of another host waits for its expiry. Times are the host
clocks: keep the instances' clocks in sync (NTP), as with any lease.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from mailbot.errors import StoreError
from mailbot.store.db import Database
from mailbot.store.models import Lease

log = logging.getLogger(__name__)


def instance_id() -> str:
    """``hostname:pid:random`` — unique per process start, readable by a person."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def stale_local_holder(holder: str, me: str) -> bool:
    """True when ``holder`` was a process of this host that has gone (so its lease need not expire)."""
    parts = holder.rsplit(":", 2)
    mine = me.rsplit(":", 2)
    if len(parts) != 3 or len(mine) != 3 or parts[0] != mine[0] or holder == me:
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():  # an earlier incarnation that had our pid (a container restarted)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, but not ours to signal
        return False
    return False


class DatabaseLease:
    """One named lease held by ``holder`` for ``seconds`` at a time; renew well before it runs out."""

    def __init__(
        self,
        db: Database,
        name: str,
        *,
        seconds: float,
        holder: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if seconds <= 0:
            raise ValueError("a lease needs a positive duration")
        self.db, self.name, self.seconds = db, name, seconds
        self.holder = holder or instance_id()
        self.clock = clock
        self.expires_at: datetime | None = None  # our own lease's expiry, when we hold it

    @property
    def renew_interval(self) -> float:
        """How often the holder renews: a third of the lease, so two renewals may fail before it lapses."""
        return self.seconds / 3

    def held(self) -> bool:
        """Whether we hold it, by our own record (no database round trip)."""
        return self.expires_at is not None and self.clock() < self.expires_at

    def acquire(self) -> bool:
        """Take, renew or take over the lease. True when we hold it afterwards. Raises StoreError."""
        now = self.clock()
        expires = now + timedelta(seconds=self.seconds)
        try:
            with self.db.session() as session:
                res = session.connection().execute(
                    update(Lease)
                    .where(Lease.name == self.name, or_(Lease.holder == self.holder, Lease.expires_at < now))
                    .values(
                        holder=self.holder,
                        expires_at=expires,
                        acquired_at=case((Lease.holder == self.holder, Lease.acquired_at), else_=now),
                    )
                    .returning(Lease.name)
                )
                got = res.first() is not None
                if not got:
                    got = self._insert(session, now, expires)
                if not got:
                    current = session.scalar(select(Lease.holder).where(Lease.name == self.name))
                    if current is not None and stale_local_holder(current, self.holder):
                        res = session.connection().execute(
                            update(Lease)
                            .where(Lease.name == self.name, Lease.holder == current)
                            .values(holder=self.holder, acquired_at=now, expires_at=expires)
                            .returning(Lease.name)
                        )
                        got = res.first() is not None
                        if got:
                            log.info(
                                "lease %s: taken over from %s, a process of this host that is gone",
                                self.name,
                                current,
                            )
        except SQLAlchemyError as exc:
            raise StoreError(f"lease {self.name}: database unavailable: {exc.__class__.__name__}") from exc
        was_held = self.held()
        self.expires_at = expires if got else None
        if got and not was_held:
            log.info("lease %s acquired by %s until %s", self.name, self.holder, expires.isoformat())
        elif was_held and not got:
            log.warning("lease %s lost: another instance holds it now", self.name)
        return got

    def _insert(self, session: object, now: datetime, expires: datetime) -> bool:
        from sqlalchemy.orm import Session

        assert isinstance(session, Session)
        values = {"name": self.name, "holder": self.holder, "acquired_at": now, "expires_at": expires}
        dialect = self.db.dialect
        stmt: Any
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = (
                pg_insert(Lease)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["name"])
                .returning(Lease.name)
            )
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = (
                sqlite_insert(Lease)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["name"])
                .returning(Lease.name)
            )
        else:  # pragma: no cover - other databases: a plain insert inside a savepoint
            from sqlalchemy import insert
            from sqlalchemy.exc import IntegrityError

            try:
                with session.begin_nested():
                    session.execute(insert(Lease).values(**values))
                return True
            except IntegrityError:
                return False
        # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT through SQLAlchemy
        return session.connection().execute(stmt).first() is not None

    def current_holder(self) -> str | None:
        with self.db.session() as session:
            return session.scalar(select(Lease.holder).where(Lease.name == self.name))

    def release(self) -> None:
        """Give the lease up (on a clean stop) so another instance can take it at once."""
        if self.expires_at is None:
            return
        self.expires_at = None
        try:
            with self.db.session() as session:
                session.execute(
                    update(Lease)
                    .where(Lease.name == self.name, Lease.holder == self.holder)
                    .values(expires_at=self.clock() - timedelta(seconds=1))
                    .execution_options(synchronize_session=False)
                )
            log.info("lease %s released by %s", self.name, self.holder)
        except SQLAlchemyError as exc:
            log.warning(
                "lease %s: could not release (%s); it expires by itself", self.name, exc.__class__.__name__
            )
