"""Polling: sources → pipeline → flag on the server; the watcher loop with reconnect backoff.

Order per batch: fetch → process_batch (committed in chunks of COMMIT_EVERY) → only then mark done / quarantine on
the server. A crash anywhere leaves unflagged messages that the next run stores once (dedupe by
origin, Message-ID and content hash) and flags.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from mailbot.app import App
from mailbot.config import Config
from mailbot.daemon.backoff import Backoff
from mailbot.daemon.lease import DatabaseLease
from mailbot.errors import SourceError, StoreError
from mailbot.intake.pipeline import process_batch
from mailbot.model import Outcome
from mailbot.registry.units import remind_unregistered_units
from mailbot.replies import compose
from mailbot.replies.outbox import DrainReport, drain
from mailbot.sources import Source
from mailbot.sources.maildir import MaildirSource
from mailbot.store import queries

log = logging.getLogger(__name__)
COMMIT_EVERY = 25  # messages per database transaction: the unit finished before a shutdown
WAIT_SECONDS = 29 * 60.0  # sources cap this by their IDLE renewal or poll interval


@dataclass
class PollStats:
    fetched: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    already_stored: int = 0
    errors: list[str] = field(default_factory=list)
    results: list[tuple[str, object]] = field(default_factory=list)

    def count(self, outcome: Outcome) -> None:
        self.outcomes[outcome.value] = self.outcomes.get(outcome.value, 0) + 1

    def merge(self, other: PollStats) -> None:
        self.fetched += other.fetched
        self.already_stored += other.already_stored
        for k, v in other.outcomes.items():
            self.outcomes[k] = self.outcomes.get(k, 0) + v
        self.errors.extend(other.errors)
        self.results.extend(other.results)


def build_sources(config: Config) -> list[Source]:
    from mailbot.sources.imap import ImapSource

    sources: list[Source] = [ImapSource(s) for s in config.imap]
    sources.extend(MaildirSource(m) for m in config.maildirs)
    return sources


def poll_source(app: App, source: Source, stop: threading.Event | None = None) -> PollStats:
    """Process everything pending in one open source. Raises SourceError / StoreError for the caller."""
    stats = PollStats()
    now = app.now()
    with app.db.session() as session:
        state = queries.mailbox_state(session, source.name, source.mailbox, now, source.archive_before)
        if source.uidvalidity is not None and state.uidvalidity != source.uidvalidity:
            if state.uidvalidity is not None:
                log.warning("[%s/%s] UIDVALIDITY changed %s → %s: messages will be matched by Message-ID and "
                            "content hash", source.name, source.mailbox, state.uidvalidity, source.uidvalidity)
            state.uidvalidity = source.uidvalidity
            state.last_uid = 0
        archive_before = source.archive_before or (state.archive_before if source.archive_backlog else None)
        last_uid = state.last_uid
    pending = source.pending_keys()
    if not pending:
        return stats
    with app.db.session() as session:
        known = queries.known_keys(session, source.name, source.mailbox, source.uidvalidity, pending)
    if known:
        # stored by an earlier run that stopped before flagging them on the server
        stored = [k for k in pending if k in known]
        source.mark_done(stored)
        stats.already_stored += len(stored)
        log.info("[%s/%s] %d already stored, now flagged: %s", source.name, source.mailbox, len(stored),
                 ",".join(stored[:20]))
    todo = [k for k in pending if k not in known]
    for i in range(0, len(todo), source.batch_size):
        if stop is not None and stop.is_set():
            break
        batch = todo[i:i + source.batch_size]
        fetched = source.fetch(batch)
        stats.fetched += len(fetched)
        done: list[str] = []
        failed: list[str] = []
        try:
            for j in range(0, len(fetched), COMMIT_EVERY):
                chunk = fetched[j:j + COMMIT_EVERY]
                items = [(mail, archive_before is not None and mail.internaldate is not None
                          and mail.internaldate < archive_before) for mail in chunk]
                for mail, result in zip(chunk, process_batch(app, items), strict=True):
                    stats.count(result.outcome)
                    stats.results.append((mail.key, result))
                    (failed if result.outcome == Outcome.QUARANTINED else done).append(mail.key)
                    if mail.uid is not None:
                        last_uid = max(last_uid, mail.uid)
                if stop is not None and stop.is_set():
                    break
        finally:
            # flag what was committed, even when the batch stopped half-way
            source.mark_done(done)
            source.quarantine(failed)
        if source.uidvalidity is not None:
            with app.db.session() as session:
                state = queries.mailbox_state(session, source.name, source.mailbox, app.now(), None)
                state.last_uid = max(state.last_uid, last_uid)
    return stats


def remind_overdue_cases(app: App) -> int:
    """Queue follow-up reminders for open urgent cases that have gone quiet."""
    now = app.now()
    cutoff = now - timedelta(hours=app.config.cases.followup_interval_hours)
    queued = 0
    with app.db.session() as session:
        for case in queries.overdue_cases(session, cutoff):
            if compose.queue_case_reminder(app, session, case, now):
                queued += 1
                log.info("case %s: follow-up reminder %d queued for %s", case.number, case.reminders_sent,
                         case.sender)
    return queued


def poll_once(app: App, sources: Sequence[Source] | None = None) -> PollStats:
    """Every source once, then reminders and the outbox. Source errors are collected, not raised."""
    total = PollStats()
    for source in sources if sources is not None else build_sources(app.config):
        try:
            source.open()
            try:
                total.merge(poll_source(app, source))
            finally:
                source.close()
        except SourceError as exc:
            log.error("[%s] %s", source.name, exc)
            total.errors.append(f"{source.name}: {exc}")
    remind_overdue_cases(app)
    remind_unregistered_units(app)
    return total


def flush_outbox(app: App) -> DrainReport:
    with app.drain_lock:
        return drain(app)


class Watcher:
    """One source, watched forever: poll, IDLE (or sleep), poll again; reconnect with backoff.

    With a ``lease`` (the daemon always gives one), the watcher reads the mailbox only while it holds
    the database lease: it renews it every third of its time from a helper thread, stops after the
    message in hand when the lease is lost, and stands by while another instance holds it.
    """

    def __init__(self, app: App, source: Source, stop: threading.Event, *, on_stored: object = None,
                 backoff_base: float = 1.0, backoff_max: float = 300.0,
                 lease: DatabaseLease | None = None) -> None:
        self.app, self.source, self.stop = app, source, stop
        self.on_stored = on_stored
        self.backoff = Backoff(initial=backoff_base, maximum=backoff_max)
        self.lease = lease
        self._standing_by = False

    def run(self) -> None:
        try:
            self._run()
        finally:
            if self.lease is not None:
                self.lease.release()

    def _take_lease(self) -> bool:
        """True when we hold the lease (or need none); otherwise waits a little and returns False."""
        if self.lease is None:
            return True
        try:
            if self.lease.acquire():
                if self._standing_by:
                    log.info("[%s] this instance reads the mailbox now", self.source.name)
                self._standing_by = False
                return True
        except StoreError as exc:
            delay = self.backoff.next_delay()
            if self.backoff.attempts == 1 or self.backoff.attempts % 10 == 0:
                log.error("[%s] %s; retrying in %.1f s (failure %d)", self.source.name, exc, delay,
                          self.backoff.attempts)
            self.stop.wait(delay)
            return False
        if not self._standing_by:
            log.info("[%s] another instance (%s) reads this mailbox; standing by", self.source.name,
                     self.lease.current_holder())
            self._standing_by = True
        self.stop.wait(self.lease.renew_interval)
        return False

    def _keep_lease(self, halt: threading.Event, done: threading.Event) -> None:
        """Helper thread: renew the lease; set ``halt`` when it is lost or the daemon stops."""
        assert self.lease is not None
        while True:
            if self.stop.wait(self.lease.renew_interval) or done.is_set():
                halt.set()
                return
            try:
                if not self.lease.acquire():
                    halt.set()
                    return
            except StoreError:
                if not self.lease.held():
                    log.warning("[%s] lease could not be renewed before it ran out; stopping reads",
                                self.source.name)
                    halt.set()
                    return

    def _run(self) -> None:
        while not self.stop.is_set():
            if not self._take_lease():
                continue
            halt, done = self.stop, threading.Event()
            wait_cap = WAIT_SECONDS
            if self.lease is not None:
                halt = threading.Event()
                wait_cap = min(WAIT_SECONDS, self.lease.renew_interval)
                threading.Thread(target=self._keep_lease, args=(halt, done), daemon=True,
                                 name=f"lease:{self.source.name}").start()
            try:
                self.source.open()
                if self.backoff.attempts:
                    log.info("[%s] reconnected after %d failure(s)", self.source.name, self.backoff.attempts)
                self.backoff.reset()
                while not halt.is_set():
                    stats = poll_source(self.app, self.source, halt)
                    if stats.outcomes and callable(self.on_stored):
                        self.on_stored()
                    if halt.is_set():
                        break
                    self.source.wait(wait_cap)
            except (SourceError, StoreError, SQLAlchemyError) as exc:  # server or database down: retry quietly
                delay = self.backoff.next_delay()
                # a database error names only its cause: its SQL parameters could hold mail content
                orig = getattr(exc, "orig", None) if isinstance(exc, SQLAlchemyError) else None
                what = f"database unavailable: {orig or exc.__class__.__name__}" if isinstance(
                    exc, SQLAlchemyError) else exc
                if self.backoff.attempts == 1 or self.backoff.attempts % 10 == 0:
                    log.error("[%s] %s; retrying in %.1f s (failure %d)", self.source.name, what, delay,
                              self.backoff.attempts)
                self.stop.wait(delay)
            except Exception:
                log.exception("[%s] unexpected error in the watcher; restarting it", self.source.name)
                self.stop.wait(self.backoff.next_delay())
            finally:
                done.set()
                try:
                    self.source.close()
                except Exception:
                    log.debug("[%s] close failed", self.source.name, exc_info=True)
