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
import os
import traceback
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from mailbot.errors import StoreError
from mailbot.intake.lookup import stored_twin
from mailbot.intake.persist import add_raw, new_submission
from mailbot.model import FetchedMail, Outcome, ParsedMail, Result, SubmissionStatus
from mailbot.replies import compose

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 300  # of an exception's text
QUOTE_WINDOW = 16  # an exception text sharing this many characters with the mail is withheld
WITHHELD = "（异常说明引用了邮件内容，已略去）"


def describe(fetched: FetchedMail, message_id: str | None = None) -> str:
    """``[source/folder uid=… message-id=<…>]``: how every log line names a message."""
    where = f"uid={fetched.uid}" if fetched.uid is not None else f"key={fetched.key}"
    mid = (message_id or "?")[:200]
    return f"[{fetched.source}/{fetched.mailbox} {where} message-id=<{mid}>]"


def plain(value: object) -> str:
    """Text of an exception argument: bytes decoded (never a ``b'…'`` repr), other values as str()."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if (
        isinstance(value, tuple | list)
        and value
        and all(isinstance(v, bytes | bytearray | str | int) for v in value)
    ):
        return " ".join(plain(v) for v in value)
    return str(value)


def _quotes(message: str, haystacks: list[str]) -> bool:
    if len(message) < QUOTE_WINDOW:
        return any(message and message in h for h in haystacks) and not message.isascii()
    step = QUOTE_WINDOW // 2
    for start in range(0, len(message) - QUOTE_WINDOW + 1, step):
        window = message[start : start + QUOTE_WINDOW]
        if window.strip() and any(window in h for h in haystacks):
            return True
    return False


def error_text(exc: BaseException, raw: bytes = b"", parsed: ParsedMail | None = None) -> str:
    """``Type: message (at file:line in function ← …)`` — short, and free of the mail's text."""
    message = " ".join(plain(a) for a in exc.args) if exc.args else ""
    message = " ".join(message.split())[:MAX_MESSAGE_CHARS]
    haystacks = [raw.decode("utf-8", "replace"), raw.decode("latin-1")]
    if parsed is not None:
        haystacks += [parsed.text, parsed.subject, parsed.html or ""]
    if message and _quotes(message, haystacks):
        message = WITHHELD
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    where = " ← ".join(f"{_short_path(f.filename)}:{f.lineno} in {f.name}" for f in reversed(frames))
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        text += f" (from {type(cause).__name__})"
    return f"{text} (at {where})" if where else text


def _short_path(filename: str) -> str:
    parts = filename.replace(os.sep, "/").split("/")
    if "mailbot" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("mailbot") :])
    return "/".join(parts[-2:])


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
