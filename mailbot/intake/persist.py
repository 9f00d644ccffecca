"""Persist: write what was decided (no decisions here).

One submission row with its raw bytes, its unit, its tracking number, the urgent case opened, joined
or closed, a registration waiting for the office, a bounce's undeliverable marks, and the replies
queued in the outbox: all in the caller's transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from mailbot.intake.finalize import Decision
from mailbot.intake.lookup import Found
from mailbot.judge.regform import read_form
from mailbot.model import CaseStatus, Category, FetchedMail, ParsedMail, SubmissionStatus
from mailbot.registry.registrations import record_registration
from mailbot.replies import compose
from mailbot.store import ids, queries
from mailbot.store.batch import BatchCache
from mailbot.store.models import Case, RawMessage, Submission

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from mailbot.app import App


def new_submission(
    app: App, fetched: FetchedMail, sha: str, parsed: ParsedMail | None, status: str
) -> Submission:
    """A submission row for these bytes, with what the parser read (nothing judged yet)."""
    now = app.now()
    sub = Submission(
        status=status,
        source=fetched.source,
        mailbox=fetched.mailbox,
        uidvalidity=fetched.uidvalidity,
        uid=fetched.uid,
        source_key=fetched.key,
        sha256=sha,
        size=len(fetched.raw),
        internaldate=fetched.internaldate,
        fetched_at=now,
        references=[],
        to_addrs=[],
        cc_addrs=[],
        attachments=[],
        defects=[],
        reasons=[],
        flags=[],
        approximate=False,
        old_domain=False,
        from_addr="",
        from_name="",
        subject="",
        body_text="",
        reported_at=fetched.internaldate,
    )
    if parsed is not None:
        sub.message_id = (parsed.message_id or None) and parsed.message_id[:998]
        sub.in_reply_to = parsed.in_reply_to and parsed.in_reply_to[:998]
        sub.references = list(parsed.references[-50:])
        sub.date_header = parsed.date
        sub.from_addr = parsed.from_addr[:320]
        sub.from_name = parsed.from_name[:500]
        sub.to_addrs = list(parsed.to)
        sub.cc_addrs = list(parsed.cc)
        sub.subject = parsed.subject
        sub.body_text = parsed.text[:200_000]
        sub.attachments = [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in parsed.attachments
        ]
        sub.defects = list(parsed.defects)
        sub.reported_at = fetched.internaldate or parsed.date
    return sub


def add_raw(session: Session, sub: Submission, raw: bytes, packed: tuple[str, bytes] | None = None) -> None:
    """The raw bytes of ``sub``, written with it (before or after its INSERT); ``packed``: the bytes
    already packed by :func:`~mailbot.store.queries.pack_raw` (in the prepare worker)."""
    kind, data = packed if packed is not None else queries.pack_raw(raw)
    row = RawMessage(compression=kind, data=data)
    row.submission = sub  # the relationship sets submission_id at the flush
    session.add(row)


def persist(
    app: App,
    session: Session,
    fetched: FetchedMail,
    parsed: ParsedMail,
    sha: str,
    found: Found,
    d: Decision,
    batch: BatchCache | None,
    *,
    packed: tuple[str, bytes] | None = None,
) -> Submission:
    """Store the submission as decided and queue its replies; returns the stored row."""
    now = app.now()
    cfg = app.config
    a, j, category = d.assessment, d.assessment.judgement, d.category
    sub = new_submission(
        app, fetched, sha, parsed, SubmissionStatus.ARCHIVED if d.archived else SubmissionStatus.STORED
    )
    if found.unit is not None:
        sub.unit_id, sub.unit_name = found.unit.id, found.unit.name
    if category.is_report:
        year = j.reported_at.astimezone(cfg.timezone).year
        sub.tracking_no = queries.next_tracking_no(session, cfg.office.tracking_prefix, year, batch)
    sub.category = category.value
    sub.reasons = list(a.classification.reasons)
    if a.event is not None:
        sub.event_start, sub.event_end = a.event.start, a.event.end
        sub.event_text, sub.event_granularity = a.event.text[:200], a.event.granularity.value
    sub.reported_at = j.reported_at
    sub.deadline = j.deadline
    sub.verdict = j.verdict.value if j.verdict else None
    sub.lateness_minutes = j.lateness_minutes
    sub.approximate = j.approximate
    sub.old_domain = a.old_domain is not None
    # Written once: every field that is known before the row exists is set before its INSERT (the
    # case it opens or joins first, then the decision's flags), so the flush below is its only write
    # unless replies or a publicity request add flags (SQLAlchemy skips an UPDATE of equal values).
    case = _case(session, sub, parsed, found, d, now)
    flags = list(d.flags)
    sub.flags = sorted(set(flags))
    add_raw(session, sub, fetched.raw, packed)
    session.add(sub)
    # sub.id: the replies, the registration and the publicity request refer to it. The batch path
    # hands it out before the INSERT (mailbot.store.ids), so the chunk's rows go in one flush;
    # otherwise the INSERT gives it.
    if not ids.assign(session, sub):
        session.flush()
    if batch is not None:
        batch.note_stored(sub)

    registration = None
    if category == Category.REGISTRATION:
        registration = record_registration(session, sub, read_form(parsed), found.unit, now)
    if category == Category.BOUNCE:
        _record_bounce(session, parsed, sub, now, batch)
    from mailbot.publicity.intake import on_mail as publicity_mail  # 附件2 requests and their approvals

    flags.extend(publicity_mail(app, session, sub, parsed, d, found.unit, batch))
    refused = next((f for f in d.flags if f.startswith("case_change_refused:")), None)
    if refused is not None and found.case is not None:
        compose.queue_office_notice(
            app,
            session,
            what=f"来信涉及紧急事件 {found.case.number}，但未被采纳为其续报/终报（{sub.tracking_no or '#' + str(sub.id)}）",
            details=f"发件人：{parsed.from_addr or '（无）'}\n事件：{found.case.number}（{found.case.sender}）\n"
            f"原因：{'发件人不是该事件的报送单位' if refused.endswith('not_case_owner') else '邮件认证未通过'}",
            key=f"case_refused:{sub.id}",
            submission_id=sub.id,
        )
    if not d.archived:
        flags.extend(
            compose.queue_replies(app, session, sub, parsed, a, case, registration=registration, batch=batch)
        )
    sub.flags = sorted(set(flags))
    return sub


def _case(
    session: Session, sub: Submission, parsed: ParsedMail, found: Found, d: Decision, now: datetime
) -> Case | None:
    """Open, join or close the urgent case as decided (``sub`` is not in the session yet: it gets its
    case_id before its INSERT)."""
    reported_at = d.assessment.judgement.reported_at
    case = found.case if d.link_case else None
    if d.open_case and sub.tracking_no:
        case = Case(
            number=sub.tracking_no,
            status=CaseStatus.OPEN,
            sender=parsed.from_addr,
            unit_name=sub.unit_name,
            subject=parsed.subject[:2000],
            opened_at=reported_at,
            last_report_at=reported_at,
            reminders_sent=0,
        )
        session.add(case)
        if not ids.assign(session, case):  # case.id: the submission and its replies name it
            session.flush()
    elif case is not None:
        case.last_report_at = max(case.last_report_at, reported_at)
        case.reminders_sent = 0
        case.last_reminder_at = None
    if case is not None:
        sub.case_id = case.id
        if d.close_case and case.status == CaseStatus.OPEN:
            queries.close_case(session, case, now, "final_report")
    return case


def _record_bounce(
    session: Session, parsed: ParsedMail, sub: Submission, now: datetime, batch: BatchCache | None
) -> None:
    """A delivery failure of one of our own replies marks its failed recipients undeliverable: only
    addresses that reply was sent to (a bounce cannot mark anyone else), and, when the bounce names no
    recipient, the reply's address only if it went to exactly one."""
    ours = queries.outbox_by_message_ids(session, [parsed.dsn_original_message_id or ""])
    named = {r.strip().lower() for r in parsed.dsn_recipients if r.strip()}
    for item in ours:
        sent_to = {a.strip().lower(): a for a in item.to_addrs or []}
        if named:
            targets = {sent_to[r] for r in named if r in sent_to}
        else:
            targets = set(sent_to.values()) if len(sent_to) == 1 else set()
        if not targets:
            item.last_error = "bounced: no recipient of this reply named"
            log.info(
                "bounce of %s %s names none of its recipients: nobody marked", item.kind, item.message_id
            )
            continue
        for addr in targets:
            queries.mark_undeliverable(
                session, addr, f"bounce of {item.kind} {item.message_id}", now, sub.id, batch
            )
        item.last_error = f"bounced: {', '.join(sorted(targets))}"
