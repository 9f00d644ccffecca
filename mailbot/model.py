"""Frozen values passed between the pipeline's stages.

fetch → :class:`FetchedMail` → parse → :class:`ParsedMail` → classify → :class:`Classification`
→ timephrase → :class:`EventTime` → deadlines → :class:`Judgement` → render → :class:`Reply`.

Every datetime here is timezone-aware.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Category(enum.StrEnum):
    URGENT = "urgent"
    ROUTINE = "routine"
    FOLLOWUP = "followup"  # 续报 of an (open) urgent case
    RESEARCH = "research"  # 调研信息: routine deadline from the dated research activity, if it names one
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    REGISTRATION = "registration"  # liaison officer 登记表 (附件1)
    PUBLICITY_REQUEST = "publicity_request"  # 宣传报道申报单 (附件2)
    OTHER = "other"

    @property
    def is_report(self) -> bool:
        return self in REPORT_CATEGORIES


REPORT_CATEGORIES = frozenset({Category.URGENT, Category.ROUTINE, Category.FOLLOWUP, Category.RESEARCH})


class Granularity(enum.StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    PART_OF_DAY = "part_of_day"
    DAY = "day"
    MONTH = "month"


class Verdict(enum.StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    UNKNOWN = "unknown"  # no event time found
    UNTIMED = "untimed"  # a research piece that dates no research activity: no deadline to judge against


class Outcome(enum.StrEnum):
    STORED = "stored"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"


class SubmissionStatus(enum.StrEnum):
    STORED = "stored"
    ARCHIVED = "archived"  # a backlog message: stored, never answered
    IGNORED = "ignored"
    QUARANTINED = "quarantined"  # could not be processed; raw bytes kept for ``reprocess``


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"  # waits for the office to release it
    WRITTEN = "written"  # demo: written as an .eml file instead of sent


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    UNREADABLE = "unreadable"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Result:
    """What happened to one message: its outcome, and the submission it became or repeats."""

    outcome: Outcome
    submission_id: int | None = None
    tracking_no: str | None = None
    category: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class FetchedMail:
    """Raw bytes as they came from a source, with where they came from."""

    source: str  # configured account name, e.g. "main" or "old-domain"
    mailbox: str  # IMAP folder or Maildir path
    uidvalidity: int | None  # None for Maildir
    uid: int | None  # IMAP UID; None for Maildir
    key: str  # source-unique key: str(uid) for IMAP, the Maildir key otherwise
    raw: bytes
    internaldate: datetime | None  # server arrival time (aware); None when unknown


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int  # decoded size in bytes
    text: str | None = None  # text extracted from .txt / .docx / .xlsx, None when not extracted


@dataclass(frozen=True)
class ParsedMail:
    """What parse.py makes of the raw bytes. Never raises; problems are in ``defects``."""

    message_id: str | None  # without angle brackets, stripped
    subject: str
    from_addr: str  # lower-cased address, "" when missing
    from_name: str
    to: tuple[str, ...]  # lower-cased addresses
    cc: tuple[str, ...]
    delivered_to: tuple[str, ...]  # Delivered-To and X-Original-To, lower-cased
    reply_to: tuple[str, ...]
    return_path: str | None  # "" for the null sender <>, None when the header is absent
    date: datetime | None  # Date header, aware; None when missing or unparsable
    in_reply_to: str | None  # without angle brackets
    references: tuple[str, ...]  # without angle brackets
    headers: dict[str, str]  # selected headers, lower-cased names (auto-submitted, precedence, x-priority …)
    text: str  # readable body text (plain part, or HTML turned into text)
    html: str | None  # the HTML part when there is one
    attachments: tuple[Attachment, ...]
    defects: tuple[str, ...] = ()  # e.g. "charset_relabelled:gb2312->gb18030", "bad_base64"
    dsn_recipients: tuple[str, ...] = ()  # failed recipients when this is a delivery status notification
    dsn_original_message_id: str | None = None  # Message-ID of the mail that bounced, when found
    # every MIME part's type, with the parameter that tells machine mail apart:
    # "multipart/report; report-type=feedback-report", "text/calendar; method=reply", "application/zip"
    part_types: tuple[str, ...] = ()
    auth_results: tuple[str, ...] = ()  # each Authentication-Results value, topmost first (at most 5)

    def all_text(self) -> str:
        """Subject, body and attachment text, for classification and time extraction."""
        parts = [self.subject, self.text]
        parts.extend(a.text for a in self.attachments if a.text)
        return "\n".join(p for p in parts if p)


@dataclass(frozen=True)
class Classification:
    category: Category
    reasons: tuple[
        str, ...
    ]  # stable rule names that fired, with the matched text, e.g. "subject_marker:【紧急】"
    score: float = 0.0  # urgency score (positive → urgent)
    is_final_report: bool = False  # 终报 / 结报 / 处置完毕 … closes a case


@dataclass(frozen=True)
class EventTime:
    """When the reported event happened, as a span: ``start`` ≤ event < ``end``."""

    start: datetime  # earliest instant the phrase allows (aware)
    end: datetime  # latest instant the phrase allows (aware, exclusive)
    text: str  # the matched phrase as it stands in the text
    granularity: Granularity
    # the winning phrase's scoring reasons (timephrase.scoring.WEIGHTS); not part of the time's identity
    reasons: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Judgement:
    category: Category
    event: EventTime | None
    reported_at: datetime  # server arrival time, Date header only as fallback
    deadline: datetime | None
    verdict: Verdict | None  # None for non-reports
    lateness_minutes: int | None  # > 0 only when late
    approximate: bool = False  # judged with a coarse event time
    flags: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Reply:
    """A rendered mail ready for the outbox."""

    kind: str  # receipt, ack, alert, reminder_case, reminder_old_domain, notice_office …
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    message_id: str  # without angle brackets, deterministic
    raw: bytes  # the whole RFC 5322 message
