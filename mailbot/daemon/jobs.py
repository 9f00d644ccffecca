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
from mailbot.judge.calendar import missing_next_year
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

        self.scheduler.add_job(
            self._publicity_reminders,
            "interval",
            seconds=app.config.schedule.reminders_interval_seconds,
            id="publicity_reminders",
            name="reminders and escalation of pending publicity approvals, overdue notice feedback ([publicity])",
            replace_existing=True,
            next_run_time=app.now(),
        )
        self.scheduler.add_job(
            self.check_calendar,
            "interval",
            hours=24,
            id="calendar_check",
            name="from 1 December: warn when next year's holiday schedule is missing ([calendar])",
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

        self.scheduler.add_job(
            self._adoption_mail,
            "interval",
            seconds=60,
            id="adoption_mail",
            name="the office's 采用： commands by mail; 约稿 answers and reminders",
            replace_existing=True,
            next_run_time=app.now(),
        )
        from mailbot.notices.send import enabled as notices_enabled

        if notices_enabled(app):  # the quarterly adoption notice ([notices]), once per quarter
            self.scheduler.add_job(
                self._notice,
                cron_trigger(app.config.notices.schedule, app.config.timezone),
                id="notice",
                name="quarterly adoption notice ([notices])",
                replace_existing=True,
                misfire_grace_time=max(1, int(app.config.notices.grace_hours * 3600)),
            )

    def schedule_catch_up(self) -> None:
        """On start: the digest that fell due while mailbot was down (within the grace) runs now, once."""
        if self.scheduler.get_job("notice") is not None:
            self.scheduler.add_job(
                self._notice,
                id="notice:catch-up",
                name="adoption notice missed while mailbot was down",
                replace_existing=True,
            )
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

    def _adoption_mail(self) -> None:
        from mailbot.adoption.bymail import apply_office_mail
        from mailbot.notices.requests import check_requests

        try:
            if apply_office_mail(self.app):
                self.outbox_kick.set()
        except Exception:
            log.exception("adoption mail run failed")
        try:  # 约稿: answers linked, then reminders before and after the deadline; 催报 once a week
            from mailbot.notices.quotas import remind_quota

            if check_requests(self.app)[1] + remind_quota(self.app):
                self.outbox_kick.set()
        except Exception:
            log.exception("request (约稿) or quota (催报) run failed")

    def _notice(self) -> None:
        from mailbot.notices.send import send_due_notice

        try:
            outcome = send_due_notice(self.app)
            if outcome is not None and outcome.status == "queued":
                self.outbox_kick.set()
        except Exception:
            log.exception("notice run failed; trying again in %d seconds", DIGEST_RETRY_SECONDS)
            self.scheduler.add_job(
                self._notice,
                "date",
                run_date=self.app.now() + timedelta(seconds=DIGEST_RETRY_SECONDS),
                id="notice:retry",
                name="adoption notice, after a failed run",
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
                    error = report.session_error or ""
                    log.warning(
                        "SMTP %s; queued replies wait and are retried with backoff: %s",
                        "unreachable" if "unreachable" in error or not error else "refuses the session",
                        error,
                    )
                elif trouble and not now_trouble:
                    log.info("outbox working again (%s is over)", trouble)
                trouble = now_trouble
                if report.server_down and report.retry_at is not None:
                    # the session backs off in the database (smtp_health), shared by every instance
                    delay = max(0.1, (report.retry_at - self.app.now()).total_seconds())
                elif report.server_down:  # retry the server with exponential backoff, not every interval
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

    def _publicity_reminders(self) -> None:
        from mailbot.publicity.chain import remind_pending
        from mailbot.publicity.notices import remind_overdue_feedback

        try:
            if remind_pending(self.app) + remind_overdue_feedback(self.app):
                self.outbox_kick.set()
        except Exception:
            log.exception("publicity reminder run failed")

    def check_calendar(self) -> int | None:
        """working_days mode, from 1 December: next year's schedule missing → a log warning every run
        and one office notice per year. Returns the missing year (None when nothing is missing)."""
        policy = self.app.policy
        if policy.routine_mode != "working_days":
            return None
        year = missing_next_year(policy.calendar, self.app.now(), policy.tz)
        if year is None:
            return None
        log.warning(
            "no holiday schedule for %d: its working-day deadlines will be provisional (Monday–Friday); "
            "add the State Council's %d schedule to [calendar] holiday_files",
            year,
            year,
        )
        try:
            from mailbot.replies.compose import queue_office_notice

            with self.app.db.session() as session:
                queue_office_notice(
                    self.app,
                    session,
                    what=f"尚未载入{year}年法定节假日安排",
                    details=(
                        f"报送时限按工作日计算，但尚未载入{year}年国务院办公厅公布的节假日安排。"
                        f"在载入之前，{year}年的时限暂按周一至周五计算（回执中注明“暂按周一至周五计算”）。\n"
                        f"请在配置 [calendar] holiday_files 中加入{year}年的安排（holiday-cn 的 {year}.json 或 ICS 文件），"
                        "然后重新启动 mailbot。"
                    ),
                    key=f"calendar_missing:{year}",
                )
            self.outbox_kick.set()
        except Exception:
            log.exception("could not queue the office notice about the missing %d holiday schedule", year)
        return year

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
        if job_id == "notice":
            return f"cron '{cfg.notices.schedule}' ({cfg.timezone.key})"
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
