"""Ids handed out before the INSERT, for the batch path: one flush per chunk instead of one per message.

The batch transaction (:func:`mailbot.intake.pipeline.store_prepared`) needs each submission's id
while it queues its replies (the receipt's Message-ID and dedupe key name it), which used to cost a
flush per message (and one more per urgent case opened). With :func:`enable` the session hands out
the ids of new submissions, outbox rows and cases itself, so the unit of work inserts a chunk's rows
with executemany at its one flush:

- PostgreSQL: ``nextval`` of the column's own sequence, a block at a time (what the INSERT would have
  drawn; unused numbers are gaps, as after any rollback); cases, which are rare, one at a time.
- SQLite: ``max(id)`` + a counter kept in the session, read once per table and transaction *after* a
  write that takes the database's write lock (an UPDATE that matches no row), so no other writer can
  insert until this transaction ends: the same numbers SQLite's own rowid choice would give (the
  tables have no AUTOINCREMENT).
- Any other database: nothing is handed out (:func:`assign` returns False and the caller flushes).

Every new row of these tables gets its id from here while enabled (a ``before_flush`` hook covers
rows queued by code that never asks), so the counter cannot meet an id the database chose itself. If
an id is taken after all (another writer that inserts explicit ids), the INSERT fails on the primary
key, the batch is rolled back and redone one message at a time with the database's own ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction

from mailbot.store.models import Case, OutboxItem, Submission

_KEY = "mailbot.preassigned_ids"
TABLES: dict[type[Any], str] = {Submission: "submissions", OutboxItem: "outbox", Case: "cases"}


@dataclass
class _Ids:
    block: int  # how many PostgreSQL numbers to draw at a time (cases: one)
    dialect: str
    free: dict[str, list[int]] = field(default_factory=dict)  # PostgreSQL: drawn, not yet handed out
    last: dict[str, int] = field(default_factory=dict)  # SQLite: the last id handed out per table
    locked: bool = False  # SQLite: the write lock is held by this transaction


def enable(session: Session, block: int, *, lock_now: bool = False) -> bool:
    """Hand out ids in this session until its transaction ends; ``block``: the expected number of
    rows per table (PostgreSQL draws that many numbers at a time). False for other databases.

    ``lock_now`` (SQLite): take the write lock before the transaction reads anything. A transaction
    that reads first and writes later fails at its first write (SQLITE_BUSY_SNAPSHOT, no waiting)
    when another writer committed in between — the drain marking a reply sent while the batch reads
    its cache, say — and the batch would be redone one message at a time."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):
        return False
    ids = _Ids(max(1, block), dialect)
    session.info[_KEY] = ids
    if lock_now and dialect == "sqlite":
        session.connection().execute(text("UPDATE submissions SET id = id WHERE 1 = 0"))
        ids.locked = True
    return True


def enabled(session: Session) -> bool:
    return _KEY in session.info


def assign(session: Session, row: Submission | OutboxItem | Case) -> bool:
    """Give ``row`` its id now (before its INSERT); False when this session hands out none."""
    ids: _Ids | None = session.info.get(_KEY)
    if ids is None:
        return False
    if row.id is None:
        row.id = _take(session, ids, TABLES[type(row)])
    return True


def _take(session: Session, ids: _Ids, table: str) -> int:
    conn = session.connection()
    if ids.dialect == "postgresql":
        free = ids.free.setdefault(table, [])
        if not free:
            drawn = conn.execute(
                text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"),
                {"n": 1 if table == "cases" else ids.block},
            ).scalars()
            free.extend(sorted((int(i) for i in drawn), reverse=True))
        return free.pop()
    if table not in ids.last:
        if not ids.locked:  # the write lock first: nobody can insert between max(id) and our INSERT
            conn.execute(text(f"UPDATE {table} SET id = id WHERE 1 = 0"))
            ids.locked = True
        ids.last[table] = int(conn.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one())
    ids.last[table] += 1
    return ids.last[table]


@event.listens_for(Session, "before_flush")
def _assign_pending(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Rows added without asking (an office notice queued in the batch) get their ids here."""
    if _KEY not in session.info:
        return
    for row in session.new:
        if isinstance(row, (Submission, OutboxItem, Case)) and row.id is None:
            assign(session, row)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    """At the end of the outermost transaction (committed or rolled back; a savepoint keeps them)."""
    if transaction.parent is None:
        session.info.pop(_KEY, None)
