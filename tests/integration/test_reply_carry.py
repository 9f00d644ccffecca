"""The batch cache carried across the chunks of one poll (issue 17): a batch opened from the carry
answers exactly what a batch that reads everything answers — also when another writer committed an
outbox row below the carry's watermark (as PostgreSQL's ids drawn before the commit allow) or above it,
and when a batch rolled back; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mailbot.store.batch import BatchCache, ReplyCarry
from mailbot.store.db import Database
from mailbot.store.models import OutboxItem

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=7)
UNITS = [f"unit{i}@xjzj.gov.cn" for i in range(4)]


def _row(
    n: int, recipient: str, at: datetime, kind: str = "receipt", row_id: int | None = None
) -> OutboxItem:
    return OutboxItem(
        id=row_id,
        dedupe_key=f"t:{n}",
        kind=kind,
        recipient=recipient,
        to_addrs=[recipient],
        cc_addrs=[],
        subject="s",
        message_id=f"m{n}@t",
        raw=b"x",
        status="pending",
        attempts=0,
        created_at=at,
        next_attempt_at=at,
    )


def _open(db: Database, now: datetime, carry: ReplyCarry | None) -> BatchCache:
    with db.session() as s:
        return BatchCache.open(s, UNITS, SINCE, [], now=now, carry=carry)


def _view(b: BatchCache) -> tuple[object, ...]:
    return ({r: sorted(v) for r, v in b.sent.items()}, sorted(b.minute or []))


def _batch(db: Database, carry: ReplyCarry, now: datetime, start: int, *, commit: bool = True) -> None:
    """One chunk: open from the carry, queue a reply to each unit, commit (and adopt) or roll back."""
    with db.sessions() as s, s.begin():
        b = BatchCache.open(s, UNITS, SINCE, [], now=now, carry=carry)
        for i, unit in enumerate(UNITS):
            item = _row(start + i, unit, now)
            s.add(item)
            b.note_reply(item)
        s.flush()
        if not commit:
            s.rollback()
            return
    carry.adopt(b)


def test_carried_batches_answer_as_full_reads(db_url: str) -> None:
    db = Database(db_url)
    try:
        with db.session() as s:  # history of the window, one row far below the ids to come
            s.add(_row(0, UNITS[0], NOW - timedelta(days=2), row_id=500))
            s.add(_row(1, UNITS[1], NOW - timedelta(days=9), row_id=501))  # outside the window
            s.add(_row(2, UNITS[2], NOW - timedelta(seconds=30), kind="ack", row_id=502))
        carry = ReplyCarry()
        t = NOW
        for k in range(3):
            t += timedelta(seconds=5)
            _batch(db, carry, t, 10 + 10 * k)
            assert _view(_open(db, t, carry)) == _view(_open(db, t, None))
        assert carry.watermark > 500
        _batch(db, carry, t, 90, commit=False)  # rolled back: the carry stays as it was
        assert _view(_open(db, t, carry)) == _view(_open(db, t, None))

        with db.session() as s:  # another writer: one row below the watermark, one above
            s.add(_row(100, UNITS[3], t, row_id=400))
            s.add(_row(101, UNITS[0], t, kind="ack"))
        carried, full = _open(db, t, carry), _open(db, t, None)
        assert _view(carried) == _view(full)
        assert sum(1 for kind, _ in carried.sent[UNITS[3]] if kind == "receipt") == 4  # the late row too
        t += timedelta(seconds=5)
        _batch(db, carry, t, 200)
        later = t + timedelta(seconds=50)  # the minute moves on: rows fall out of it
        assert _view(_open(db, later, carry)) == _view(_open(db, later, None))
        # since NOW + 10 s: two chunks, the other writer's two rows (an ack is guarded too), the last chunk
        assert len(_open(db, later, carry).minute or []) == 4 + 4 + 2 + 4
    finally:
        db.dispose()
