"""Reminders: follow-up reminders (续报提醒) for quiet urgent cases and registration reminders for units.

Both kinds go through :func:`_queue_reminder`: one render-and-enqueue path, with an outbox key that
makes every reminder unique (``reminder_case:…:<n>``, ``reminder_registration:<unit_id>:<n>``), so a
reminder is never queued twice, and the last one of a series copies the office.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.judge.regform import FIELD_LABELS
from mailbot.registry.lookup import reminder_address, units_without_liaison
from mailbot.replies.compose import enqueue, greeting, office_context
from mailbot.replies.render import reply_message_id
from mailbot.store import queries
from mailbot.store.models import Case, OutboxItem, Submission

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)


def _queue_reminder(
    app: App,
    session: Session,
    kind: str,
    key: str,
    *,
    context: Mapping[str, Any],
    to: str,
    subject: str,
    last: bool,
    dedupe_key: str,
    case_id: int | None = None,
    refs: Sequence[str] = (),
) -> bool:
    """Render ``templates/<kind>.*.j2`` for one recipient and queue it; True when it was queued."""
    o = app.config.office
    reply = app.renderer.render_mail(
        kind,
        template=kind,
        context={**office_context(app), **context},
        from_addr=o.address,
        from_name=o.name,
        to=[to],
        cc=o.notify if last else (),
        subject=subject,
        message_id=reply_message_id(kind, key, o.message_id_domain),
        date=app.now(),
        in_reply_to=refs[0] if refs else None,
        references=refs,
    )
    return enqueue(app, session, reply, dedupe_key=dedupe_key, case_id=case_id) is not None


def queue_case_reminder(app: App, session: Session, case: Case, now: datetime) -> bool:
    """Queue the next follow-up reminder of an overdue open case; True when one was queued."""
    cfg = app.config.cases
    if case.reminders_sent >= cfg.max_reminders:
        return False
    number = case.reminders_sent + 1
    last = number == cfg.max_reminders
    hours = cfg.followup_interval_hours
    ctx = {
        "greeting": greeting(case.unit_name, case.sender),
        "case": case,
        "reminder_no": number,
        "max_reminders": cfg.max_reminders,
        "last": last,
        "interval_text": f"{hours:g}小时" if hours < 48 else f"{hours / 24:g}天",
    }
    first = session.query(Submission).filter(Submission.case_id == case.id).order_by(Submission.id).first()
    refs = [first.message_id] if first is not None and first.message_id else []
    queued = _queue_reminder(
        app,
        session,
        "reminder_case",
        f"{case.number}:{number}:{case.last_report_at.isoformat()}",
        context=ctx,
        to=case.sender,
        subject=f"【续报提醒】{case.number} {case.subject}",
        last=last,
        dedupe_key=f"reminder_case:{case.id}:{case.last_report_at.isoformat()}:{number}",
        case_id=case.id,
        refs=refs,
    )
    case.reminders_sent = number
    case.last_reminder_at = now
    return queued


def remind_overdue_cases(app: App) -> int:
    """Queue follow-up reminders for open urgent cases that have gone quiet; returns how many."""
    now = app.now()
    cutoff = now - timedelta(hours=app.config.cases.followup_interval_hours)
    queued = 0
    with app.db.session() as session:
        for case in queries.overdue_cases(session, cutoff):
            if queue_case_reminder(app, session, case, now):
                queued += 1
                log.info(
                    "case %s: follow-up reminder %d queued for %s",
                    case.number,
                    case.reminders_sent,
                    case.sender,
                )
    return queued


def remind_unregistered_units(app: App) -> int:
    """Queue registration reminders (templates/reminder_registration.txt.j2) that are due; returns how many.

    Due from the end of ``units.registration_deadline`` (local time), then every
    ``units.reminder_interval_days`` after the previous one, at most ``units.max_reminders`` per unit.
    The n-th reminder of a unit has the outbox key ``reminder_registration:<unit_id>:<n>``: never twice.
    """
    cfg = app.config.units
    if cfg.registration_deadline is None or cfg.max_reminders == 0:
        return 0
    now = app.now()
    start = datetime.combine(cfg.registration_deadline + timedelta(days=1), time(0), app.config.timezone)
    if now < start:
        return 0
    interval = timedelta(days=cfg.reminder_interval_days)
    deadline = cfg.registration_deadline.strftime("%Y年%m月%d日").replace("年0", "年").replace("月0", "月")
    fields = [FIELD_LABELS[k] for k in FIELD_LABELS if k not in ("liaison_email", "opinion")]
    queued = 0
    with app.db.session() as session:
        for unit in units_without_liaison(session):
            prefix = f"reminder_registration:{unit.id}:"
            sent = session.execute(
                select(func.count(), func.max(OutboxItem.created_at)).where(
                    OutboxItem.dedupe_key.like(prefix + "%")
                )
            ).one()
            count, last = int(sent[0]), sent[1]
            if count >= cfg.max_reminders or (last is not None and now < last + interval):
                continue
            to = reminder_address(session, unit, app.domains)
            if to is None:
                log.warning("unit %s (%s) has no address: cannot remind it to register", unit.id, unit.name)
                continue
            n = count + 1
            ctx = {
                "greeting": unit.name,
                "unit": unit,
                "deadline": deadline,
                "reminder_no": n,
                "max_reminders": cfg.max_reminders,
                "last": n == cfg.max_reminders,
                "fields": fields,
            }
            if _queue_reminder(
                app,
                session,
                "reminder_registration",
                f"{unit.id}:{n}",
                context=ctx,
                to=to,
                subject=f"【提醒】请报送{unit.name}信息宣传联络员登记表",
                last=n == cfg.max_reminders,
                dedupe_key=f"{prefix}{n}",
            ):
                queued += 1
                log.info("unit %s (%s): registration reminder %d queued for %s", unit.id, unit.name, n, to)
    return queued
