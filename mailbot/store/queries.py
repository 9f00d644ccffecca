"""Database queries the pipeline and the CLI share (no business rules here)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, event, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction

from mailbot.model import CaseStatus, OutboxStatus
from mailbot.store.batch import BatchCache
from mailbot.store.models import (
    Case,
    MailboxState,
    OutboxItem,
    RawMessage,
    Submission,
    TrackingCounter,
    Undeliverable,
)
from mailbot.store.packing import COMPRESS_ABOVE as COMPRESS_ABOVE
from mailbot.store.packing import pack_raw as pack_raw


def unpack_raw(row: RawMessage) -> bytes:
    return zlib.decompress(row.data) if row.compression == "zlib" else row.data


def raw_bytes(session: Session, submission_id: int) -> bytes | None:
    row = session.get(RawMessage, submission_id)
    return unpack_raw(row) if row is not None else None


def _same_folder(source: str, mailbox: str, uidvalidity: int | None) -> list[ColumnElement[bool]]:
    """Rows that came from this account, folder and UIDVALIDITY (None for a Maildir)."""
    return [
        Submission.source == source,
        Submission.mailbox == mailbox,
        Submission.uidvalidity.is_(None) if uidvalidity is None else Submission.uidvalidity == uidvalidity,
    ]


def known_keys(
    session: Session, source: str, mailbox: str, uidvalidity: int | None, keys: Sequence[str]
) -> set[str]:
    """Which of these source keys are already stored for this folder and UIDVALIDITY."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = list(keys[i : i + 500])
        q = select(Submission.source_key).where(
            *_same_folder(source, mailbox, uidvalidity), Submission.source_key.in_(chunk)
        )
        found.update(session.scalars(q))
    return found


def find_duplicate(
    session: Session,
    *,
    source: str,
    mailbox: str,
    uidvalidity: int | None,
    key: str,
    message_id: str | None,
    sha256: str,
) -> Submission | None:
    """The stored submission this message repeats: same origin, or same Message-ID and content hash."""
    q = select(Submission).where(*_same_folder(source, mailbox, uidvalidity), Submission.source_key == key)
    hit = session.scalars(q.limit(1)).first()
    if hit is not None:
        return hit
    q2 = select(Submission).where(Submission.sha256 == sha256)
    if message_id:
        q2 = q2.where(Submission.message_id == message_id)
    return session.scalars(q2.limit(1)).first()


_SEQ = "mailbot.tracking_seq"  # session.info key: {(prefix, year): (counter row, last number handed out)}


def next_tracking_no(session: Session, prefix: str, year: int, batch: BatchCache | None = None) -> str:
    """``PREFIX-YEAR-000123``: unique and sequential per year.

    The first number of a transaction writes the counter at once (the row lock on PostgreSQL, the
    write lock on SQLite, held until the transaction ends); later numbers of the same transaction are
    counted in memory and the counter is written once, just before the commit (:func:`_write_counters`):
    one UPDATE per stored chunk instead of one per message. ``batch`` is accepted for the callers that
    pass one; the transaction is what counts."""
    handed: dict[tuple[str, int], tuple[TrackingCounter, int]] = session.info.setdefault(_SEQ, {})
    known = handed.get((prefix, year))
    if known is not None:
        handed[(prefix, year)] = (known[0], known[1] + 1)
        return f"{prefix}-{year}-{known[1] + 1:06d}"
    for _ in range(5):
        counter = session.scalars(
            select(TrackingCounter)
            .where(TrackingCounter.prefix == prefix, TrackingCounter.year == year)
            .with_for_update()
        ).first()
        if counter is None:
            try:
                with session.begin_nested():
                    session.add(TrackingCounter(prefix=prefix, year=year, last_seq=0))
            except IntegrityError:
                continue
            continue
        counter.last_seq += 1
        session.flush()
        handed[(prefix, year)] = (counter, counter.last_seq)
        return f"{prefix}-{year}-{counter.last_seq:06d}"
    raise RuntimeError("could not allocate a tracking number")


@event.listens_for(Session, "before_commit")
def _write_counters(session: Session) -> None:
    """The last number each counter handed out in this transaction, written before it commits."""
    for counter, seq in session.info.get(_SEQ, {}).values():
        if counter.last_seq != seq:
            counter.last_seq = seq


@event.listens_for(Session, "after_transaction_end")
def _forget_counters(session: Session, transaction: SessionTransaction) -> None:
    """At the end of the outermost transaction (committed or rolled back; a savepoint keeps them)."""
    if transaction.parent is None:
        session.info.pop(_SEQ, None)


def mailbox_state(
    session: Session, source: str, mailbox: str, now: datetime, archive_before: datetime | None
) -> MailboxState:
    """The folder's remembered state; created on first sight (its archive cut-off defaults to now)."""
    state = session.scalars(
        select(MailboxState).where(MailboxState.source == source, MailboxState.mailbox == mailbox)
    ).first()
    if state is None:
        state = MailboxState(
            source=source,
            mailbox=mailbox,
            uidvalidity=None,
            last_uid=0,
            first_seen_at=now,
            archive_before=archive_before or now,
        )
        try:
            with session.begin_nested():
                session.add(state)
        except IntegrityError:
            return mailbox_state(session, source, mailbox, now, archive_before)
    elif archive_before is not None and state.archive_before != archive_before:
        state.archive_before = archive_before
    return state


def submissions_by_message_ids(session: Session, ids: Iterable[str]) -> list[Submission]:
    ids = [i for i in ids if i]
    if not ids:
        return []
    return list(session.scalars(select(Submission).where(Submission.message_id.in_(ids))))


def outbox_by_message_ids(session: Session, ids: Iterable[str]) -> list[OutboxItem]:
    ids = [i for i in ids if i]
    if not ids:
        return []
    return list(session.scalars(select(OutboxItem).where(OutboxItem.message_id.in_(ids))))


def replies_to_since(
    session: Session, recipient: str, since: datetime, kinds: Sequence[str], batch: BatchCache | None = None
) -> int:
    cached = batch.replies_since(recipient, since, kinds) if batch is not None else None
    if cached is not None:
        return cached
    return (
        session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(
                OutboxItem.recipient == recipient, OutboxItem.created_at >= since, OutboxItem.kind.in_(kinds)
            )
        )
        or 0
    )


def is_undeliverable(session: Session, address: str, batch: BatchCache | None = None) -> bool:
    if batch is not None and batch.knows(address):
        return address.lower() in batch.undeliverable
    return session.get(Undeliverable, address.lower()) is not None


def mark_undeliverable(
    session: Session,
    address: str,
    reason: str,
    now: datetime,
    bounce_id: int | None,
    batch: BatchCache | None = None,
) -> None:
    row = session.get(Undeliverable, address.lower())
    if row is None:
        session.add(
            Undeliverable(address=address.lower(), reason=reason, since=now, bounce_submission_id=bounce_id)
        )
    if batch is not None:
        batch.undeliverable.add(address.lower())


def open_cases_from(
    session: Session, senders: Sequence[str], unit_name: str | None, since: datetime
) -> list[Case]:
    conds: list[ColumnElement[bool]] = [Case.sender.in_(list(senders))]
    if unit_name:
        conds.append(Case.unit_name == unit_name)
    return list(
        session.scalars(
            select(Case)
            .where(Case.status == CaseStatus.OPEN, Case.opened_at >= since, or_(*conds))
            .order_by(Case.last_report_at.desc())
        )
    )


def case_by_number(session: Session, number: str) -> Case | None:
    return session.scalars(select(Case).where(Case.number == number)).first()


def due_outbox(
    session: Session, now: datetime, limit: int, *, lock: bool, after: int = 0
) -> list[OutboxItem]:
    """Pending replies due at ``now``, oldest first, with ids above ``after`` (the drain's cursor);
    ``lock``: ``FOR UPDATE SKIP LOCKED`` (PostgreSQL)."""
    q = (
        select(OutboxItem)
        .where(
            OutboxItem.status == OutboxStatus.PENDING,
            OutboxItem.next_attempt_at <= now,
            OutboxItem.id > after,
        )
        .order_by(OutboxItem.id)
        .limit(limit)
    )
    if lock:
        q = q.with_for_update(skip_locked=True)
    return list(session.scalars(q))


def overdue_cases(session: Session, cutoff: datetime) -> list[Case]:
    """Open cases whose last report and last reminder are both older than ``cutoff``."""
    return list(
        session.scalars(
            select(Case).where(
                Case.status == CaseStatus.OPEN,
                Case.last_report_at <= cutoff,
                or_(Case.last_reminder_at.is_(None), Case.last_reminder_at <= cutoff),
            )
        )
    )


def close_case(session: Session, case: Case, now: datetime, by: str) -> None:
    case.status = CaseStatus.CLOSED
    case.closed_at = now
    case.closed_by = by
