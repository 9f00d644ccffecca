"""催报: units that sent fewer than ``requests.quota_per_week`` reports in the last complete ISO week get a
courteous reminder, once per unit and week (outbox key ``quota:<week>:<unit>``)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from mailbot.digest.period import period_before
from mailbot.model import REPORT_CATEGORIES, SubmissionStatus
from mailbot.notices.request_match import short_of_quota
from mailbot.registry.lookup import unit_addresses
from mailbot.replies.compose import enqueue
from mailbot.replies.render import reply_message_id
from mailbot.store.models import Submission, Unit

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)
REPORTS = tuple(sorted(c.value for c in REPORT_CATEGORIES))
TEMPLATE = "notice_quota"


def remind_quota(app: App) -> int:
    """Queue the reminders of the last complete week that are not queued yet; how many."""
    cfg = app.config
    quota = cfg.requests.quota_per_week
    if quota <= 0:
        return 0
    week = period_before(app.now(), "week", cfg.timezone)
    queued = 0
    with app.db.session() as session:
        counts = {
            int(uid): int(n)
            for uid, n in session.execute(
                select(Submission.unit_id, func.count(Submission.id))
                .where(
                    Submission.reported_at >= week.start,
                    Submission.reported_at < week.end,
                    Submission.category.in_(REPORTS),
                    Submission.status != SubmissionStatus.QUARANTINED,
                    Submission.unit_id.is_not(None),
                )
                .group_by(Submission.unit_id)
            )
            if uid is not None
        }
        units = {
            u.id: u for u in session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id))
        }
        for unit_id, sent in short_of_quota(counts, list(units), quota):
            to = tuple(unit_addresses(session, unit_id))
            if not to:
                continue
            unit = units[unit_id]
            reply = app.renderer.render_mail(
                "quota_reminder",
                template=TEMPLATE,
                context={
                    "office": {
                        "name": cfg.office.name,
                        "address": cfg.office.address,
                        "contact": cfg.office.contact,
                    },
                    "unit": unit.name,
                    "week": week.label,
                    "sent": sent,
                    "quota": quota,
                },
                from_addr=cfg.office.address,
                from_name=cfg.office.name,
                to=to,
                subject=f"【信息报送提醒】{week.label}",
                message_id=reply_message_id("quota", f"{week.key}-{unit_id}", cfg.office.message_id_domain),
                date=app.now(),
            )
            queued += enqueue(app, session, reply, dedupe_key=f"quota:{week.key}:{unit_id}") is not None
    if queued:
        log.info("quota %s: %d reminder(s) queued (fewer than %d reports)", week.key, queued, quota)
    return queued
