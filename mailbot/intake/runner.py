"""Polling: sources → pipeline → flag on the server.

Order per batch: fetch → process_batch (committed in chunks of COMMIT_EVERY) → only then mark done / quarantine on
the server. A crash anywhere leaves unflagged messages that the next run stores once (dedupe by
origin, Message-ID and content hash) and flags.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mailbot.app import App
from mailbot.config import Config
from mailbot.errors import SourceError
from mailbot.intake.parallel import MIN_BACKLOG, PendingChunk, PrepareWorker
from mailbot.intake.pipeline import store_prepared
from mailbot.model import FetchedMail, Outcome
from mailbot.replies.outbox import DrainReport, drain
from mailbot.replies.own import is_own_notice
from mailbot.replies.reminders import remind_overdue_cases, remind_unregistered_units
from mailbot.sources import Source
from mailbot.sources.maildir import MaildirSource
from mailbot.store import queries
from mailbot.store.batch import ReplyCarry

log = logging.getLogger(__name__)


SWITCH_INTERVAL = 0.0005  # seconds, while a drain runs alongside the poll (Python's default: 0.005)
COMMIT_EVERY = 25  # messages per database transaction: the unit finished before a shutdown


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


def poll_source(
    app: App,
    source: Source,
    stop: threading.Event | None = None,
    on_commit: Callable[[], None] | None = None,
) -> PollStats:
    """Process everything pending in one open source. Raises SourceError / StoreError for the caller.

    ``on_commit`` is called after each committed chunk of a backlog (of at least
    :data:`~mailbot.intake.parallel.MIN_BACKLOG` messages): the replies it queued can be sent meanwhile
    (:class:`DrainAlongside`)."""
    stats = PollStats()
    office = app.config.office
    now = app.now()
    with app.db.session() as session:
        state = queries.mailbox_state(session, source.name, source.mailbox, now, source.archive_before)
        if source.uidvalidity is not None and state.uidvalidity != source.uidvalidity:
            if state.uidvalidity is not None:
                log.warning(
                    "[%s/%s] UIDVALIDITY changed %s → %s: messages will be matched by Message-ID and "
                    "content hash",
                    source.name,
                    source.mailbox,
                    state.uidvalidity,
                    source.uidvalidity,
                )
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
        log.info(
            "[%s/%s] %d already stored, now flagged: %s",
            source.name,
            source.mailbox,
            len(stored),
            ",".join(stored[:20]),
        )
    todo = [k for k in pending if k not in known]
    if len(todo) < MIN_BACKLOG:
        on_commit = None  # a chunk or two: the drain after the poll sends them as soon

    def archived(mail: FetchedMail) -> bool:
        return (
            archive_before is not None
            and mail.internaldate is not None
            and mail.internaldate < archive_before
        )

    def fetch_and_submit(worker: PrepareWorker, batch: list[str]) -> list[PendingChunk]:
        fetched = source.fetch(batch)
        stats.fetched += len(fetched)
        chunks = [
            worker.submit([(mail, archived(mail)) for mail in fetched[j : j + COMMIT_EVERY]])
            for j in range(0, len(fetched), COMMIT_EVERY)
        ]
        return chunks

    carry = ReplyCarry()  # the outbox as the chunks of this poll saw it (each reads only what is new)
    with PrepareWorker.start(app, len(todo)) as worker:  # parse → assess of the next chunks meanwhile
        batches = iter(source.batches(todo))  # bounded in count and in bytes
        ahead = None
        while True:
            if stop is not None and stop.is_set():
                break
            if ahead is None:
                batch = next(batches, None)
                if batch is None:
                    break
                ahead = fetch_and_submit(worker, batch)
            chunks, ahead = ahead, None
            if worker.parallel:  # the next batch fetched now: the worker prepares it while we store
                batch = next(batches, None)
                if batch is not None:
                    ahead = fetch_and_submit(worker, batch)
            done: list[str] = []
            own: list[str] = []  # our own notices come back: done, but left unread for the office
            failed: list[str] = []
            try:
                for pending_chunk in chunks:
                    chunk = [mail for mail, _ in pending_chunk.items]
                    results = store_prepared(app, worker.result(pending_chunk), carry)
                    for mail, result in zip(chunk, results, strict=True):
                        stats.count(result.outcome)
                        stats.results.append((mail.key, result))
                        if result.outcome == Outcome.QUARANTINED:
                            failed.append(mail.key)
                        elif result.category == "other" and is_own_notice(
                            mail.raw, office.own_addresses, office.message_id_domain
                        ):
                            own.append(mail.key)
                        else:
                            done.append(mail.key)
                        if mail.uid is not None:
                            last_uid = max(last_uid, mail.uid)
                    if on_commit is not None:
                        on_commit()
                    if stop is not None and stop.is_set():
                        break
            finally:
                # flag what was committed, even when the batch stopped half-way
                source.mark_done(done)
                source.mark_done(own, seen=False)
                source.quarantine(failed)
            if source.uidvalidity is not None:
                with app.db.session() as session:
                    state = queries.mailbox_state(session, source.name, source.mailbox, app.now(), None)
                    state.last_uid = max(state.last_uid, last_uid)
    return stats


def poll_once(
    app: App, sources: Sequence[Source] | None = None, on_commit: Callable[[], None] | None = None
) -> PollStats:
    """Every source once, then reminders. Source errors are collected, not raised."""
    total = PollStats()
    for source in sources if sources is not None else build_sources(app.config):
        try:
            source.open()
            try:
                total.merge(poll_source(app, source, on_commit=on_commit))
            finally:
                source.close()
        except SourceError as exc:
            log.error("[%s] %s", source.name, exc)
            total.errors.append(f"{source.name}: {exc}")
    remind_overdue_cases(app)
    remind_unregistered_units(app)
    return total


def flush_outbox(app: App, *, force: bool = False) -> DrainReport:
    """Drain the outbox (one drain at a time per process); ``force``: try the SMTP server even while a
    session failure backs the daemon off (``poll``: cron or a person wants an answer now)."""
    with app.drain_lock:
        return drain(app, force=force)


class DrainAlongside:
    """Sends the replies of committed chunks while the poll goes on (``poll --once`` on a backlog).

    A thread drains the outbox each time :meth:`kick` says a chunk was committed — the same
    :func:`flush_outbox` as after the poll, so each reply is still marked sent and committed on its own
    (at most the one reply in flight is sent twice after a crash). On SQLite the mark waits for the
    intake's chunk transaction to commit (after the server's 354, before the message: no wider duplicate
    window). After a session failure it stops: the drain after the poll tries once more and says what
    failed. ``with DrainAlongside(app) as d: poll_once(app, on_commit=d.kick)``; :attr:`report` adds up
    what it sent."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.report = DrainReport()
        self._kicked = threading.Event()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._interval = sys.getswitchinterval()

    def kick(self) -> None:
        """A chunk was committed: drain now (the thread starts on the first kick)."""
        if self._thread is None:
            # the main thread is busy storing: without a shorter switch interval each answer of the
            # SMTP server would wait up to 5 ms for the interpreter (four answers per reply)
            self._interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)
            self._thread = threading.Thread(target=self._loop, name="drain-alongside", daemon=True)
            self._thread.start()
        self._kicked.set()

    def _loop(self) -> None:
        while True:
            self._kicked.wait()
            self._kicked.clear()
            if self._stop:
                return
            try:
                report = flush_outbox(self.app, force=True)
            except Exception as exc:  # the drain after the poll tries again and reports
                log.warning("drain alongside the poll stopped (%s)", exc.__class__.__name__)
                return
            add_reports(self.report, report)
            if report.server_down:
                return

    def close(self) -> None:
        """Let the current drain end (the rest is left to the drain after the poll)."""
        self._stop = True
        self._kicked.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
            sys.setswitchinterval(self._interval)

    def __enter__(self) -> DrainAlongside:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def add_reports(total: DrainReport, more: DrainReport) -> DrainReport:
    """``more`` added into ``total`` (counts summed; the later session state wins)."""
    total.sent += more.sent
    total.written += more.written
    total.deferred += more.deferred
    total.failed += more.failed
    total.partly_refused += more.partly_refused
    total.failed_ids.extend(more.failed_ids)
    total.server_down = more.server_down
    total.session_error = more.session_error
    total.retry_at = more.retry_at
    return total
