"""The digest's figures, from SQL aggregation (GROUP BY / SUM(CASE …)): never every row of the register.

A report (紧急信息, 一般性信息, 续报, 调研信息) counts in the period of its ``reported_at``. The on-time rate
is on-time / (on-time + late): reports whose event time was not found (``unknown``) are counted apart.
A unit is the registered unit (``unit_id``), else the unit name mailbot found, else the sender address.
Lists (late reports, unregistered senders) are capped at ``max_rows`` with their full count kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from mailbot.digest.period import Period
from mailbot.model import REPORT_CATEGORIES, CaseStatus, SubmissionStatus
from mailbot.store.models import Case, Submission, Unit

REPORTS = tuple(sorted(c.value for c in REPORT_CATEGORIES))
NOT_SENDERS = ("bounce", "auto_reply")  # machine mail: not a unit that "sent" something
UNREGISTERED_FLAG = "unregistered_sender"


@dataclass(frozen=True)
class Totals:
    reports: int = 0
    urgent: int = 0
    on_time: int = 0
    late: int = 0
    unknown: int = 0
    old_domain: int = 0
    provisional: int = 0  # working-day deadlines counted Monday–Friday (flag calendar_provisional)
    untimed: int = 0  # research pieces dating no research activity: no deadline (verdict untimed)

    @property
    def judged(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.judged if self.judged else None


@dataclass(frozen=True)
class UnitRow(Totals):
    unit_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class CaseRow:
    number: str
    unit: str
    subject: str
    status: str
    opened_at: datetime
    last_report_at: datetime
    followups: int
    reminders_sent: int
    overdue_minutes: int | None  # minutes past the follow-up interval (open cases), else None
    missed_followups: int  # whole follow-up intervals without a 续报


@dataclass(frozen=True)
class LateRow:
    tracking_no: str | None
    unit: str
    subject: str
    category: str
    reported_at: datetime | None
    deadline: datetime | None
    lateness_minutes: int


@dataclass(frozen=True)
class SenderRow:
    address: str
    name: str
    count: int
    last_at: datetime | None


@dataclass(frozen=True)
class Digest:
    period: Period
    generated_at: datetime
    totals: Totals
    previous: Totals
    by_category: list[tuple[str, int]]
    units: list[UnitRow]
    cases_opened: list[CaseRow]
    cases_open: list[CaseRow]
    late: list[LateRow]
    silent_units: list[str]
    unregistered: list[SenderRow]
    unregistered_total: int
    followup_interval_hours: float
    max_rows: int
    quarantined: int = 0
    notes: list[str] = field(default_factory=list)


def _in(period: Period) -> ColumnElement[bool]:
    return and_(
        Submission.reported_at >= period.start,
        Submission.reported_at < period.end,
        Submission.status != SubmissionStatus.QUARANTINED,
    )


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _figures() -> list[Any]:
    return [
        func.count(Submission.id),
        _count_if(Submission.category == "urgent"),
        _count_if(Submission.verdict == "on_time"),
        _count_if(Submission.verdict == "late"),
        _count_if(or_(Submission.verdict == "unknown", Submission.verdict.is_(None))),
        _count_if(Submission.old_domain.is_(True)),
        _count_if(cast(Submission.flags, String).like('%"calendar_provisional"%')),
        _count_if(Submission.verdict == "untimed"),
    ]


def _figure_values(row: Any) -> dict[str, int]:
    names = ("reports", "urgent", "on_time", "late", "unknown", "old_domain", "provisional", "untimed")
    return {name: int(value or 0) for name, value in zip(names, row, strict=True)}


def _unit_label() -> Any:
    return func.coalesce(Unit.name, Submission.unit_name, Submission.from_addr)


def _unregistered() -> ColumnElement[bool]:
    return or_(Submission.unit_id.is_(None), cast(Submission.flags, String).like(f'%"{UNREGISTERED_FLAG}"%'))


def totals(session: Session, period: Period) -> Totals:
    row = session.execute(select(*_figures()).where(_in(period), Submission.category.in_(REPORTS))).one()
    return Totals(**_figure_values(row))


def by_unit(session: Session, period: Period) -> list[UnitRow]:
    label = _unit_label()
    stmt = (
        select(Submission.unit_id, label, *_figures())
        .select_from(Submission)
        .outerjoin(Unit, Unit.id == Submission.unit_id)
        .where(_in(period), Submission.category.in_(REPORTS))
        .group_by(Submission.unit_id, label)
    )
    rows = [
        UnitRow(**_figure_values(r[2:]), unit_id=r[0], name=str(r[1] or "（未知）"))
        for r in session.execute(stmt)
    ]
    return sorted(rows, key=lambda u: (-u.reports, u.name))


def by_category(session: Session, period: Period) -> list[tuple[str, int]]:
    stmt = (
        select(Submission.category, func.count(Submission.id))
        .where(_in(period), Submission.category.is_not(None))
        .group_by(Submission.category)
    )
    order = {
        c: i
        for i, c in enumerate(
            (
                "urgent",
                "followup",
                "routine",
                "research",
                "registration",
                "publicity_request",
                "other",
                "auto_reply",
                "bounce",
            )
        )
    }
    return sorted(
        ((str(c), int(n)) for c, n in session.execute(stmt)), key=lambda x: (order.get(x[0], 99), x[0])
    )


def _cases(session: Session, where: ColumnElement[bool], now: datetime, interval: timedelta) -> list[CaseRow]:
    followups = (
        select(Submission.case_id, func.count(Submission.id).label("n"))
        .where(Submission.category == "followup", Submission.case_id.is_not(None))
        .group_by(Submission.case_id)
        .subquery()
    )
    stmt = (
        select(Case, func.coalesce(followups.c.n, 0))
        .outerjoin(followups, followups.c.case_id == Case.id)
        .where(where)
        .order_by(Case.opened_at)
    )
    rows = []
    for c, n in session.execute(stmt):
        silent = now - c.last_report_at
        overdue = silent - interval if c.status == CaseStatus.OPEN and silent > interval else None
        rows.append(
            CaseRow(
                number=c.number,
                unit=c.unit_name or c.sender,
                subject=c.subject,
                status=c.status,
                opened_at=c.opened_at,
                last_report_at=c.last_report_at,
                followups=int(n),
                reminders_sent=c.reminders_sent,
                overdue_minutes=int(overdue.total_seconds() // 60) if overdue is not None else None,
                missed_followups=int(silent / interval) if c.status == CaseStatus.OPEN else 0,
            )
        )
    return rows


def late_reports(session: Session, period: Period, limit: int) -> list[LateRow]:
    stmt = (
        select(
            Submission.tracking_no,
            _unit_label(),
            Submission.subject,
            Submission.category,
            Submission.reported_at,
            Submission.deadline,
            Submission.lateness_minutes,
        )
        .select_from(Submission)
        .outerjoin(Unit, Unit.id == Submission.unit_id)
        .where(_in(period), Submission.category.in_(REPORTS), Submission.verdict == "late")
        .order_by(Submission.lateness_minutes.desc(), Submission.id)
        .limit(limit)
    )
    return [LateRow(r[0], str(r[1]), r[2], r[3], r[4], r[5], int(r[6] or 0)) for r in session.execute(stmt)]


def silent_units(session: Session, period: Period) -> list[str]:
    sent = exists().where(Submission.unit_id == Unit.id, _in(period), Submission.category.in_(REPORTS))
    return list(session.scalars(select(Unit.name).where(Unit.active.is_(True), ~sent).order_by(Unit.name)))


def unregistered_senders(session: Session, period: Period, limit: int) -> tuple[list[SenderRow], int]:
    address = func.lower(Submission.from_addr)
    where = and_(
        _in(period),
        Submission.category.is_not(None),
        Submission.category.not_in(NOT_SENDERS),
        Submission.from_addr != "",
        _unregistered(),
    )
    stmt = (
        select(
            address,
            func.max(Submission.from_name),
            func.count(Submission.id),
            func.max(Submission.reported_at),
        )
        .where(where)
        .group_by(address)
        .order_by(func.count(Submission.id).desc(), address)
        .limit(limit)
    )
    rows = [SenderRow(str(a), str(n or ""), int(c), t) for a, n, c, t in session.execute(stmt)]
    total = session.scalar(select(func.count(func.distinct(address))).where(where)) or 0
    return rows, int(total)


def build_digest(
    session: Session, period: Period, *, now: datetime, followup_interval_hours: float, max_rows: int = 50
) -> Digest:
    interval = timedelta(hours=followup_interval_hours)
    unregistered, unregistered_total = unregistered_senders(session, period, max_rows)
    quarantined = session.scalar(
        select(func.count(Submission.id)).where(
            Submission.status == SubmissionStatus.QUARANTINED,
            Submission.fetched_at >= period.start,
            Submission.fetched_at < period.end,
        )
    )
    return Digest(
        period=period,
        generated_at=now,
        totals=totals(session, period),
        previous=totals(session, period.previous()),
        by_category=by_category(session, period),
        units=by_unit(session, period),
        cases_opened=_cases(
            session, and_(Case.opened_at >= period.start, Case.opened_at < period.end), now, interval
        ),
        cases_open=_cases(session, Case.status == CaseStatus.OPEN, now, interval),
        late=late_reports(session, period, max_rows),
        silent_units=silent_units(session, period),
        unregistered=unregistered,
        unregistered_total=unregistered_total,
        followup_interval_hours=followup_interval_hours,
        max_rows=max_rows,
        quarantined=int(quarantined or 0),
    )


@dataclass(frozen=True)
class RegisterRow:
    tracking_no: str | None
    reported_at: datetime | None
    unit: str
    from_addr: str
    subject: str
    category: str | None
    event_start: datetime | None
    deadline: datetime | None
    verdict: str | None
    lateness_minutes: int | None
    old_domain: bool
    case_number: str | None


def register_rows(session: Session, period: Period) -> Iterator[RegisterRow]:
    """The period's register for the attachment, streamed in batches (selected columns, not whole rows)."""
    stmt = (
        select(
            Submission.tracking_no,
            Submission.reported_at,
            _unit_label(),
            Submission.from_addr,
            Submission.subject,
            Submission.category,
            Submission.event_start,
            Submission.deadline,
            Submission.verdict,
            Submission.lateness_minutes,
            Submission.old_domain,
            Case.number,
        )
        .select_from(Submission)
        .outerjoin(Unit, Unit.id == Submission.unit_id)
        .outerjoin(Case, Case.id == Submission.case_id)
        .where(_in(period), Submission.category.in_(REPORTS))
        .order_by(Submission.reported_at, Submission.id)
        .execution_options(yield_per=500)
    )
    for r in session.execute(stmt):
        yield RegisterRow(r[0], r[1], str(r[2]), r[3], r[4], r[5], r[6], r[7], r[8], r[9], bool(r[10]), r[11])
