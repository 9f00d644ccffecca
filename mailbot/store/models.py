"""SQLAlchemy 2.0 typed tables: the register and everything mailbot remembers.

- ``submissions``: every fetched message (reports get a tracking number), with parse, classification
  and judgement results;
- ``raw_messages``: the raw bytes (zlib-compressed) of each submission, so nothing is ever lost;
- ``mailbox_states``: UIDVALIDITY, last UID and first-seen time per account and folder;
- ``tracking_counters``: the per-year sequence behind tracking numbers;
- ``outbox``: every reply, queued in the same transaction as the submission, then sent;
- ``cases``: urgent events and their follow-ups (续报);
- ``undeliverable``: addresses that bounced our replies.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware (UTC) datetimes out — also on SQLite, which keeps no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(
                f"naive datetime {value!r} given to the database; mailbot stores aware times only"
            )
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}  # noqa: RUF012


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("source", "mailbox", "uidvalidity", "source_key", name="uq_submission_origin"),
        Index("ix_submissions_reported_at", "reported_at"),
        Index("ix_submissions_message_id", "message_id"),
        Index("ix_submissions_sha256", "sha256"),
        Index("ix_submissions_from_addr", "from_addr"),
        Index(
            "ix_submissions_case_id", "case_id", "category"
        ),  # migration 0003: the digest's follow-up counts
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tracking_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # stored, archived, ignored, quarantined
    # where it came from
    source: Mapped[str] = mapped_column(String(64))
    mailbox: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    uid: Mapped[int | None] = mapped_column(BigInteger)
    source_key: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    internaldate: Mapped[datetime | None]
    fetched_at: Mapped[datetime]
    # what it says
    message_id: Mapped[str | None] = mapped_column(String(998))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[Any]] = mapped_column(JSON, default=list)
    date_header: Mapped[datetime | None]
    from_addr: Mapped[str] = mapped_column(String(320), default="")
    from_name: Mapped[str] = mapped_column(String(500), default="")
    to_addrs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cc_addrs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    body_text: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{filename, content_type, size}]
    defects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # what mailbot made of it
    category: Mapped[str | None] = mapped_column(String(32))
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unit_name: Mapped[str | None] = mapped_column(String(200))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", name="fk_submissions_unit_id"))
    event_start: Mapped[datetime | None]
    event_end: Mapped[datetime | None]
    event_text: Mapped[str | None] = mapped_column(String(200))
    event_granularity: Mapped[str | None] = mapped_column(String(16))
    reported_at: Mapped[datetime | None]
    deadline: Mapped[datetime | None]
    verdict: Mapped[str | None] = mapped_column(String(16))
    lateness_minutes: Mapped[int | None] = mapped_column(Integer)
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    old_domain: Mapped[bool] = mapped_column(Boolean, default=False)
    flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    error: Mapped[str | None] = mapped_column(Text)  # why it was quarantined

    raw: Mapped[RawMessage] = relationship(back_populates="submission", uselist=False, lazy="raise")


class RawMessage(Base):
    __tablename__ = "raw_messages"

    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True
    )
    compression: Mapped[str] = mapped_column(String(8))  # "zlib" or "none"
    data: Mapped[bytes] = mapped_column(LargeBinary)

    submission: Mapped[Submission] = relationship(back_populates="raw")


class MailboxState(Base):
    __tablename__ = "mailbox_states"
    __table_args__ = (UniqueConstraint("source", "mailbox", name="uq_mailbox_state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    mailbox: Mapped[str] = mapped_column(String(255))
    uidvalidity: Mapped[int | None] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime]
    archive_before: Mapped[datetime]


class TrackingCounter(Base):
    __tablename__ = "tracking_counters"

    prefix: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)


class OutboxItem(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_recipient", "recipient"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)  # e.g. receipt:12, reminder_case:3:2
    kind: Mapped[str] = mapped_column(String(32))
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    recipient: Mapped[str] = mapped_column(String(320))  # first To, for rate limits
    to_addrs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    cc_addrs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # pending, sent, failed, held, written
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # the opening report's tracking number
    status: Mapped[str] = mapped_column(String(16))  # open, closed
    sender: Mapped[str] = mapped_column(String(320))
    unit_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime]
    last_report_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))  # "final_report" or "office"
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_at: Mapped[datetime | None]


class Undeliverable(Base):
    __tablename__ = "undeliverable"

    address: Mapped[str] = mapped_column(String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    since: Mapped[datetime]
    bounce_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))


# --- unit registry (附件1 信息宣传联络员登记表) -----------------------------------------------------


class Unit(Base):
    """A reporting unit: a prefecture bureau, a department of the bureau, or an affiliated unit."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str | None] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # prefecture, department, affiliated
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class UnitAddress(Base):
    """A sender address of a unit (official, personal 163.com/qq.com boxes, old-domain aliases)."""

    __tablename__ = "unit_addresses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    address: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    note: Mapped[str | None] = mapped_column(String(200))


class UnitContact(Base):
    """The leader in charge or the liaison officer of a unit, with history (valid_to None = current)."""

    __tablename__ = "unit_contacts"
    __table_args__ = (Index("ix_unit_contacts_current", "unit_id", "role", "valid_to"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # leader, liaison
    name: Mapped[str] = mapped_column(String(100))
    gender: Mapped[str | None] = mapped_column(String(8))
    department: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(100))
    office_phone: Mapped[str | None] = mapped_column(String(64))
    mobile: Mapped[str | None] = mapped_column(String(64))
    political_status: Mapped[str | None] = mapped_column(String(64))
    qq: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(32))  # import, registration, office
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"))


class Registration(Base):
    """A liaison registration form received by mail, waiting for the office to confirm or reject it."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    unit_name: Mapped[str | None] = mapped_column(String(200))  # as written on the form
    status: Mapped[str] = mapped_column(String(16))  # pending, confirmed, rejected, unreadable
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    missing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    sender: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


# --- scheduler records -----------------------------------------------------------------------------


class DigestRun(Base):
    """One weekly digest per period, recorded so that it is sent exactly once (even across restarts)."""

    __tablename__ = "digest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_key: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. 2026-W47
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    created_at: Mapped[datetime]
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))


class Lease(Base):
    """Which daemon instance reads a mailbox (or runs a singleton job) until ``expires_at``."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. mailbox:main/INBOX
    holder: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime]
    expires_at: Mapped[datetime]
