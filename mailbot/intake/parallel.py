"""The prepare worker: parse → assess (the pure part) of a backlog in a second process.

While the main process stores and flags one chunk, the worker prepares the next ones: the machine's
second core does the parsing and judging. Nothing here touches the database or the servers; the
worker only turns raw bytes into :class:`~mailbot.intake.pipeline.Prepared` values, so the order of
storing, committing and flagging stays exactly that of the main process. Whatever goes wrong with the
worker (it cannot start, it dies, a result does not come back), the main process prepares the chunk
itself: the worker is a speed-up, never a path a message depends on.

Neither process waits for the other while there is work: when the main process needs a chunk the worker
has not finished, it takes the last chunk the worker has not started (its future cancelled) and
prepares that one itself meanwhile — the same function on the same values, so the results are equal.

The worker is started with the ``spawn`` context (no fork of a process that holds threads and database
connections) and asks the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``): a SIGKILLed
mailbot leaves no orphan behind.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailbot.intake.prepare import Prepared, PrepareSettings, prepare_with
from mailbot.model import FetchedMail
from mailbot.store.packing import pack_raw

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)

MIN_BACKLOG = 60  # fewer pending messages are prepared in process (a worker costs ~1 s to start)
LOCAL_ABOVE = 4_000_000  # bytes: a bigger message is prepared in process (not copied to the worker)
ENV_SWITCH = "MAILBOT_PREPARE_WORKER"  # "0": never start the worker

_settings: PrepareSettings | None = None

# (sha256, parsed, assessment, error, packed raw bytes) of one message: the raw bytes stay in the main
# process, their compressed copy (what is stored) comes back
Outcome = tuple[str, Any, Any, str | None, tuple[str, bytes] | None]


def _init_worker(settings: PrepareSettings, parent: int) -> None:
    global _settings
    _settings = settings
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(0)


def _prepare_chunk(items: Sequence[tuple[FetchedMail, bool, datetime]]) -> list[Outcome]:
    assert _settings is not None
    return _prepare_items(_settings, items)


def _prepare_items(
    settings: PrepareSettings, items: Sequence[tuple[FetchedMail, bool, datetime]]
) -> list[Outcome]:
    """What the worker does with one chunk (also run in the main process on a chunk it takes over)."""
    out: list[Outcome] = []
    for fetched, archive, now in items:
        p = prepare_with(settings, fetched, archive, now)
        packed = pack_raw(fetched.raw) if p.error is None else None
        out.append((p.sha256, p.parsed, p.assessment, p.error, packed))
    return out


@dataclass(eq=False)  # compared by identity
class PendingChunk:
    """One chunk handed to the worker (or to be prepared here)."""

    items: list[tuple[FetchedMail, bool]]
    future: Future[list[Outcome]] | None
    remote: list[tuple[FetchedMail, bool, datetime]] = field(default_factory=list)  # what the worker got
    ready: list[Outcome] | None = None  # prepared here instead (taken over before the worker began it)


class PrepareWorker:
    """One worker process for one poll of a backlog (``with PrepareWorker.start(app) as w``)."""

    def __init__(self, app: App, pool: ProcessPoolExecutor | None) -> None:
        self.app = app
        self.settings = PrepareSettings.of(app)
        self.pool = pool
        self.waiting: deque[PendingChunk] = deque()  # submitted to the worker, result not yet taken
        self.taken_over = 0  # chunks the main process prepared itself instead of waiting

    @classmethod
    def start(cls, app: App, backlog: int) -> PrepareWorker:
        """A worker when the backlog is big enough and the machine has a second core; otherwise one
        that prepares in process."""
        if backlog < MIN_BACKLOG or (os.cpu_count() or 1) < 2 or os.environ.get(ENV_SWITCH) == "0":
            return cls(app, None)
        try:
            pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(PrepareSettings.of(app), os.getpid()),
            )
        except (OSError, ValueError) as exc:
            log.warning("prepare worker not started (%s); preparing in process", exc)
            return cls(app, None)
        return cls(app, pool)

    @property
    def parallel(self) -> bool:
        """Whether a worker process prepares (otherwise :meth:`result` prepares in process)."""
        return self.pool is not None

    def __enter__(self) -> PrepareWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.taken_over:
            log.debug("prepare worker: %d chunks prepared in process instead of waiting", self.taken_over)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def submit(self, items: list[tuple[FetchedMail, bool]]) -> PendingChunk:
        """Start preparing ``items`` (mail, archive) in the worker; returns at once."""
        if self.pool is None:
            return PendingChunk(items, None)
        remote = [(m, a, m.internaldate or self.app.now()) for m, a in items if len(m.raw) <= LOCAL_ABOVE]
        if not remote:
            return PendingChunk(items, None)
        try:
            chunk = PendingChunk(items, self.pool.submit(_prepare_chunk, remote), remote)
        except Exception as exc:  # a broken pool: prepare here from now on
            log.warning("prepare worker unavailable (%s); preparing in process", type(exc).__name__)
            self._drop()
            return PendingChunk(items, None)
        self.waiting.append(chunk)
        return chunk

    def _take_over(self, chunk: PendingChunk) -> None:
        """While ``chunk`` is still being prepared by the worker, prepare later chunks it has not
        begun here (the last first: the worker goes on in order) instead of waiting."""
        future = chunk.future
        while future is not None and not future.done() and self.waiting:
            last = self.waiting[-1]
            if last is chunk or last.future is None or not last.future.cancel():
                return  # begun or queued in the worker already (and so is every earlier one)
            self.waiting.pop()
            last.future = None
            last.ready = _prepare_items(self.settings, last.remote)
            self.taken_over += 1

    def result(self, chunk: PendingChunk) -> list[Prepared]:
        """The prepared messages of ``chunk``, in order (prepared here when the worker failed)."""
        outcomes: list[Outcome] = []
        self._take_over(chunk)
        if chunk in self.waiting:
            self.waiting.remove(chunk)
        if chunk.ready is not None:
            outcomes = chunk.ready
        elif chunk.future is not None:
            try:
                outcomes = chunk.future.result()
            except Exception as exc:
                log.warning("prepare worker failed (%s); preparing in process", type(exc).__name__)
                self._drop()
                outcomes = []
        remote = iter(outcomes)
        out: list[Prepared] = []
        for mail, archive in chunk.items:
            if outcomes and len(mail.raw) <= LOCAL_ABOVE:
                sha, parsed, assessment, error, packed = next(remote)
                out.append(Prepared(mail, sha, archive, parsed, assessment, error, packed))
            else:
                out.append(prepare_with(self.settings, mail, archive, mail.internaldate or self.app.now()))
        return out

    def _drop(self) -> None:
        self.waiting.clear()
        pool, self.pool = self.pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
