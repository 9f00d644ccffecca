"""Building the digest from the database and queueing it exactly once per period.

The outbox row and the ``DigestRun`` row of the period are written in one transaction; ``period_key``
is unique (and so is the outbox ``dedupe_key``), so a second attempt — a restart, a second daemon on
the same database, ``mailbot digest --send`` — finds the period recorded, or fails its insert and
rolls back: never two digests for one period.

:func:`send_due_digest` is the scheduled job and the start-up catch-up in one: it finds the latest fire
time of the digest's cron at or before ``app.now()``; a period not yet recorded is sent when that fire
time is within ``schedule.digest_grace_hours``, else it is logged as missed (send it by hand).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mailbot.daemon.schedule import cron_trigger, last_fire
from mailbot.digest.chart import unit_chart
from mailbot.digest.data import Digest, build_digest, register_rows
from mailbot.digest.mail import digest_mail
from mailbot.digest.period import Period, period_before
from mailbot.digest.register import register_xlsx
from mailbot.errors import ConfigError
from mailbot.replies.compose import enqueue
from mailbot.store.models import DigestRun

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)
LOOKBACK = timedelta(days=35)  # beyond the grace: how far back a missed digest is still noticed and logged


@dataclass(frozen=True)
class DigestOutcome:
    period: Period
    status: str  # queued, already_sent, missed
    outbox_id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class BuiltDigest:
    digest: Digest
    chart: bytes | None
    register: bytes | None


def build(
    app: App, period: Period, *, register: bool | None = None, chart: bool | None = None
) -> BuiltDigest:
    """The figures (SQL aggregation), the chart and the register attachment of ``period``."""
    cfg = app.config
    with app.db.session() as session:
        digest = build_digest(
            session,
            period,
            now=app.now(),
            followup_interval_hours=cfg.cases.followup_interval_hours,
            max_rows=cfg.digest.max_rows,
        )
        xlsx = None
        if cfg.digest.attach_register if register is None else register:
            xlsx = register_xlsx(
                register_rows(session, period), cfg.timezone, f"{cfg.office.name} 登记簿 {period.label}"
            )
    png = (
        unit_chart(digest.units, f"各单位报送件数与按时率 {period.label}")
        if (cfg.digest.chart if chart is None else chart)
        else None
    )
    return BuiltDigest(digest, png, xlsx)


def recorded(app: App, period: Period) -> DigestRun | None:
    with app.db.session() as session:
        run: DigestRun | None = session.scalars(
            select(DigestRun).where(DigestRun.period_key == period.key)
        ).first()
        return run


def send_digest(app: App, period: Period) -> DigestOutcome:
    """Queue the digest of ``period`` to ``digest.recipients`` unless that period was already sent."""
    cfg = app.config
    if not cfg.digest.recipients:
        raise ConfigError(f"{cfg.where}: digest.recipients: no recipients configured for the digest")
    run = recorded(app, period)
    if run is not None:
        return DigestOutcome(period, "already_sent", run.outbox_id, f"queued {run.created_at.isoformat()}")
    built = build(app, period)
    reply = digest_mail(
        app.renderer,
        built.digest,
        office=cfg.office,
        settings=cfg.digest,
        chart=built.chart,
        register=built.register,
    )
    try:
        with app.db.session() as session:
            item = enqueue(app, session, reply, dedupe_key=f"digest:{period.key}")
            if item is None:  # queued before, its DigestRun lost: still never twice
                return DigestOutcome(period, "already_sent", None, "the outbox already holds it")
            session.flush()
            session.add(
                DigestRun(
                    period_key=period.key,
                    period_start=period.start,
                    period_end=period.end,
                    created_at=app.now(),
                    outbox_id=item.id,
                )
            )
            outbox_id = item.id
    except IntegrityError:
        log.info("digest %s: already recorded by another run; not queued again", period.key)
        return DigestOutcome(period, "already_sent", None, "recorded concurrently")
    log.info(
        "digest %s queued for %s (outbox %d, %d bytes)",
        period.key,
        ", ".join(reply.to),
        outbox_id,
        len(reply.raw),
    )
    return DigestOutcome(period, "queued", outbox_id)


def cli_option(period: Period) -> str:
    """How ``mailbot digest`` names this period."""
    if period.kind == "week":
        return f"--week {period.key}"
    return f"--from {period.first_day.isoformat()} --to {period.last_day.isoformat()}"


def send_due_digest(app: App) -> DigestOutcome | None:
    """The scheduled digest, and the one missed while the daemon was down (within the grace), once."""
    cfg = app.config
    if not cfg.digest.recipients:
        return None
    now = app.now()
    grace = timedelta(hours=cfg.schedule.digest_grace_hours)
    fired = last_fire(cron_trigger(cfg.schedule.digest, cfg.timezone), now, grace + LOOKBACK)
    if fired is None:
        return None
    period = period_before(fired, cfg.digest.period, cfg.timezone)
    run = recorded(app, period)
    if run is not None:
        return DigestOutcome(period, "already_sent", run.outbox_id)
    if now - fired > grace:
        log.warning(
            "digest %s fell due at %s, more than %g hours ago (schedule.digest_grace_hours): not sent "
            "automatically; send it with `mailbot digest %s --send` if still wanted",
            period.key,
            fired.isoformat(),
            cfg.schedule.digest_grace_hours,
            cli_option(period),
        )
        return DigestOutcome(period, "missed", None, f"fell due {fired.isoformat()}")
    if fired != now:
        log.info(
            "digest %s fell due at %s (while mailbot was not running): sending it now",
            period.key,
            fired.isoformat(),
        )
    return send_digest(app, period)
