"""Queueing the quarterly notice exactly once per quarter, as the digest (:mod:`mailbot.digest.send`).

The outbox rows (leadership, and each unit when ``notices.to_units``) and the quarter's ``NoticeRun`` are
written in one transaction; ``period_key`` and the outbox ``dedupe_key`` are unique, so a restart, a
second daemon on the same database or ``mailbot notice --send`` finds the quarter recorded, or fails its
insert and rolls back: never two notices for one quarter.

:func:`send_due_notice` is the scheduled job and the start-up catch-up: the latest fire time of
``notices.schedule`` at or before ``app.now()``; the quarter before it is sent when that fire time is
within ``notices.grace_hours``, else logged as missed (send it by hand).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.daemon.schedule import cron_trigger, last_fire
from mailbot.errors import ConfigError
from mailbot.notices.quarter import Span, quarter_before
from mailbot.notices.quarterly import build, notice_mail
from mailbot.registry.lookup import unit_addresses
from mailbot.replies.compose import enqueue
from mailbot.store.models import NoticeRun, Unit

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=100)  # beyond the grace: how far back a missed notice is still noticed and logged


@dataclass(frozen=True)
class NoticeOutcome:
    span: Span
    status: str  # queued, already_sent, missed
    mails: int = 0
    detail: str = ""


def enabled(app: App) -> bool:
    n = app.config.notices
    return bool(n.recipients) or n.to_units


def recorded(app: App, span: Span) -> NoticeRun | None:
    with app.db.session() as session:
        run: NoticeRun | None = session.scalars(
            select(NoticeRun).where(NoticeRun.period_key == span.key)
        ).first()
        return run


def send_notice(app: App, span: Span) -> NoticeOutcome:
    """Queue the notice of ``span`` to leadership (and the units) unless that quarter was sent."""
    cfg = app.config
    if not enabled(app):
        raise ConfigError(f"{cfg.where}: notices.recipients: nobody to send the notice to (or set to_units)")
    run = recorded(app, span)
    if run is not None:
        return NoticeOutcome(span, "already_sent", run.mails, f"queued {run.created_at.isoformat()}")
    built = build(app, span)
    try:
        with app.db.session() as session:
            mails: list[tuple[str, tuple[str, ...]]] = []
            if cfg.notices.recipients:
                mails.append(("leaders", cfg.notices.recipients))
            if cfg.notices.to_units:
                for unit in session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)):
                    addresses = tuple(unit_addresses(session, unit.id))
                    if addresses:
                        mails.append((f"unit{unit.id}", addresses))
            first_id: int | None = None
            queued = 0
            for key, to in mails:
                reply = notice_mail(
                    app.renderer, built, office=cfg.office, settings=cfg.notices, to=to, key=key
                )
                item = enqueue(app, session, reply, dedupe_key=f"notice:{span.key}:{key}")
                if item is None:
                    continue
                session.flush()
                first_id = first_id or item.id
                queued += 1
            if queued == 0:  # queued before, its NoticeRun lost: still never twice
                return NoticeOutcome(span, "already_sent", 0, "the outbox already holds it")
            session.add(
                NoticeRun(
                    period_key=span.key,
                    period_start=span.start,
                    period_end=span.end,
                    created_at=app.now(),
                    outbox_id=first_id,
                    mails=queued,
                )
            )
    except IntegrityError:
        log.info("notice %s: already recorded by another run; not queued again", span.key)
        return NoticeOutcome(span, "already_sent", 0, "recorded concurrently")
    log.info("notice %s queued: %d mail(s), outbox %s …", span.key, queued, first_id)
    return NoticeOutcome(span, "queued", queued)


def send_due_notice(app: App) -> NoticeOutcome | None:
    """The scheduled notice, and the one missed while the daemon was down (within the grace), once."""
    cfg = app.config
    if not enabled(app):
        return None
    now = app.now()
    grace = timedelta(hours=cfg.notices.grace_hours)
    fired = last_fire(cron_trigger(cfg.notices.schedule, cfg.timezone), now, grace + LOOKBACK)
    if fired is None:
        return None
    span = quarter_before(fired, cfg.timezone)
    run = recorded(app, span)
    if run is not None:
        return NoticeOutcome(span, "already_sent", run.mails)
    if now - fired > grace:
        log.warning(
            "notice %s fell due at %s, more than %g hours ago (notices.grace_hours): not sent "
            "automatically; send it with `mailbot notice --quarter %s --send` if still wanted",
            span.key,
            fired.isoformat(),
            cfg.notices.grace_hours,
            span.key,
        )
        return NoticeOutcome(span, "missed", 0, f"fell due {fired.isoformat()}")
    return send_notice(app, span)
