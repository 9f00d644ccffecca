"""``mailbot case list|close``: the office's view of urgent cases."""

from __future__ import annotations

from sqlalchemy import func, select

from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.model import CaseStatus
from mailbot.store import queries
from mailbot.store.models import Case, Submission


def close_case(app: App, number: str) -> str:
    with app.db.session() as session:
        case = queries.case_by_number(session, number)
        if case is None:
            raise MailbotError(f"no case {number}")
        if case.status == CaseStatus.CLOSED:
            return f"case {number} was already closed ({case.closed_by})"
        queries.close_case(session, case, app.now(), "office")
        return f"case {number} closed by the office"


def list_cases(app: App, *, include_closed: bool = False) -> str:
    tz = app.config.timezone
    with app.db.session() as session:
        q = select(Case).order_by(Case.opened_at)
        if not include_closed:
            q = q.where(Case.status == CaseStatus.OPEN)
        lines = []
        for case in session.scalars(q):
            n = session.scalar(
                select(func.count()).select_from(Submission).where(Submission.case_id == case.id)
            )
            lines.append(
                f"{case.number}  {case.status:<6} reports {n:<3} last {case.last_report_at.astimezone(tz):%m-%d %H:%M}"
                f"  reminders {case.reminders_sent}  {case.sender}  {case.subject}"
            )
    return "\n".join(lines) or "no cases"
