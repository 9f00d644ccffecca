"""约稿 (requests for reports): sent to chosen units (or all active ones), answers matched, reminders
before and after the deadline, and the answered / late / missed accounting the scores use.

Every mail goes through the outbox with a key that makes it happen once: ``request:<number>:<unit>``,
``request_reminder:<number>:<unit>:before`` and ``…:after``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.model import REPORT_CATEGORIES, Reply, SubmissionStatus
from mailbot.notices.request_match import answer_status, in_window, match, outcome
from mailbot.registry.lookup import find_unit, unit_addresses
from mailbot.replies.compose import enqueue
from mailbot.replies.render import reply_message_id
from mailbot.store.models import ReportRequest, RequestTarget, Submission, Unit

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)
REPORTS = tuple(sorted(c.value for c in REPORT_CATEGORIES))
TEMPLATE = "notice_request"


@dataclass(frozen=True)
class TargetRow:
    number: str
    topic: str
    deadline: datetime
    unit: str
    status: str  # pending, answered, late; missed when pending after the deadline
    tracking_no: str | None
    matched_by: str | None


def _office(app: App) -> dict[str, str]:
    o = app.config.office
    return {"name": o.name, "address": o.address, "contact": o.contact}


def _mail(
    app: App, req: ReportRequest, unit: Unit, to: tuple[str, ...], *, phase: str, message_id: str
) -> Reply:
    subject = {
        "request": f"【约稿】[{req.number}] {req.topic}",
        "before": f"【约稿提醒】[{req.number}] {req.topic}",
        "after": f"【约稿逾期提醒】[{req.number}] {req.topic}",
    }[phase]
    return app.renderer.render_mail(
        "request" if phase == "request" else "request_reminder",
        template=TEMPLATE,
        context={
            "office": _office(app),
            "phase": phase,
            "unit": unit.name,
            "number": req.number,
            "topic": req.topic,
            "text": req.text,
            "deadline": req.deadline,
            "late_days": f"{app.config.requests.late_days:g}",
        },
        from_addr=app.config.office.address,
        from_name=app.config.office.name,
        to=to,
        subject=subject,
        message_id=message_id,
        date=app.now(),
    )


def new_request(
    app: App,
    *,
    topic: str,
    deadline: datetime,
    units: list[str] | None,
    keywords: list[str],
    text: str,
    actor: str,
) -> tuple[str, list[str]]:
    """Record a request and queue its mail to each unit; the number and one line per unit."""
    now = app.now()
    if deadline <= now:
        raise MailbotError(f"request: the deadline {deadline.isoformat()} is not in the future")
    cfg = app.config
    lines = []
    with app.db.session() as session:
        chosen = _units(session, app, units)
        year = now.astimezone(cfg.timezone).year
        seq = 1 + int(
            session.scalar(
                select(func.count(ReportRequest.id)).where(
                    ReportRequest.number.like(f"{cfg.requests.prefix}-{year}-%")
                )
            )
            or 0
        )
        number = f"{cfg.requests.prefix}-{year}-{seq:03d}"
        req = ReportRequest(
            number=number,
            topic=topic,
            keywords=keywords or [topic],
            text=text,
            deadline=deadline,
            created_at=now,
            created_by=actor,
        )
        session.add(req)
        session.flush()
        for unit in chosen:
            to = tuple(unit_addresses(session, unit.id))
            mid = reply_message_id("request", f"{number}-{unit.id}", cfg.office.message_id_domain)
            session.add(RequestTarget(request_id=req.id, unit_id=unit.id, message_id=mid, status="pending"))
            if not to:
                lines.append(f"{unit.name}: no address registered; asked, but not mailed")
                continue
            reply = _mail(app, req, unit, to, phase="request", message_id=mid)
            enqueue(app, session, reply, dedupe_key=f"request:{number}:{unit.id}")
            lines.append(f"{unit.name}: mailed to {', '.join(to)}")
    log.info("request %s queued to %d unit(s)", number, len(chosen))
    return number, lines


def _units(session: Session, app: App, names: list[str] | None) -> list[Unit]:
    if not names:
        return list(session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)))
    out = []
    for name in names:
        unit = find_unit(session, name, app.domains)
        if unit is None:
            raise MailbotError(f"request: no unit {name!r} (give its name, short name, id or an address)")
        out.append(unit)
    return out


def match_answers(app: App) -> int:
    """Link each pending target to the first report of its unit that answers it; the number linked."""
    late_days = app.config.requests.late_days
    linked = 0
    with app.db.session() as session:
        pending = session.execute(
            select(RequestTarget, ReportRequest)
            .join(ReportRequest, ReportRequest.id == RequestTarget.request_id)
            .where(RequestTarget.status == "pending")
        ).all()
        for target, req in pending:
            reports = session.scalars(
                select(Submission)
                .where(
                    Submission.unit_id == target.unit_id,
                    Submission.category.in_(REPORTS),
                    Submission.status != SubmissionStatus.QUARANTINED,
                    Submission.reported_at >= req.created_at,
                    Submission.reported_at <= req.deadline + timedelta(days=late_days),
                )
                .order_by(Submission.reported_at, Submission.id)
            )
            for sub in reports:
                if sub.reported_at is None or not in_window(
                    sub.reported_at, req.created_at, req.deadline, late_days
                ):
                    continue
                how = match(
                    number=req.number,
                    request_message_id=target.message_id,
                    keywords=[str(k) for k in req.keywords or []],
                    subject=sub.subject,
                    body=sub.body_text,
                    references=[r for r in [sub.in_reply_to, *(sub.references or [])] if r],
                )
                if how is None:
                    continue
                target.status = answer_status(sub.reported_at, req.deadline)
                target.submission_id = sub.id
                target.answered_at = sub.reported_at
                target.matched_by = how
                linked += 1
                log.info(
                    "request %s: answered by %s (%s, %s)", req.number, sub.tracking_no, how, target.status
                )
                break
    return linked


def remind(app: App) -> int:
    """Reminders to units that have not answered: before the deadline, and once after it; the number queued."""
    cfg = app.config.requests
    now = app.now()
    queued = 0
    with app.db.session() as session:
        rows = session.execute(
            select(RequestTarget, ReportRequest, Unit)
            .join(ReportRequest, ReportRequest.id == RequestTarget.request_id)
            .join(Unit, Unit.id == RequestTarget.unit_id)
            .where(RequestTarget.status == "pending")
        ).all()
        for _target, req, unit in rows:
            if (
                cfg.remind_before_hours
                and req.deadline - timedelta(hours=cfg.remind_before_hours) <= now < req.deadline
            ):
                phase = "before"
            elif req.deadline <= now < req.deadline + timedelta(days=cfg.late_days):
                phase = "after"
            else:
                continue
            to = tuple(unit_addresses(session, unit.id))
            if not to:
                continue
            mid = reply_message_id(
                "request", f"{req.number}-{unit.id}-{phase}", app.config.office.message_id_domain
            )
            item = enqueue(
                app,
                session,
                _mail(app, req, unit, to, phase=phase, message_id=mid),
                dedupe_key=f"request_reminder:{req.number}:{unit.id}:{phase}",
            )
            queued += item is not None
    return queued


def check_requests(app: App) -> tuple[int, int]:
    """The scheduled job: match answers, then remind (answers first, so nobody is reminded who answered)."""
    return match_answers(app), remind(app)


def targets(
    session: Session, *, now: datetime, number: str | None = None, numbers: Collection[str] | None = None
) -> list[TargetRow]:
    """The units asked by each request (one request by ``number``, or those in ``numbers``), with their state."""
    stmt = (
        select(RequestTarget, ReportRequest, Unit.name, Submission.tracking_no)
        .join(ReportRequest, ReportRequest.id == RequestTarget.request_id)
        .join(Unit, Unit.id == RequestTarget.unit_id)
        .outerjoin(Submission, Submission.id == RequestTarget.submission_id)
        .order_by(ReportRequest.id, Unit.name)
    )
    if number:
        stmt = stmt.where(ReportRequest.number == number.strip().upper())
    if numbers is not None:
        stmt = stmt.where(ReportRequest.number.in_(list(numbers)))
    return [
        TargetRow(
            req.number,
            req.topic,
            req.deadline,
            name,
            outcome(t.status, req.deadline, now) or "pending",
            no,
            t.matched_by,
        )
        for t, req, name, no in session.execute(stmt)
    ]


def request_counts(
    session: Session, first: datetime, end: datetime, now: datetime
) -> dict[str, Counter[str]]:
    """Per unit name: answered / late / missed for the requests whose deadline falls in [first, end)."""
    out: dict[str, Counter[str]] = {}
    stmt = (
        select(RequestTarget.status, ReportRequest.deadline, Unit.name)
        .join(ReportRequest, ReportRequest.id == RequestTarget.request_id)
        .join(Unit, Unit.id == RequestTarget.unit_id)
        .where(ReportRequest.deadline >= first, ReportRequest.deadline < end)
    )
    for status, deadline, name in session.execute(stmt):
        counted = outcome(status, deadline, now)
        if counted:
            out.setdefault(name, Counter())[counted] += 1
    return out
