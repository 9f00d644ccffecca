"""process_one() / process_batch(): fetched bytes → stored submission + queued replies, in one transaction.

Per message: **prepare** (parse → judge, pure) → **look up** (:mod:`~mailbot.intake.lookup`, database
reads) → **finalize** (:mod:`~mailbot.intake.finalize`, pure: the only place a category changes after
classify) → **persist** (:mod:`~mailbot.intake.persist`, writes only, replies queued in the same
transaction).

The single per-message try/except of mailbot lives here: whatever goes wrong with one message,
its raw bytes are kept (:mod:`~mailbot.intake.quarantine`), the office is told once, and the queue
goes on. Only a database that cannot be written at all raises (StoreError), so the caller leaves the
message unflagged on the server and tries again later: nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from mailbot.errors import StoreError
from mailbot.intake.errortext import describe, error_text
from mailbot.intake.finalize import finalize
from mailbot.intake.lookup import look_up, stored_twin
from mailbot.intake.persist import persist
from mailbot.intake.prepare import Prepared, PrepareSettings, prepare, prepare_with
from mailbot.intake.quarantine import quarantine
from mailbot.judge.loops import auth_failed
from mailbot.model import CaseStatus, FetchedMail, Outcome, Result
from mailbot.store import ids
from mailbot.store.batch import BatchCache, ReplyCarry

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)

__all__ = [
    "PrepareSettings",
    "Prepared",
    "Result",
    "prepare",
    "prepare_with",
    "process_batch",
    "process_one",
    "store_prepared",
]


def _store(app: App, session: Session, p: Prepared, batch: BatchCache | None = None) -> Result:
    """Look up, finalize and persist one prepared message in the caller's transaction."""
    assert p.parsed is not None and p.assessment is not None
    dup = stored_twin(session, p.fetched, p.parsed, p.sha256, batch)
    if dup is not None:
        return Result(
            Outcome.DUPLICATE, dup.id, dup.tracking_no, dup.category, f"duplicate of submission {dup.id}"
        )
    found = look_up(app, session, p.parsed, p.assessment, batch)
    decision = finalize(
        p.assessment,
        p.parsed,
        registered=found.unit is not None,
        case_found=found.case is not None,
        case_open=found.case is not None and found.case.status == CaseStatus.OPEN,
        linked_by=found.linked_by,
        owns_case=found.owns_case,
        auth_failure=auth_failed(p.parsed, app.config.trust),
        require_authentication=app.config.office.require_authentication,
        own_addresses=app.config.office.own_addresses,
        policy=app.policy,
        internaldate=p.fetched.internaldate,
        archive=p.archive,
    )
    sub = persist(app, session, p.fetched, p.parsed, p.sha256, found, decision, batch, packed=p.packed)
    detail = f"verdict={sub.verdict}" if sub.verdict else "no verdict"
    return Result(Outcome.STORED, sub.id, sub.tracking_no, decision.category.value, detail)


def _log_result(p: Prepared, result: Result) -> None:
    mid = p.parsed.message_id if p.parsed else None
    if result.outcome == Outcome.DUPLICATE:
        log.info(
            "%s duplicate of submission %s (%s); not stored again",
            describe(p.fetched, mid),
            result.submission_id,
            result.tracking_no or "no tracking number",
        )
    elif result.outcome != Outcome.QUARANTINED:
        log.info(
            "%s %s as %s %s (%s)",
            describe(p.fetched, mid),
            result.outcome.value,
            result.tracking_no or f"#{result.submission_id}",
            result.category,
            result.detail,
        )


def process_one(app: App, fetched: FetchedMail, *, archive: bool = False) -> Result:
    """Store one message and queue its replies. Never raises except StoreError (database unusable)."""
    return _process_prepared(app, prepare(app, fetched, archive=archive))


def _process_prepared(app: App, p: Prepared) -> Result:
    """One message in its own transaction; the single per-message try/except and quarantine."""
    fetched = p.fetched
    if p.error is not None:
        return quarantine(app, fetched, p.sha256, p.parsed, p.error)
    try:
        with app.db.session() as session:
            result = _store(app, session, p)
        _log_result(p, result)
        return result
    except IntegrityError:
        # Another worker stored the same origin first (two daemons); the unique key protects us.
        with app.db.session() as session:
            dup = stored_twin(session, fetched, p.parsed, p.sha256)
        if dup is not None:
            return Result(Outcome.DUPLICATE, dup.id, dup.tracking_no, dup.category)
        return quarantine(app, fetched, p.sha256, p.parsed, "integrity error without a stored twin")
    except OperationalError as exc:
        # A database that still answers was refused this one message's data (SQLite "string or blob
        # too big", a value out of range …): quarantine it rather than stop the mailbox.
        if not app.db.reachable():
            raise StoreError(f"database unavailable while storing {describe(fetched)}: {exc.orig}") from exc
        return quarantine(app, fetched, p.sha256, p.parsed, error_text(exc, fetched.raw, p.parsed))
    except StoreError:
        if not app.db.reachable():
            raise
        return quarantine(app, fetched, p.sha256, p.parsed, "StoreError while the database answers")
    except Exception as exc:  # the one place where anything goes: quarantine, never lose
        return quarantine(app, fetched, p.sha256, p.parsed, error_text(exc, fetched.raw, p.parsed))


def process_batch(app: App, items: Sequence[tuple[FetchedMail, bool]]) -> list[Result]:
    """Several messages in ONE transaction (the fast path of a backlog); ``items`` are (mail, archive).

    Nothing is flagged on the server before this returns, so a crash loses nothing. If anything goes
    wrong inside the batch, the whole transaction is rolled back and the batch is processed again one
    message per transaction, so that one bad message is quarantined alone. Raises only StoreError.
    """
    return store_prepared(app, [prepare(app, mail, archive=archive) for mail, archive in items])


def store_prepared(app: App, prepared: Sequence[Prepared], carry: ReplyCarry | None = None) -> list[Result]:
    """The storing half of :func:`process_batch`, for messages already prepared (maybe by the worker).

    ``carry``: what the earlier chunks of the same poll read of the outbox (the batch reads only what
    is new; a committed batch leaves its view there)."""
    good = [p for p in prepared if p.error is None]
    if len(good) > 1:
        try:
            with app.db.session() as session:
                # one flush for the chunk's rows, not one per message; on SQLite the write lock first
                ids.enable(session, len(good), lock_now=True)
                cfg = app.config
                window = max(
                    timedelta(hours=cfg.replies.rate_limit_hours),
                    timedelta(days=cfg.domains.notice_interval_days),
                )
                senders = [
                    addr
                    for p in good
                    if p.parsed is not None
                    for addr in (*p.parsed.reply_to[:1], p.parsed.from_addr)
                ]
                batch = BatchCache.open(
                    session,
                    senders,
                    app.now() - window,
                    [p.sha256 for p in good],
                    senders=[p.parsed.from_addr for p in good if p.parsed is not None],
                    domains=app.domains,
                    now=app.now(),
                    carry=carry,
                )
                done = {id(p): _store(app, session, p, batch) for p in good}
            if carry is not None:
                carry.adopt(batch)  # committed
        except OperationalError as exc:
            if not app.db.reachable():
                raise StoreError(
                    f"database unavailable while storing a batch of {len(good)}: {exc.orig}"
                ) from exc
            log.warning(
                "batch of %d rolled back (%s); processing its messages one by one",
                len(good),
                type(exc).__name__,
            )
        except Exception as exc:
            log.warning(
                "batch of %d rolled back (%s); processing its messages one by one",
                len(good),
                type(exc).__name__,
            )
        else:
            results = []
            for p in prepared:
                if p.error is None:
                    _log_result(p, done[id(p)])
                    results.append(done[id(p)])
                else:
                    results.append(_process_prepared(app, p))
            return results
    return [_process_prepared(app, p) for p in prepared]
