"""Quarantine: a message that cannot be processed is kept with its raw bytes, and the office is told once."""

from __future__ import annotations

import logging
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


def describe(fetched: FetchedMail, message_id: str | None = None) -> str:
    """``[source/folder uid=… message-id=<…>]``: how every log line names a message."""
    where = f"uid={fetched.uid}" if fetched.uid is not None else f"key={fetched.key}"
    return f"[{fetched.source}/{fetched.mailbox} {where} message-id=<{message_id or '?'}>]"


def quarantine(app: App, fetched: FetchedMail, sha: str, parsed: ParsedMail | None, error: str) -> Result:
    """Store the message as ``quarantined`` (or mark its stored twin so) and queue one office notice."""
    last_line = error.strip().splitlines()[-1] if error.strip() else "unknown error"
    log.error("%s quarantined: %s", describe(fetched, parsed.message_id if parsed else None), last_line)
    try:
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
                details=f"主题：{sub.subject or '（无）'}\n发件人：{sub.from_addr or '（无）'}\n"
                f"原因：{last_line if error.strip() else '未知'}",
                key=f"quarantine:{sub.id}",
                submission_id=sub.id,
            )
            return Result(Outcome.QUARANTINED, sub.id, None, None, error[:200])
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot store quarantined message {describe(fetched)}: {exc}") from exc
