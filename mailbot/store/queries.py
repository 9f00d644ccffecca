"""Database queries the pipeline and the CLI share (no business rules here)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mailbot.store.models import (
    Case,
    MailboxState,
    OutboxItem,
    RawMessage,
    Submission,
    TrackingCounter,
    Undeliverable,
)

COMPRESS_ABOVE = 512


def pack_raw(raw: bytes) -> tuple[str, bytes]:
    if len(raw) < COMPRESS_ABOVE:
        return "none", raw
    return "zlib", zlib.compress(raw, 1)  # fast; attachments are mostly compressed already


def unpack_raw(row: RawMessage) -> bytes:
    return zlib.decompress(row.data) if row.compression == "zlib" else row.data


def raw_bytes(session: Session, submission_id: int) -> bytes | None:
    row = session.get(RawMessage, submission_id)
    return unpack_raw(row) if row is not None else None


def _same_folder(source: str, mailbox: str, uidvalidity: int | None) -> list[ColumnElement[bool]]:
    """Rows that came from this account, folder and UIDVALIDITY (None for a Maildir)."""
    return [Submission.source == source, Submission.mailbox == mailbox,
            Submission.uidvalidity.is_(None) if uidvalidity is None else Submission.uidvalidity == uidvalidity]


def known_keys(session: Session, source: str, mailbox: str, uidvalidity: int | None, keys: Sequence[str]) -> set[str]:
    """Which of these source keys are already stored for this folder and UIDVALIDITY."""
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = list(keys[i:i + 500])
        q = select(Submission.source_key).where(*_same_folder(source, mailbox, uidvalidity),
                                                Submission.source_key.in_(chunk))
        found.update(session.scalars(q))
    return found


def find_duplicate(session: Session, *, source: str, mailbox: str, uidvalidity: int | None, key: str,
                   message_id: str | None, sha256: str) -> Submission | None:
    """The stored submission this message repeats: same origin, or same Message-ID and content hash."""
    q = select(Submission).where(*_same_folder(source, mailbox, uidvalidity), Submission.source_key == key)
    hit = session.scalars(q.limit(1)).first()
    if hit is not None:
        return hit
    q2 = select(Submission).where(Submission.sha256 == sha256)
    if message_id:
        q2 = q2.where(Submission.message_id == message_id)
    return session.scalars(q2.limit(1)).first()


def submissions_by_sha256(session: Session, hashes: Sequence[str]) -> dict[str, list[Submission]]:
    """Stored submissions by content hash (lowest id first): one query for a whole batch."""
    found: dict[str, list[Submission]] = {}
    wanted = sorted(set(hashes))
    for i in range(0, len(wanted), 500):
        q = select(Submission).where(Submission.sha256.in_(wanted[i:i + 500])).order_by(Submission.id)
        for sub in session.scalars(q):
            found.setdefault(sub.sha256, []).append(sub)
    return found


def next_tracking_no(session: Session, prefix: str, year: int) -> str:
    """``PREFIX-YEAR-000123``: unique and sequential per year (row lock on PostgreSQL)."""
    cache: dict[tuple[str, int], TrackingCounter] | None = session.info.get(BATCH_COUNTERS)
    for _ in range(5):
        counter = cache.get((prefix, year)) if cache is not None else None
        if counter is None:
            counter = session.scalars(
                select(TrackingCounter).where(TrackingCounter.prefix == prefix, TrackingCounter.year == year)
                .with_for_update()).first()
            if counter is not None and cache is not None:
                cache[(prefix, year)] = counter  # locked (PostgreSQL) / written (SQLite) until the batch commits
        if counter is None:
            try:
                with session.begin_nested():
                    session.add(TrackingCounter(prefix=prefix, year=year, last_seq=0))
            except IntegrityError:
                continue
            continue
        counter.last_seq += 1
        session.flush()
        return f"{prefix}-{year}-{counter.last_seq:06d}"
    raise RuntimeError("could not allocate a tracking number")


def mailbox_state(session: Session, source: str, mailbox: str, now: datetime,
                  archive_before: datetime | None) -> MailboxState:
    """The folder's remembered state; created on first sight (its archive cut-off defaults to now)."""
    state = session.scalars(select(MailboxState).where(MailboxState.source == source,
                                                       MailboxState.mailbox == mailbox)).first()
    if state is None:
        state = MailboxState(source=source, mailbox=mailbox, uidvalidity=None, last_uid=0, first_seen_at=now,
                             archive_before=archive_before or now)
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


def replies_to_since(session: Session, recipient: str, since: datetime, kinds: Sequence[str]) -> int:
    batch: BatchReplies | None = session.info.get(BATCH_REPLIES)
    if batch is not None and recipient in batch.sent and since >= batch.since:
        return sum(1 for kind, at in batch.sent[recipient] if at >= since and kind in kinds)
    return session.scalar(select(func.count()).select_from(OutboxItem).where(
        OutboxItem.recipient == recipient, OutboxItem.created_at >= since, OutboxItem.kind.in_(kinds))) or 0


def is_undeliverable(session: Session, address: str) -> bool:
    batch: BatchReplies | None = session.info.get(BATCH_REPLIES)
    if batch is not None and address.lower() in batch.sent:
        return address.lower() in batch.undeliverable
    return session.get(Undeliverable, address.lower()) is not None


def mark_undeliverable(session: Session, address: str, reason: str, now: datetime, bounce_id: int | None) -> None:
    row = session.get(Undeliverable, address.lower())
    if row is None:
        session.add(Undeliverable(address=address.lower(), reason=reason, since=now, bounce_submission_id=bounce_id))
    batch: BatchReplies | None = session.info.get(BATCH_REPLIES)
    if batch is not None:
        batch.undeliverable.add(address.lower())


# --- per-batch caches (the pipeline's batch transaction): the same answers with fewer round trips ----------

BATCH_COUNTERS = "tracking_counters"
BATCH_REPLIES = "batch_replies"
BATCH_UNITS = "unit_cache"


@dataclass
class BatchReplies:
    """For the batch's recipients: which are undeliverable, and their replies created since ``since``
    (kind, created_at), kept up to date by ``note_reply`` as the batch queues more."""

    since: datetime
    sent: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    undeliverable: set[str] = field(default_factory=set)


def start_batch(session: Session, recipients: Iterable[str], since: datetime) -> None:
    """Turn on the per-batch caches of this session (one transaction): tracking counters, units, and for
    ``recipients`` the undeliverable marks and the replies created since ``since`` (rate limits)."""
    wanted = sorted({r.lower() for r in recipients if r})
    batch = BatchReplies(since=since, sent={r: [] for r in wanted})
    for i in range(0, len(wanted), 500):
        chunk = wanted[i:i + 500]
        for rcpt, kind, at in session.execute(select(OutboxItem.recipient, OutboxItem.kind, OutboxItem.created_at)
                                              .where(OutboxItem.recipient.in_(chunk), OutboxItem.created_at >= since)):
            batch.sent[rcpt].append((kind, at))
        batch.undeliverable.update(session.scalars(select(Undeliverable.address).where(Undeliverable.address.in_(chunk))))
    session.info[BATCH_REPLIES] = batch
    session.info[BATCH_COUNTERS] = {}
    session.info[BATCH_UNITS] = {}  # sender address → unit, see mailbot.registry.lookup.attribute


def note_reply(session: Session, item: OutboxItem) -> None:
    """A reply queued in this session: counted by ``replies_to_since`` from the batch cache."""
    batch: BatchReplies | None = session.info.get(BATCH_REPLIES)
    if batch is not None and item.recipient in batch.sent:
        batch.sent[item.recipient].append((item.kind, item.created_at))


def open_cases_from(session: Session, senders: Sequence[str], unit_name: str | None, since: datetime) -> list[Case]:
    conds: list[ColumnElement[bool]] = [Case.sender.in_(list(senders))]
    if unit_name:
        conds.append(Case.unit_name == unit_name)
    return list(session.scalars(select(Case).where(Case.status == "open", Case.opened_at >= since, or_(*conds))
                                .order_by(Case.last_report_at.desc())))


def case_by_number(session: Session, number: str) -> Case | None:
    return session.scalars(select(Case).where(Case.number == number)).first()


def due_outbox(session: Session, now: datetime, limit: int, *, lock: bool) -> list[OutboxItem]:
    q = (select(OutboxItem).where(OutboxItem.status == "pending", OutboxItem.next_attempt_at <= now)
         .order_by(OutboxItem.id).limit(limit))
    if lock:
        q = q.with_for_update(skip_locked=True)
    return list(session.scalars(q))


def overdue_cases(session: Session, cutoff: datetime) -> list[Case]:
    """Open cases whose last report and last reminder are both older than ``cutoff``."""
    return list(session.scalars(select(Case).where(
        Case.status == "open", Case.last_report_at <= cutoff,
        or_(Case.last_reminder_at.is_(None), Case.last_reminder_at <= cutoff))))


def close_case(session: Session, case: Case, now: datetime, by: str) -> None:
    case.status = "closed"
    case.closed_at = now
    case.closed_by = by
