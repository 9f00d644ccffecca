"""``mailbot reprocess ID``: run a stored submission (typically a quarantined one) through the pipeline again."""

from __future__ import annotations

from sqlalchemy import delete, update

from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.intake.pipeline import Result, process_one
from mailbot.model import FetchedMail, SubmissionStatus
from mailbot.store import queries
from mailbot.store.models import OutboxItem, RawMessage, Submission


def reprocess(app: App, submission_id: int) -> Result:
    with app.db.session() as session:
        sub = session.get(Submission, submission_id)
        if sub is None:
            raise MailbotError(f"no submission with id {submission_id}")
        if sub.status not in (SubmissionStatus.QUARANTINED,):
            raise MailbotError(
                f"submission {submission_id} is {sub.status}, not quarantined; nothing to retry"
            )
        raw = queries.raw_bytes(session, submission_id)
        if raw is None:
            raise MailbotError(f"submission {submission_id} has no raw bytes stored")
        fetched = FetchedMail(
            source=sub.source,
            mailbox=sub.mailbox,
            uidvalidity=sub.uidvalidity,
            uid=sub.uid,
            key=sub.source_key,
            raw=raw,
            internaldate=sub.internaldate,
        )
        # Remove the quarantine row; if processing fails again it is quarantined anew with its bytes.
        session.execute(
            update(OutboxItem).where(OutboxItem.submission_id == submission_id).values(submission_id=None)
        )
        session.execute(delete(RawMessage).where(RawMessage.submission_id == submission_id))
        session.execute(delete(Submission).where(Submission.id == submission_id))
    return process_one(app, fetched)
