"""APScheduler wiring of the daemon: one watcher per source, the outbox, follow-up reminders, the digest.

Intervals and the digest's cron come from ``[schedule]``; on start a digest that fell due while the
daemon was down is sent once (within ``schedule.digest_grace_hours``, see :mod:`mailbot.digest.send`).

Jobs have fixed ids and ``replace_existing=True`` (APScheduler 3.x habit). SIGTERM/SIGINT set one
stop event: watchers finish the message in hand, commit, flag it and return; then the scheduler
shuts down waiting for running jobs.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from mailbot.app import App
from mailbot.daemon.backoff import Backoff
from mailbot.daemon.lease import DatabaseLease, instance_id
from mailbot.daemon.schedule import cron_trigger
from mailbot.daemon.watcher import Watcher
from mailbot.intake.runner import build_sources, flush_outbox
from mailbot.replies.reminders import remind_overdue_cases, remind_unregistered_units

log = logging.getLogger(__name__)
DIGEST_RETRY_SECONDS = 600  # a digest run that failed (database down …) is tried again after this


@dataclass(frozen=True)
class JobInfo:
    id: str
    name: str
    trigger: str
    next_run: datetime | None


class Daemon:
    def __init__(self, app: App) -> None:
        self.app = app
        self.stop = threading.Event()
        self.sources = build_sources(app.config)
        for source in self.sources:
            source.stop_event = self.stop  # type: ignore[attr-defined]
        self.outbox_kick = threading.Event()
        self.instance = instance_id()
        workers = len(self.sources) + 4
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(workers)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            timezone=app.config.timezone,
        )
        for source in self.sources:
            lease = DatabaseLease(
                app.db,
                f"mailbox:{source.name}/{source.mailbox}",
                seconds=app.config.ha.lease_seconds,
                holder=self.instance,
            )
            watcher = Watcher(app, source, self.stop, on_stored=self.outbox_kick.set, lease=lease)
            self.scheduler.add_job(
                watcher.run,
                id=f"watch:{source.name}",
                name=f"watch mailbox {source.name}",
                replace_existing=True,
            )
        self.scheduler.add_job(
            self._outbox_loop, id="outbox", name="send queued replies", replace_existing=True
        )
        self.scheduler.add_job(
            self._reminders,
            "interval",
            seconds=app.config.schedule.reminders_interval_seconds,
            id="reminders",
            name="follow-up reminders for overdue urgent cases",
            replace_existing=True,
            next_run_time=app.now(),
        )
        self.scheduler.add_job(
            self._registration_reminders,
            "interval",
            hours=1,
            id="registration_reminders",
            name="reminders to units without a confirmed liaison ([units])",
            replace_existing=True,
            next_run_time=app.now(),
        )

        if app.config.digest.recipients:
            grace = app.config.schedule.digest_grace_hours
            self.scheduler.add_job(
                self._digest,
                cron_trigger(app.config.schedule.digest, app.config.timezone),
                id="digest",
                name=f"{app.config.digest.period}ly digest to leadership ([digest])",
                replace_existing=True,
                misfire_grace_time=max(1, int(grace * 3600)),
            )

    def schedule_catch_up(self) -> None:
        """On start: the digest that fell due while mailbot was down (within the grace) runs now, once."""
        if self.app.config.digest.recipients:
            self.scheduler.add_job(
                self._digest,
                id="digest:catch-up",
                name="digest missed while mailbot was down",
                replace_existing=True,
            )

    def _digest(self) -> None:
        from mailbot.digest.send import send_due_digest

        try:
            outcome = send_due_digest(self.app)
            if outcome is not None and outcome.status == "queued":
                self.outbox_kick.set()
        except Exception:
            log.exception("digest run failed; trying again in %d seconds", DIGEST_RETRY_SECONDS)
            self.scheduler.add_job(
                self._digest,
                "date",
                run_date=self.app.now() + timedelta(seconds=DIGEST_RETRY_SECONDS),
                id="digest:retry",
                name="digest, after a failed run",
                replace_existing=True,
            )

    def _outbox_loop(self) -> None:
        """Drain now whenever a watcher stored something, else every outbox.interval_seconds."""
        trouble: str | None = None  # logged once when it starts and once when it ends, not every run
        o = self.app.config.outbox
        server_backoff = Backoff(
            initial=o.interval_seconds, maximum=max(o.interval_seconds, min(o.backoff_max_seconds, 300.0))
        )
        while not self.stop.is_set():
            delay = o.interval_seconds
            try:
                report = flush_outbox(self.app)
                now_trouble = "SMTP unreachable" if report.server_down else None
                if now_trouble and trouble != now_trouble:
                    log.warning("SMTP unreachable; queued replies wait and are retried with backoff")
                elif trouble and not now_trouble:
                    log.info("outbox working again (%s is over)", trouble)
                trouble = now_trouble
                if report.server_down:  # retry the server with exponential backoff, not every interval
                    delay = server_backoff.next_delay()
                else:
                    server_backoff.reset()
            except Exception as exc:
                if trouble != "outbox error":  # the cause only: SQL parameters could hold mail content
                    log.error(
                        "outbox run failed (%s: %s); retrying quietly until it works again",
                        exc.__class__.__name__,
                        getattr(exc, "orig", None) or str(exc)[:300],
                    )
                trouble = "outbox error"
                delay = server_backoff.next_delay()
            if trouble:
                self.stop.wait(delay)  # new replies wait for the server too
            else:
                self.outbox_kick.wait(delay)
            self.outbox_kick.clear()

    def _reminders(self) -> None:
        try:
            remind_overdue_cases(self.app)
            self.outbox_kick.set()
        except Exception:
            log.exception("reminder run failed")

    def _registration_reminders(self) -> None:
        try:
            if remind_unregistered_units(self.app):
                self.outbox_kick.set()
        except Exception:
            log.exception("registration reminder run failed")

    def jobs(self) -> list[JobInfo]:
        return [
            JobInfo(
                j.id, j.name, self._schedule_text(j.id, str(j.trigger)), getattr(j, "next_run_time", None)
            )
            for j in self.scheduler.get_jobs()
        ]

    def _schedule_text(self, job_id: str, trigger: str) -> str:
        cfg = self.app.config
        if job_id == "digest":
            return f"cron '{cfg.schedule.digest}' ({cfg.timezone.key})"
        if job_id == "outbox":
            return f"loop: every {cfg.outbox.interval_seconds:g}s and when mail is stored"
        if job_id.startswith("watch:"):
            return "from start until stop (IDLE or polling)"
        return trigger

    def request_stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        if not self.stop.is_set():
            log.info("stopping (signal %s): finishing the message in hand", signum)
        self.stop.set()
        self.outbox_kick.set()

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        log.info(
            "mailbot daemon starting: %d source(s), database %s, instance %s",
            len(self.sources),
            self.app.config.redacted_database_url(),
            self.instance,
        )
        self.schedule_catch_up()
        self.scheduler.start()
        try:
            while not self.stop.wait(1.0):
                pass
        finally:
            self.scheduler.shutdown(wait=True)
            log.info("mailbot daemon stopped")
