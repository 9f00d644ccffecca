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

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
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
    case: Mapped[Case | None] = relationship(foreign_keys=[case_id], lazy="raise")  # ordering only
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
    # Never loaded (lazy="raise"); the relationships to Submission exist so that the unit of work
    # inserts a submission before the rows that refer to it when both are flushed at once (the
    # batch path hands out ids before the INSERT: mailbot.store.ids). Code sets submission_id.
    submission: Mapped[Submission | None] = relationship(foreign_keys=[submission_id], lazy="raise")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    case: Mapped[Case | None] = relationship(foreign_keys=[case_id], lazy="raise")  # ordering only
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
    # migration 0004: why a held reply waits for the office, and who released it when
    held_reason: Mapped[str | None] = mapped_column(String(200))
    released_by: Mapped[str | None] = mapped_column(String(100))
    released_at: Mapped[datetime | None]


class SmtpHealth(Base):
    """A session-level SMTP failure (login, sender, server down), remembered across runs (migration 0004).

    Such a failure charges no reply an attempt; this row backs the drain off, tells the office once and
    is shown by ``mailbot outbox list`` and ``check-config``. Cleared when a session works again.
    """

    __tablename__ = "smtp_health"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # "smtp"
    failing_since: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0)  # failed runs in a row
    next_try_at: Mapped[datetime | None]
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)  # the office notice is queued
    ok_at: Mapped[datetime | None]


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
    bounce_submission: Mapped[Submission | None] = relationship(
        foreign_keys=[bounce_submission_id], lazy="raise"
    )


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
    submission: Mapped[Submission | None] = relationship(foreign_keys=[submission_id], lazy="raise")
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


# --- adoption (采用) and the quarterly notice (migration 0005) ------------------------------------------


class Adoption(Base):
    """Where a submission was used: ``kind.level`` (mailbot.adoption.kinds), the named outlet, its issue.

    Never deleted: removal sets ``removed_at``; every change is an :class:`AdoptionChange`."""

    __tablename__ = "adoptions"
    __table_args__ = (
        Index("ix_adoptions_submission", "submission_id"),
        Index("ix_adoptions_adopted_on", "adopted_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    kind: Mapped[str] = mapped_column(String(16))  # office, upward, adopted, media, instruction
    level: Mapped[str] = mapped_column(String(16))
    outlet: Mapped[str] = mapped_column(String(200), default="")  # 人民网, 《质监信息》 …
    issue: Mapped[str] = mapped_column(String(64), default="")  # 2026年第12期
    adopted_on: Mapped[date] = mapped_column(Date)  # the local day of the adoption
    note: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # cli, import, mail, bulletin
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(String(320))


class AdoptionChange(Base):
    """One change of the adoption ledger: who, when, what before, what after."""

    __tablename__ = "adoption_changes"
    __table_args__ = (Index("ix_adoption_changes_adoption", "adoption_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    adoption_id: Mapped[int] = mapped_column(ForeignKey("adoptions.id"))
    action: Mapped[str] = mapped_column(String(16))  # added, changed, removed
    actor: Mapped[str] = mapped_column(String(320))  # cli:USER, import:FILE, mail:ADDRESS
    at: Mapped[datetime]
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)


class NoticeRun(Base):
    """One quarterly adoption notice per quarter, recorded so that it is sent exactly once."""

    __tablename__ = "notice_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    period_key: Mapped[str] = mapped_column(String(32), unique=True)  # e.g. 2026Q4
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    created_at: Mapped[datetime]
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    mails: Mapped[int] = mapped_column(Integer, default=0)  # outbox rows queued (leadership + units)


# --- corrections by the office (migration 0006) ----------------------------------------------------


class Correction(Base):
    """The office's correction of a submission's category or event time: who, when, before and after.

    Kept for the register's history and exported as labelled data (``mailbot corrections export``)."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    corrected_by: Mapped[str] = mapped_column(String(100))
    corrected_at: Mapped[datetime]
    before_category: Mapped[str | None] = mapped_column(String(32))
    after_category: Mapped[str] = mapped_column(String(32))
    before_event_start: Mapped[datetime | None]
    before_event_end: Mapped[datetime | None]
    before_event_text: Mapped[str | None] = mapped_column(String(200))
    before_event_granularity: Mapped[str | None] = mapped_column(String(16))
    after_event_start: Mapped[datetime | None]
    after_event_end: Mapped[datetime | None]
    after_event_text: Mapped[str | None] = mapped_column(String(200))
    after_event_granularity: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)


# --- publicity requests (附件2) and interview-assistance notices (附件3) (migration 0008) -----------------


class PublicityRequest(Base):
    """A 宣传报道申报单 received by mail: its fields, its state in the chain head → leader → office."""

    __tablename__ = "publicity_requests"
    __table_args__ = (Index("ix_publicity_requests_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # PR-2026-000001
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    submission: Mapped[Submission | None] = relationship(foreign_keys=[submission_id], lazy="raise")
    sender: Mapped[str] = mapped_column(String(320))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    unit_name: Mapped[str | None] = mapped_column(String(200))  # as written on the form
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    media: Mapped[list[Any]] = mapped_column(JSON, default=list)  # tv, radio, newspaper, web
    missing: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(300), default="")  # body, docx:NAME, xlsx:NAME
    # incomplete, pending_head, pending_leader, pending_office, approved, rejected
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)  # why it was rejected
    media_arranged: Mapped[str | None] = mapped_column(Text)  # what the office arranged (媒体、记者)


class PublicityStep(Base):
    """One approval asked of one approver: its unguessable token, the Message-ID of the mail that asked."""

    __tablename__ = "publicity_steps"
    __table_args__ = (Index("ix_publicity_steps_request", "request_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("publicity_requests.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # head, leader, office
    approvers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # lower-cased addresses
    token: Mapped[str] = mapped_column(String(64), unique=True)  # 128 random bits, hex
    message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # pending, approved, rejected, cancelled
    asked_at: Mapped[datetime]
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(320))  # mail:ADDRESS or cli:USER
    decision_message_id: Mapped[str | None] = mapped_column(String(998))
    reason: Mapped[str | None] = mapped_column(Text)


class PublicityNotice(Base):
    """A 协助宣传报道通知单 the office sent to a unit, with its confirmation and feedback (反馈宣传情况)."""

    __tablename__ = "publicity_notices"
    __table_args__ = (Index("ix_publicity_notices_status", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # XC-2026-000001
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    unit_name: Mapped[str] = mapped_column(String(200))
    to_addrs: Mapped[list[Any]] = mapped_column(JSON, default=list)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # media, reporter, contact, content …
    token: Mapped[str] = mapped_column(String(64), unique=True)
    message_id: Mapped[str | None] = mapped_column(String(998), unique=True)
    status: Mapped[str] = mapped_column(String(16))  # sent, confirmed, reported
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))
    feedback_due: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    confirmation_text: Mapped[str | None] = mapped_column(Text)
    feedback_at: Mapped[datetime | None]
    feedback_text: Mapped[str | None] = mapped_column(Text)
    feedback_submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    feedback_submission: Mapped[Submission | None] = relationship(
        foreign_keys=[feedback_submission_id], lazy="raise"
    )
    coverage: Mapped[list[Any]] = mapped_column(JSON, default=list)  # links / outlets named in the feedback
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_reminder_at: Mapped[datetime | None]


class PublicityEvent(Base):
    """The audit trail of requests and notices: who did what, when, from which message."""

    __tablename__ = "publicity_events"
    __table_args__ = (
        Index("ix_publicity_events_request", "request_id"),
        Index("ix_publicity_events_notice", "notice_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("publicity_requests.id", ondelete="CASCADE"))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("publicity_notices.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("publicity_steps.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(320))  # mail:ADDRESS, cli:USER, mailbot
    action: Mapped[str] = mapped_column(String(32))  # received, asked, approved, rejected, held, reminded …
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    submission: Mapped[Submission | None] = relationship(foreign_keys=[submission_id], lazy="raise")
    message_id: Mapped[str | None] = mapped_column(String(998))
    detail: Mapped[str | None] = mapped_column(Text)


class ReportRequest(Base):
    """A 约稿: the office asks chosen units (or all) for reports on a topic by a deadline."""

    __tablename__ = "report_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # YG-2026-001, the tag in the subject
    topic: Mapped[str] = mapped_column(String(200))
    keywords: Mapped[list[Any]] = mapped_column(JSON, default=list)  # a unit's report on these answers it
    text: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(320))


class RequestTarget(Base):
    """One unit asked by a 约稿: its mail, its answer (on time or late), the reminders it got."""

    __tablename__ = "request_targets"
    __table_args__ = (UniqueConstraint("request_id", "unit_id", name="uq_request_target"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("report_requests.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    message_id: Mapped[str | None] = mapped_column(String(998))  # of the request mail: replies name it
    status: Mapped[str] = mapped_column(String(16))  # pending, answered, late
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    submission: Mapped[Submission | None] = relationship(foreign_keys=[submission_id], lazy="raise")
    answered_at: Mapped[datetime | None]
    matched_by: Mapped[str | None] = mapped_column(String(16))  # reply, tag, topic
