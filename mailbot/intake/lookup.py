"""Look up: what the database knows about a message before anything is decided (reads only).

Its stored twin (then it is a duplicate), the sender's registered unit, and the urgent case it
continues (by reply headers, a tracking number in the subject, or a 续报 on the same matter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from mailbot.judge.assess import Assessment
from mailbot.judge.cases import matter_similarity, tracking_numbers_in
from mailbot.model import Category, FetchedMail, ParsedMail
from mailbot.registry.lookup import unit_of_sender
from mailbot.store import queries
from mailbot.store.batch import BatchCache
from mailbot.store.models import Case, Submission, Unit

if TYPE_CHECKING:
    from mailbot.app import App


@dataclass(frozen=True)
class Found:
    """The database's answers for one message."""

    unit: Unit | None
    case: Case | None
    linked_by: str  # how ``case`` was found ("" when it was not)
    owns_case: bool = False  # the sender opened ``case``, or is an address of the unit that did


def stored_twin(
    session: Session,
    fetched: FetchedMail,
    parsed: ParsedMail | None,
    sha: str,
    batch: BatchCache | None = None,
) -> Submission | None:
    """The stored submission this message repeats (same origin, or same Message-ID and content).

    With a ``batch`` only its content-hash cache is asked: the runner has already left out the keys it
    knows, and a key stored meanwhile by another instance fails the unique constraint, which rolls the
    batch back and redoes it one message at a time (with the full look-up)."""
    if batch is not None:
        mid = parsed.message_id if parsed else None
        return next((s for s in batch.twins.get(sha, ()) if not mid or s.message_id == mid), None)
    return queries.find_duplicate(
        session,
        source=fetched.source,
        mailbox=fetched.mailbox,
        uidvalidity=fetched.uidvalidity,
        key=fetched.key,
        message_id=parsed.message_id if parsed else None,
        sha256=sha,
    )


def look_up(app: App, session: Session, parsed: ParsedMail, a: Assessment, batch: BatchCache | None) -> Found:
    """The unit and the case link of a message that is not a duplicate."""
    unit = unit_of_sender(session, parsed, app.domains, batch.units if batch is not None else None)
    case: Case | None = None
    linked_by = ""
    if a.category.is_report or a.category == Category.OTHER:
        case, linked_by = _find_case(app, session, parsed, a)
    return Found(unit, case, linked_by, case is not None and sender_owns(parsed, unit, case))


def sender_owns(parsed: ParsedMail, unit: Unit | None, case: Case) -> bool:
    """Only the case's own sender, or a registered address of the unit that opened it, may change it."""
    if parsed.from_addr and parsed.from_addr.lower() == case.sender.lower():
        return True
    return unit is not None and bool(case.unit_name) and unit.name == case.unit_name


def _find_case(app: App, session: Session, parsed: ParsedMail, a: Assessment) -> tuple[Case | None, str]:
    """The urgent case this mail continues: by reply headers, tracking number, or a 续报 on the same matter."""
    refs = [r for r in (parsed.in_reply_to, *parsed.references) if r]
    if refs:
        for sub in queries.submissions_by_message_ids(session, refs):
            if sub.case_id is not None:
                return session.get(Case, sub.case_id), "reply_to_case_message"
        for item in queries.outbox_by_message_ids(session, refs):
            if item.case_id is not None:
                return session.get(Case, item.case_id), "reply_to_our_reply"
    for number in tracking_numbers_in(parsed.subject, app.config.office.tracking_prefix):
        case = queries.case_by_number(session, number)
        if case is None:
            linked = session.query(Submission).filter(Submission.tracking_no == number).first()
            case = session.get(Case, linked.case_id) if linked is not None and linked.case_id else None
        if case is not None:
            return case, f"tracking_number:{number}"
    if a.category == Category.FOLLOWUP:
        since = (parsed.date or app.now()) - timedelta(days=app.config.cases.link_window_days)
        best: tuple[float, Case | None] = (0.0, None)
        for case in queries.open_cases_from(session, [parsed.from_addr], None, since):
            score = matter_similarity(parsed.subject, parsed.text, case.subject, "")
            if score > best[0]:
                best = (score, case)
        if best[1] is not None and best[0] >= app.config.cases.similarity_threshold:
            return best[1], f"same_matter:{best[0]:.2f}"
    return None, ""
