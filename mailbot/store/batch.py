"""The per-batch read cache: one transaction, the same answers with fewer round trips.

The pipeline opens one :class:`BatchCache` for a batch of messages stored in one transaction and
passes it explicitly to what reads through it (tracking numbers, unit look-up, reply limits,
undeliverable marks, stored twins). Everything the batch writes is noted in it, so its answers stay
those the database would give. Code that gets ``None`` asks the database each time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.store.models import OutboxItem, Submission, TrackingCounter, Undeliverable, Unit


@dataclass
class BatchCache:
    """For the batch's senders: undeliverable marks and replies since ``since`` (kind, created_at); the
    locked tracking counters; each sender address's unit; the stored submissions by content hash."""

    since: datetime
    sent: dict[str, list[tuple[str, datetime]]] = field(default_factory=dict)
    undeliverable: set[str] = field(default_factory=set)
    counters: dict[tuple[str, int], TrackingCounter] = field(default_factory=dict)
    units: dict[str, Unit | None] = field(default_factory=dict)
    twins: dict[str, list[Submission]] = field(default_factory=dict)

    @classmethod
    def open(
        cls, session: Session, recipients: Iterable[str], since: datetime, hashes: Sequence[str]
    ) -> BatchCache:
        """Read, in a few queries, what the batch will ask about ``recipients`` and content ``hashes``."""
        wanted = sorted({r.lower() for r in recipients if r})
        cache = cls(since=since, sent={r: [] for r in wanted})
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows = session.execute(
                select(OutboxItem.recipient, OutboxItem.kind, OutboxItem.created_at).where(
                    OutboxItem.recipient.in_(chunk), OutboxItem.created_at >= since
                )
            )
            for rcpt, kind, at in rows:
                cache.sent[rcpt].append((kind, at))
            cache.undeliverable.update(
                session.scalars(select(Undeliverable.address).where(Undeliverable.address.in_(chunk)))
            )
        unique = sorted(set(hashes))
        for i in range(0, len(unique), 500):
            q = select(Submission).where(Submission.sha256.in_(unique[i : i + 500])).order_by(Submission.id)
            for sub in session.scalars(q):
                cache.twins.setdefault(sub.sha256, []).append(sub)
        return cache

    def knows(self, recipient: str) -> bool:
        return recipient.lower() in self.sent

    def replies_since(self, recipient: str, since: datetime, kinds: Sequence[str]) -> int | None:
        """Replies of these kinds to ``recipient`` since ``since``; None when the cache cannot tell."""
        if recipient not in self.sent or since < self.since:
            return None
        return sum(1 for kind, at in self.sent[recipient] if at >= since and kind in kinds)

    def note_reply(self, item: OutboxItem) -> None:
        if item.recipient in self.sent:
            self.sent[item.recipient].append((item.kind, item.created_at))

    def note_stored(self, sub: Submission) -> None:
        self.twins.setdefault(sub.sha256, []).append(sub)
