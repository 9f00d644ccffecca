"""The per-batch read cache: one transaction, the same answers with fewer round trips.

The pipeline opens one :class:`BatchCache` for a batch of messages stored in one transaction and
passes it explicitly to what reads through it (tracking numbers, unit look-up, reply limits,
undeliverable marks, stored twins, the loop guard's past replies and per-minute count). Everything the
batch writes is noted in it, so its answers stay those the database would give. Code that gets ``None``
asks the database each time (:func:`past_replies`, :func:`replies_in_last_minute`).
"""

from __future__ import annotations

import weakref
from bisect import bisect_left, insort
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from mailbot.judge.loops import PastReply, fingerprint, thread_key
from mailbot.judge.olddomain import DomainPolicy
from mailbot.registry.lookup import address_variants
from mailbot.store.models import OutboxItem, Submission, Undeliverable, Unit, UnitAddress

# the replies a loop guard counts: what a unit gets for its own mail (not reminders or office notices)
GUARDED_KINDS = ("receipt", "ack")


@dataclass
class BatchCache:
    """For the batch's senders: undeliverable marks and replies since ``since`` (kind, created_at);
    each sender address's unit; the stored submissions by content hash. (Tracking numbers are counted
    per transaction by :func:`mailbot.store.queries.next_tracking_no`.)"""

    since: datetime
    sent: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    undeliverable: set[str] = field(default_factory=set)
    units: dict[str, Unit | None] = field(default_factory=dict)
    twins: dict[str, list[Submission]] = field(default_factory=dict)
    history: dict[str, list[PastReply]] = field(default_factory=dict)  # guarded replies since ``since``
    # created_at of every guarded reply since ``minute_since``, sorted: the storm brake's count
    minute: list[datetime] | None = None
    minute_since: datetime | None = None
    watermark: int = 0  # the highest outbox id in ``sent``
    minute_watermark: int = 0  # the highest outbox id in ``minute``
    noted: list[OutboxItem] = field(default_factory=list)  # the replies this batch queued
    carried: bool = False  # opened from a carry (else its lists replace the carry's)

    @classmethod
    def open(
        cls,
        session: Session,
        recipients: Iterable[str],
        since: datetime,
        hashes: Sequence[str],
        senders: Iterable[str] = (),
        domains: DomainPolicy | None = None,
        now: datetime | None = None,
        carry: ReplyCarry | None = None,
    ) -> BatchCache:
        """Read, in a few queries, what the batch will ask about ``recipients`` and content ``hashes``,
        and (with ``domains``) the registered unit of each From address in ``senders``; with ``now``,
        the guarded replies of the minute before it (read before the batch writes anything, so that
        the storm brake's first question does not flush the batch's first rows on their own).

        With ``carry`` (what the earlier batches of the same poll saw), a recipient it knows is read
        only for the outbox rows it has not seen (:class:`ReplyCarry`)."""
        wanted = sorted({r.lower() for r in recipients if r})
        cache = cls(since=since, sent={r: [] for r in wanted}, history={r: [] for r in wanted})
        usable = carry is not None and carry.since is not None and carry.since <= since
        seen = carry.watermark if carry is not None and usable else 0
        cache.watermark, cache.carried = seen, usable
        if now is not None:
            cache.minute_since = now - timedelta(minutes=1)
            cache.minute, cache.minute_watermark = _minute(
                session, cache.minute_since, carry if usable else None
            )
        if domains is not None:
            cache.units.update(units_of_addresses(session, senders, domains))
        known = [r for r in wanted if usable and carry is not None and r in carry.sent]
        fresh = [r for r in wanted if not (usable and carry is not None and r in carry.sent)]
        for i in range(0, len(known), 500):
            assert carry is not None
            chunk = known[i : i + 500]
            if not cache._read_new(session, chunk, carry):
                fresh.extend(chunk)  # rows it did not see below its watermark: read them all
        for i in range(0, len(fresh), 500):
            chunk = fresh[i : i + 500]
            for rcpt in chunk:
                cache.sent[rcpt], cache.history[rcpt] = [], []
            cache._read_rows(session, OutboxItem.recipient.in_(chunk), since)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            cache.undeliverable.update(
                session.scalars(select(Undeliverable.address).where(Undeliverable.address.in_(chunk)))
            )
        unique = sorted(set(hashes))
        for i in range(0, len(unique), 500):
            q = select(Submission).where(Submission.sha256.in_(unique[i : i + 500])).order_by(Submission.id)
            for sub in session.scalars(q):
                cache.twins.setdefault(sub.sha256, []).append(sub)
        return cache

    def _read_rows(self, session: Session, where: Any, since: datetime) -> int:
        """Add the outbox rows matching ``where`` since ``since`` to the lists; how many there were."""
        guarded: list[tuple[int, str, datetime]] = []
        n = 0
        rows = session.execute(
            select(OutboxItem.id, OutboxItem.recipient, OutboxItem.kind, OutboxItem.created_at).where(
                where, OutboxItem.created_at >= since
            )
        )
        for item_id, rcpt, kind, at in rows:
            n += 1
            self.watermark = max(self.watermark, item_id)
            self.sent[rcpt].append((kind, at))
            if kind in GUARDED_KINDS:
                guarded.append((item_id, rcpt, at))
        for rcpt, past in _known_history(session, guarded):
            self.history[rcpt].append(past)
        return n

    def _read_new(self, session: Session, chunk: Sequence[str], carry: ReplyCarry) -> bool:
        """Recipients the carry knows: its lists plus the rows above its watermark. False (lists left
        empty) when the rows since ``since`` are more than that — a row below the watermark committed
        later (PostgreSQL draws ids before it commits), or a row queued without telling the batch."""
        since = self.since
        for rcpt in chunk:
            self.sent[rcpt] = list(carry.sent[rcpt])
            self.history[rcpt] = list(carry.history.get(rcpt, ()))
        had = sum(1 for r in chunk for _, at in self.sent[r] if at >= since)
        got = self._read_rows(
            session, and_(OutboxItem.recipient.in_(chunk), OutboxItem.id > carry.watermark), since
        )
        total = session.scalar(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.recipient.in_(chunk), OutboxItem.created_at >= since)
        )
        if total == had + got:
            return True
        for rcpt in chunk:
            self.sent[rcpt], self.history[rcpt] = [], []
        return False

    def knows(self, recipient: str) -> bool:
        return recipient.lower() in self.sent

    def replies_since(self, recipient: str, since: datetime, kinds: Sequence[str]) -> int | None:
        """Replies of these kinds to ``recipient`` since ``since``; None when the cache cannot tell."""
        if recipient not in self.sent or since < self.since:
            return None
        return sum(1 for kind, at in self.sent[recipient] if at >= since and kind in kinds)

    def guarded_since(self, since: datetime) -> int | None:
        """Guarded replies created since ``since``; None when the cache cannot tell."""
        if self.minute is None or self.minute_since is None or since < self.minute_since:
            return None
        return len(self.minute) - bisect_left(self.minute, since)  # (a sum per reply was quadratic)

    def note_reply(self, item: OutboxItem, past: PastReply | None = None) -> None:
        self.noted.append(item)
        if item.recipient in self.sent:
            self.sent[item.recipient].append((item.kind, item.created_at))
        if past is not None and item.recipient in self.history:
            self.history[item.recipient].append(past)
        if self.minute is not None and item.kind in GUARDED_KINDS:
            insort(self.minute, item.created_at)

    def note_stored(self, sub: Submission) -> None:
        self.twins.setdefault(sub.sha256, []).append(sub)


@dataclass
class ReplyCarry:
    """What the committed batches of one poll saw of the outbox, for the next batch of that poll.

    A backlog from few senders made every batch read every earlier reply of the run to them again
    (quadratic). With a carry, a batch reads for a recipient it knows only the rows above the
    ``watermark`` (the highest outbox id seen) and checks their number with one count: the rows since
    the window's start must be exactly the carried ones plus those, else it reads them all. Outbox
    rows are never deleted and their recipient, kind and creation time never change, so equal counts
    mean equal lists: the answers are those a full read would give. Only a committed batch is
    carried (:meth:`adopt`), a rolled-back one leaves it as it was."""

    since: datetime | None = None
    watermark: int = 0  # every row in ``sent`` has an id at most this
    sent: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    history: dict[str, list[PastReply]] = field(default_factory=dict)
    minute: list[datetime] | None = None
    minute_since: datetime | None = None
    minute_watermark: int = 0  # every row in ``minute`` has an id at most this

    def adopt(self, batch: BatchCache) -> None:
        """``batch`` has committed: its lists (with the replies it queued) are the outbox now."""
        ids = [item.id for item in batch.noted if item.id is not None]
        if len(ids) < len(batch.noted):  # (an id the flush did not give back): start again
            self.__init__()  # type: ignore[misc]
            return
        if not batch.carried:
            self.sent, self.history = {}, {}
        self.since = batch.since
        self.watermark = max([batch.watermark, *ids])
        self.sent.update(batch.sent)
        self.history.update(batch.history)
        self.minute, self.minute_since = batch.minute, batch.minute_since
        self.minute_watermark = max([batch.minute_watermark, *ids])


def _minute(session: Session, since: datetime, carry: ReplyCarry | None) -> tuple[list[datetime], int]:
    """created_at of the guarded replies since ``since``, sorted, and the highest id among them: from
    the carry and the rows above its watermark when their count says that is all of them, else read
    in full."""
    guarded = and_(OutboxItem.created_at >= since, OutboxItem.kind.in_(GUARDED_KINDS))
    if (
        carry is not None
        and carry.minute is not None
        and carry.minute_since is not None
        and carry.minute_since <= since
    ):
        kept = carry.minute[bisect_left(carry.minute, since) :]
        rows = session.execute(
            select(OutboxItem.id, OutboxItem.created_at).where(
                guarded, OutboxItem.id > carry.minute_watermark
            )
        ).all()
        total = session.scalar(select(func.count()).select_from(OutboxItem).where(guarded))
        if total == len(kept) + len(rows):
            return sorted([*kept, *(at for _, at in rows)]), max(
                [carry.minute_watermark, *(i for i, _ in rows)]
            )
    rows = session.execute(select(OutboxItem.id, OutboxItem.created_at).where(guarded)).all()
    return sorted(at for _, at in rows), max([0, *(i for i, _ in rows)])


# What the loop guard remembers of the mail a stored reply answered, by outbox id, per engine:
# computed once (a backlog's batches would otherwise read and fingerprint every earlier reply again).
# The created_at and recipient are kept with it, so a reused id (SQLite after a purge) is read again.
_PAST: weakref.WeakKeyDictionary[Any, dict[int, tuple[datetime, str, PastReply]]] = (
    weakref.WeakKeyDictionary()
)
_PAST_MAX = 100_000


def units_of_addresses(
    session: Session, addresses: Iterable[str], domains: DomainPolicy
) -> dict[str, Unit | None]:
    """Each address's registered unit (None when unregistered), in one query per 500 variants: what
    :func:`mailbot.registry.lookup.unit_for_address` answers for each, the address itself first and
    then its twin on the other domain."""
    variants = {a: address_variants(a, domains) for a in {a for a in addresses if a}}
    wanted = sorted({v for vs in variants.values() for v in vs})
    by_addr: dict[str, Unit] = {}
    for i in range(0, len(wanted), 500):
        rows = session.execute(
            select(UnitAddress.address, Unit)
            .join(Unit, Unit.id == UnitAddress.unit_id)
            .where(UnitAddress.address.in_(wanted[i : i + 500]))
        )
        by_addr.update((a, u) for a, u in rows)
    return {a: next((by_addr[v] for v in vs if v in by_addr), None) for a, vs in variants.items()}


def _known_history(
    session: Session, guarded: Sequence[tuple[int, str, datetime]]
) -> list[tuple[str, PastReply]]:
    """(recipient, past reply) of these guarded outbox rows (id, recipient, created_at): from the
    process's cache, the others read in one query per 500."""
    out: list[tuple[str, PastReply]] = []
    missing: list[int] = []
    known = _PAST.setdefault(session.get_bind(), {})
    for item_id, rcpt, at in guarded:
        hit = known.get(item_id)
        if hit is not None and hit[0] == at and hit[1] == rcpt:
            out.append((rcpt, hit[2]))
        else:
            missing.append(item_id)
    if len(known) + len(missing) > _PAST_MAX:
        known.clear()
    for i in range(0, len(missing), 500):
        for item_id, rcpt, past in _history_rows(session, OutboxItem.id.in_(missing[i : i + 500])):
            known[item_id] = (past.at, rcpt, past)
            out.append((rcpt, past))
    return out


def _history(session: Session, where: Any, since: datetime) -> list[tuple[str, PastReply]]:
    """(recipient, past reply) of the guarded replies matching ``where`` since ``since``."""
    return [
        (rcpt, past)
        for _, rcpt, past in _history_rows(
            session, and_(where, OutboxItem.created_at >= since, OutboxItem.kind.in_(GUARDED_KINDS))
        )
    ]


def _history_rows(session: Session, where: Any) -> list[tuple[int, str, PastReply]]:
    """(outbox id, recipient, past reply) of the outbox rows matching ``where`` (with a submission)."""
    rows = session.execute(
        select(
            OutboxItem.id,
            OutboxItem.recipient,
            OutboxItem.created_at,
            Submission.message_id,
            Submission.in_reply_to,
            Submission.references,
            Submission.subject,
            func.substr(Submission.body_text, 1, 600),
            Submission.attachments,
        )
        .join(Submission, Submission.id == OutboxItem.submission_id)
        .where(where)
    )
    return [
        (
            item_id,
            rcpt,
            PastReply(
                at, thread_key(mid, irt, refs or ()), fingerprint(subject or "", body or "", _files(files))
            ),
        )
        for item_id, rcpt, at, mid, irt, refs, subject, body, files in rows
    ]


def _files(attachments: Any) -> list[tuple[str, int]]:
    """(name, size) of a submission's stored attachment list."""
    if not isinstance(attachments, list):
        return []
    return [
        (str(a.get("filename", "")), int(a.get("size", 0) or 0)) for a in attachments if isinstance(a, dict)
    ]


def past_replies(
    session: Session, recipient: str, since: datetime, batch: BatchCache | None
) -> list[PastReply]:
    """The guarded replies queued to ``recipient`` since ``since`` (the batch's when it knows)."""
    rcpt = recipient.lower()
    if batch is not None and rcpt in batch.history and since >= batch.since:
        return [p for p in batch.history[rcpt] if p.at >= since]
    return [past for _, past in _history(session, OutboxItem.recipient == rcpt, since)]


def replies_in_last_minute(session: Session, now: datetime, batch: BatchCache | None) -> int:
    """Guarded replies to anyone created in the 60 seconds before ``now`` (the storm brake's count)."""
    since = now - timedelta(minutes=1)
    counted = batch.guarded_since(since) if batch is not None else None
    if counted is not None:
        return counted
    stamps = _guarded_since(session, since)
    if batch is not None:
        batch.minute, batch.minute_since = stamps, since
    return len(stamps)


def _guarded_since(session: Session, since: datetime) -> list[datetime]:
    """created_at of the guarded replies since ``since``, sorted."""
    return sorted(
        session.scalars(
            select(OutboxItem.created_at).where(
                OutboxItem.created_at >= since, OutboxItem.kind.in_(GUARDED_KINDS)
            )
        )
    )
