"""Frozen, validated settings objects. Built by :mod:`mailbot.config.loader` from TOML + MAILBOT_* env."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from mailbot.config.urls import TLSMode, redact_url
from mailbot.judge.automatic import SpamPolicy, TrustPolicy
from mailbot.judge.classify.keywords import DEFAULT_RULES, ClassifyRules
from mailbot.judge.deadlines import DeadlinePolicy
from mailbot.judge.loops import LoopLimits
from mailbot.judge.olddomain import DomainPolicy


@dataclass(frozen=True)
class ImapSettings:
    name: str  # account name, e.g. "main", "old-domain"
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    tls: TLSMode = "implicit"  # imaps:// → implicit, imap:// → starttls, ?tls=none → none
    ca_file: Path | None = None
    timeout: float = 60.0  # socket timeout, seconds
    mark: Literal["flag", "move"] = "flag"  # after the DB commit: add \Seen + keyword, or move
    done_keyword: str = "$MailbotDone"
    done_folder: str = "mailbot/done"  # used when mark == "move"
    failed_folder: str = "mailbot/failed"  # quarantined messages are moved here
    idle: bool = True  # use IDLE when the server offers it
    idle_renew_seconds: float = (
        5 * 60
    )  # re-issue IDLE well before 29 minutes (RFC 2177); also detects dead links
    poll_interval: float = 60.0  # seconds, when IDLE is not available or disabled
    batch_size: int = 100  # messages per FETCH and per DB transaction
    archive_before: datetime | None = None  # backlog before this instant is archived without replies
    archive_backlog: bool = (
        False  # archive what the folder held when first seen (when archive_before is None)
    )


@dataclass(frozen=True)
class MaildirSettings:
    name: str
    path: Path
    batch_size: int = 100
    archive_before: datetime | None = None
    archive_backlog: bool = False


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)
    tls: TLSMode = "starttls"
    ca_file: Path | None = None
    timeout: float = 30.0
    helo: str | None = None


@dataclass(frozen=True)
class OfficeSettings:
    name: str = "自治区质量技术监督局办公室"
    address: str = "jbgs@xjzj.gov.cn"  # the From of every reply
    contact: str = "邹思媛，电话 0991-2817458，传真 0991-2316124"
    own_addresses: tuple[str, ...] = ("jbgs@xjzj.gov.cn", "jbgs@xjnewqi.gov.cn")
    notify: tuple[str, ...] = (
        "jbgs@xjzj.gov.cn",
    )  # office staff told about quarantine, failures, last reminders
    alert_recipients: tuple[str, ...] = ()  # duty recipients of urgent-report alerts
    tracking_prefix: str = "JB"
    message_id_domain: str = "mailbot.xjzj.gov.cn"
    # office records change by mail (a 续报 joining a case, a 终报 closing it) only when the trusted
    # server's Authentication-Results did not fail; the sender must own the record in any case
    require_authentication: bool = False


@dataclass(frozen=True)
class ReplySettings:
    rate_limit_count: int = 10  # replies per sender …
    rate_limit_hours: float = 3.0  # … per this many hours
    hold_on_auth_failure: bool = False  # hold receipts for senders failing Authentication-Results
    # mail from an address of no registered unit (once the registry holds units): "short" (a fixed
    # receipt: tracking number and arrival time, nothing taken from the mail), "hold" (for the office)
    # or "full" (the full receipt, as for a unit)
    unregistered: Literal["short", "hold", "full"] = "short"
    write_dir: Path | None = None  # demo: write replies as .eml files here instead of sending


@dataclass(frozen=True)
class OutboxSettings:
    interval_seconds: float = 5.0
    max_attempts: int = 8
    backoff_base_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0
    batch_size: int = 50


@dataclass(frozen=True)
class CaseSettings:
    followup_interval_hours: float = 12.0
    max_reminders: int = 3
    link_window_days: float = 7.0
    similarity_threshold: float = 0.35


@dataclass(frozen=True)
class DomainSettings:
    old_domains: tuple[str, ...] = ("xjnewqi.gov.cn",)
    new_domain: str = "xjzj.gov.cn"
    cutover: date = date(2012, 5, 1)
    notice_interval_days: float = 30.0


@dataclass(frozen=True)
class LimitSettings:
    max_message_bytes: int = 60 * 1024 * 1024
    max_parts: int = 500
    max_attachment_text: int = 200_000


@dataclass(frozen=True)
class UnitSettings:
    registration_deadline: date | None = None  # units without a confirmed liaison are reminded after this day
    reminder_interval_days: float = 7.0
    max_reminders: int = 3  # 0: never remind


@dataclass(frozen=True)
class HaSettings:
    lease_seconds: float = 30.0  # a mailbox lease lasts this long; renewed every third of it


@dataclass(frozen=True)
class DigestSettings:
    recipients: tuple[str, ...] = ()  # leadership; empty: no weekly digest is sent
    subject: str = "【政务信息报送周报】{period}"  # {period} becomes e.g. 2026年第47周（11月16日—11月22日）
    period: str = "week"  # "week" (the last ISO week, Monday–Sunday) or "month" (the last calendar month)
    attach_register: bool = True  # the period's register as an .xlsx attachment
    chart: bool = True  # the inline PNG chart (reports per unit, on-time rate)
    max_rows: int = 50  # longest lists (late reports, unregistered senders) in the mail


@dataclass(frozen=True)
class CorrectionSettings:
    send_receipt: bool = True  # ``mailbot correct`` queues a corrected receipt (更正) to the unit


# [scores]: EXAMPLES, not the office's rules — set them from 新质技监办〔2011〕7号. Keys are the adoption
# kinds and levels of mailbot.adoption.kinds ("kind.level").
EXAMPLE_POINTS: dict[str, float] = {
    "office.bulletin": 6.0,  # the bureau's own bulletin 《质监信息》
    "office.special": 8.0,  # 信息专报
    "office.brief": 4.0,
    "upward.region": 3.0,
    "upward.ministry": 3.0,
    "upward.other": 2.0,
    "adopted.central": 20.0,  # 中办、国办
    "adopted.ministry": 10.0,  # a ministry bulletin
    "adopted.region": 10.0,  # a provincial (自治区) party or government publication
    "adopted.other": 5.0,
    "media.national": 8.0,
    "media.region": 5.0,
    "media.local": 3.0,
    "instruction.central": 20.0,
    "instruction.ministry": 15.0,
    "instruction.region": 15.0,
    "instruction.bureau": 8.0,
}


@dataclass(frozen=True)
class ScoreSettings:
    """The score table (``[scores]``); every default is an example (see :data:`EXAMPLE_POINTS`)."""

    points: dict[str, float] = field(default_factory=lambda: dict(EXAMPLE_POINTS))
    # several adoptions of one item: "sum" of all, "max" (the best one), "top_award" (the notice's rule:
    # adopted by two or more outlets → the top award, else its own points)
    multiple: Literal["sum", "max", "top_award"] = "top_award"
    top_award: float | None = None  # the top award; None: the highest adoption points of the table
    rewards: dict[str, float] = field(default_factory=dict)  # yuan per kind.level (empty: no amounts)
    per_report: float = 0.0  # points per report submitted
    urgent_late: float = -2.0  # per urgent report (紧急信息) reported late
    request_answered: float = 2.0  # per 约稿 answered in time
    request_late: float = -1.0  # per 约稿 answered late
    request_missed: float = -2.0  # per 约稿 not answered


@dataclass(frozen=True)
class NoticeSettings:
    """The quarterly adoption notice (信息采用情况通报) and the annual awards (``[notices]``)."""

    recipients: tuple[str, ...] = ()  # leadership; empty and to_units false: no notice is sent
    to_units: bool = False  # also mail each active unit (at its registered addresses)
    subject: str = "【信息采用情况通报】{quarter}"  # {quarter} becomes e.g. 2026年第四季度
    schedule: str = "0 9 5 1,4,7,10 *"  # crontab: the notice of the past quarter, 5th day 09:00
    grace_hours: float = 72.0  # a notice missed while mailbot was down is sent on start within this
    award_min_adoptions: int = 3  # 先进集体 / 优秀信息联络员: at least this many adopted items in the year
    award_no_late_urgent: bool = True  # … and no urgent report late in the year
    award_collectives: int = 3  # how many units are proposed as 先进集体
    award_liaisons: int = 5  # how many liaison officers as 优秀信息联络员


@dataclass(frozen=True)
class PublicitySettings:
    """``[publicity]``: who signs a 宣传报道申报单 (附件2) and how pending approvals are chased."""

    # department or unit (name or short name, as in the registry) → its head's address(es)
    heads: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # a leader's address → the departments and units in his or her charge
    leaders: dict[str, tuple[str, ...]] = field(default_factory=dict)
    office: tuple[str, ...] = ()  # who signs for the office (区局办公室意见); empty: office.notify
    require_authentication: bool = False  # an answer counts only with a passing Authentication-Results
    reminder_hours: float = 24.0  # a pending approval is reminded after this, and again after as long
    max_reminders: int = 2
    escalation_hours: float = 72.0  # … and the office told once (escalated) after this
    number_prefix: str = "PR"  # PR-2026-000001
    notice_prefix: str = "XC"  # 附件3 notices: XC-2026-000001
    feedback_days: float = 7.0  # a notice's feedback (反馈宣传情况) is due this long after it was sent


@dataclass(frozen=True)
class RequestSettings:
    """约稿 (``[requests]``): requests for reports on a topic, their reminders and accounting."""

    prefix: str = "YG"  # request numbers YG-2026-001, the tag units keep in the subject
    remind_before_hours: float = 24.0  # units that have not answered are reminded this long before (0: never)
    late_days: float = 7.0  # an answer up to this long after the deadline counts late; later, missed
    quota_per_week: int = 0  # 催报: units with fewer reports in the last ISO week get a reminder (0: none)


@dataclass(frozen=True)
class ScheduleSettings:
    digest: str = "0 9 * * mon"  # crontab (minute hour day month weekday) in general.timezone
    digest_grace_hours: float = 48.0  # a digest missed while the daemon was down is sent on start within this
    reminders_interval_seconds: float = 300.0  # how often overdue urgent cases are looked for


@dataclass(frozen=True)
class WebSettings:
    host: str = "127.0.0.1"  # the console listens here; put a TLS reverse proxy in front (deploy/)
    port: int = 8080
    secret_key: str = field(default="", repr=False)  # signs session cookies; empty: random per start
    https_only: bool = False  # true behind TLS: the session cookie gets Secure


@dataclass(frozen=True)
class Config:
    path: Path | None
    timezone: ZoneInfo
    database_url: str
    imap: tuple[ImapSettings, ...]
    maildirs: tuple[MaildirSettings, ...]
    smtp: SmtpSettings | None
    office: OfficeSettings
    replies: ReplySettings
    outbox: OutboxSettings
    cases: CaseSettings
    domains: DomainSettings
    limits: LimitSettings
    templates_dir: Path | None
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)  # [deadlines]: the 3-day / 2-hour rules
    classify: ClassifyRules = DEFAULT_RULES  # [classify]: keyword lists and weights
    digest: DigestSettings = field(default_factory=DigestSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    log_level: str = "INFO"
    ha: HaSettings = field(default_factory=HaSettings)
    units: UnitSettings = field(default_factory=UnitSettings)
    web: WebSettings = field(default_factory=WebSettings)
    scores: ScoreSettings = field(default_factory=ScoreSettings)
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    requests: RequestSettings = field(default_factory=RequestSettings)
    corrections: CorrectionSettings = field(default_factory=CorrectionSettings)
    publicity: PublicitySettings = field(default_factory=PublicitySettings)  # [publicity]: 附件2/附件3
    trust: TrustPolicy = field(default_factory=TrustPolicy)  # [trust]: whose Authentication-Results count
    spam: SpamPolicy = field(default_factory=SpamPolicy)  # [spam]: the MTA's spam-verdict headers
    loops: LoopLimits = field(default_factory=LoopLimits)  # [loops]: the loop guard and the storm brake

    @property
    def where(self) -> str:
        return str(self.path) if self.path else "<defaults>"

    def redacted_database_url(self) -> str:
        return redact_url(self.database_url)

    @cached_property
    def domain_policy(self) -> DomainPolicy:
        """The old-domain rule (:mod:`mailbot.judge.olddomain`) for these settings."""
        return DomainPolicy(
            old_domains=tuple(self.domains.old_domains),
            new_domain=self.domains.new_domain,
            cutover=self.domains.cutover,
        )
