"""Quarantine: a message that cannot be processed is kept with its raw bytes, and the office is told once.

Three levels, each tried when the one before fails for a reason of the message's own (the database
still answers):

1. the submission row as parsed, ``quarantined``, with its raw bytes and one office notice;
2. the same without anything the parser read (only the bytes, the origin and the error);
3. nothing stored: the result still says ``quarantined`` so that the runner moves the message to the
   failed folder (or flags it ``$MailbotFailed``) on the server, and one office notice without a
   submission is queued (keyed by the content hash, so the office is told once).

Only a database that does not answer raises :class:`~mailbot.errors.StoreError`.

Error texts (logged, stored in ``error``, shown to the office) are built by :func:`error_text`: the
exception's type and message, truncated, plus the code locations — never source lines or locals, and
never a message text that quotes the mail.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from mailbot.errors import StoreError
from mailbot.intake.errortext import WITHHELD as WITHHELD  # (the names of this module before)
from mailbot.intake.errortext import describe as describe
from mailbot.intake.errortext import error_text as error_text
from mailbot.intake.errortext import plain as plain
from mailbot.intake.lookup import stored_twin
from mailbot.intake.persist import add_raw, new_submission
from mailbot.model import FetchedMail, Outcome, ParsedMail, Result, SubmissionStatus
from mailbot.replies import compose

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)


def _first_line(error: str) -> str:
    return (error.strip().splitlines() or ["unknown error"])[-1][:500]


def quarantine(app: App, fetched: FetchedMail, sha: str, parsed: ParsedMail | None, error: str) -> Result:
    """Store the message as ``quarantined`` (or mark its stored twin so) and queue one office notice."""
    reason = _first_line(error)
    log.error("%s quarantined: %s", describe(fetched, parsed.message_id if parsed else None), reason)
    try:
        return _store_quarantined(app, fetched, sha, parsed, error)
    except SQLAlchemyError as exc:
        if not app.db.reachable():
            raise StoreError(
                f"cannot store quarantined message {describe(fetched)}: {type(exc).__name__}"
            ) from exc
        first = error_text(exc, fetched.raw, parsed)
    if parsed is not None:
        log.error(
            "%s cannot be stored with its parsed fields (%s); storing its bytes only",
            describe(fetched),
            first,
        )
        try:
            return _store_quarantined(
                app, fetched, sha, None, f"{error}\n(parsed fields not stored: {first})"
            )
        except SQLAlchemyError as exc:
            if not app.db.reachable():
                raise StoreError(
                    f"cannot store quarantined message {describe(fetched)}: {type(exc).__name__}"
                ) from exc
            first = error_text(exc, fetched.raw, parsed)
    return _mark_only(app, fetched, sha, reason, first)


def _store_quarantined(
    app: App, fetched: FetchedMail, sha: str, parsed: ParsedMail | None, error: str
) -> Result:
    with app.db.session() as session:
        dup = stored_twin(session, fetched, parsed, sha)
        if dup is not None and dup.status == SubmissionStatus.QUARANTINED:
            return Result(Outcome.QUARANTINED, dup.id, None, None, "already quarantined")
        if dup is not None:  # e.g. reprocessing raised again; keep the original row
            dup.status, dup.error = SubmissionStatus.QUARANTINED, error[:8000]
            return Result(Outcome.QUARANTINED, dup.id, None, None, error[:200])
        sub = new_submission(app, fetched, sha, parsed, SubmissionStatus.QUARANTINED)
        sub.error = error[:8000]
        session.add(sub)
        session.flush()
        add_raw(session, sub, fetched.raw)
        compose.queue_office_notice(
            app,
            session,
            what=f"邮件无法处理，已隔离（{describe(fetched)}）",
            details=f"主题：{sub.subject[:200] or '（无）'}\n发件人：{sub.from_addr or '（无）'}\n"
            f"原因：{_first_line(error) if error.strip() else '未知'}",
            key=f"quarantine:{sub.id}",
            submission_id=sub.id,
        )
        return Result(Outcome.QUARANTINED, sub.id, None, None, error[:200])


def _mark_only(app: App, fetched: FetchedMail, sha: str, reason: str, why: str) -> Result:
    """Nothing could be stored: the runner marks the message failed on the server; tell the office once."""
    log.error(
        "%s could not be stored even as quarantined (%s); it is marked failed on the server only",
        describe(fetched),
        why,
    )
    try:
        with app.db.session() as session:
            compose.queue_office_notice(
                app,
                session,
                what=f"邮件无法处理也无法隔离入库，已在邮箱中标记为失败（{describe(fetched)}）",
                details=f"原因：{reason}\n入库失败：{why}\n"
                f"请在邮箱的失败文件夹（或带 $MailbotFailed 标记的邮件）中查看原件，内容摘要 sha256={sha[:16]}。",
                key=f"quarantine_failed:{sha}",
            )
    except SQLAlchemyError as exc:
        if not app.db.reachable():
            raise StoreError(
                f"cannot store quarantined message {describe(fetched)}: {type(exc).__name__}"
            ) from exc
        log.error("%s office notice could not be queued either (%s)", describe(fetched), type(exc).__name__)
    return Result(Outcome.QUARANTINED, None, None, None, f"marked failed on the server only: {why[:150]}")
