"""The watcher: one source watched forever (poll, IDLE or sleep, poll again), reconnecting with backoff."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.exc import SQLAlchemyError

from mailbot.app import App
from mailbot.daemon.backoff import Backoff
from mailbot.daemon.lease import DatabaseLease
from mailbot.errors import SourceError, StoreError
from mailbot.intake.runner import poll_source
from mailbot.sources import Source

log = logging.getLogger(__name__)


WAIT_SECONDS = 29 * 60.0  # sources cap this by their IDLE renewal or poll interval


class Watcher:
    """One source, watched forever: poll, IDLE (or sleep), poll again; reconnect with backoff.

    With a ``lease`` (the daemon always gives one), the watcher reads the mailbox only while it holds
    the database lease: it renews it every third of its time from a helper thread, stops after the
    message in hand when the lease is lost, and stands by while another instance holds it.
    """

    def __init__(
        self,
        app: App,
        source: Source,
        stop: threading.Event,
        *,
        on_stored: object = None,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        lease: DatabaseLease | None = None,
    ) -> None:
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
                log.error(
                    "[%s] %s; retrying in %.1f s (failure %d)",
                    self.source.name,
                    exc,
                    delay,
                    self.backoff.attempts,
                )
            self.stop.wait(delay)
            return False
        if not self._standing_by:
            log.info(
                "[%s] another instance (%s) reads this mailbox; standing by",
                self.source.name,
                self.lease.current_holder(),
            )
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
                    log.warning(
                        "[%s] lease could not be renewed before it ran out; stopping reads", self.source.name
                    )
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
                threading.Thread(
                    target=self._keep_lease, args=(halt, done), daemon=True, name=f"lease:{self.source.name}"
                ).start()
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
            except (
                SourceError,
                StoreError,
                SQLAlchemyError,
            ) as exc:  # server or database down: retry quietly
                delay = self.backoff.next_delay()
                # a database error names only its cause: its SQL parameters could hold mail content
                orig = getattr(exc, "orig", None) if isinstance(exc, SQLAlchemyError) else None
                what = (
                    f"database unavailable: {orig or exc.__class__.__name__}"
                    if isinstance(exc, SQLAlchemyError)
                    else exc
                )
                if self.backoff.attempts == 1 or self.backoff.attempts % 10 == 0:
                    log.error(
                        "[%s] %s; retrying in %.1f s (failure %d)",
                        self.source.name,
                        what,
                        delay,
                        self.backoff.attempts,
                    )
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
