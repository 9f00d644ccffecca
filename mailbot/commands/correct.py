"""``mailbot correct`` and ``mailbot corrections list|export``: the office fixes a judgement.

A correction names a submission (its tracking number ``JB-2026-000123`` or ``#ID``), the right
category and, optionally, the right event time. In one transaction it

1. records who (``--by`` or the OS user), when, the values before and after, and a note;
2. judges the submission again with :func:`mailbot.judge.deadlines.judge` (deadline, verdict,
   lateness) and updates the register (flag ``corrected``; a report that had no tracking number gets
   one);
3. keeps urgent cases simple: a correction *to* urgent opens a case numbered by the tracking number
   (as an urgent report on arrival would) and alerts the duty desk; a correction *away from* urgent
   (or 续报) closes the case this submission opened (``closed_by = "correction"``), so no reminders
   follow; a correction to 续报 links to no case (the office joins cases by hand, not by guess);
4. queues a corrected receipt (the receipt template with its 【更正】 note) unless
   ``[corrections] send_receipt = false`` or ``--no-receipt``; it is held when the original receipt
   was held, and not sent for an archived backlog message or a sender mailbot never answers.

``mailbot corrections export FILE.jsonl`` writes the corrected submissions in the format of
``tests/eval/*.jsonl`` (with ``"source": "correction:<tracking number>"``): the office's fixed
mistakes become training and evaluation data.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.app import App
from mailbot.errors import MailbotError
from mailbot.judge import loops
from mailbot.judge.deadlines import CALENDAR_PROVISIONAL, judge
from mailbot.mail.parse import parse_mail
from mailbot.model import CaseStatus, Category, EventTime, Granularity, Judgement, OutboxStatus
from mailbot.replies import compose
from mailbot.replies.render import reply_message_id
from mailbot.store import queries
from mailbot.store.models import Case, Correction, OutboxItem, Submission

__all__ = [
    "OFFICE_EVENT_PREFIX",
    "CorrectionResult",
    "correct",
    "export_corrections",
    "find_submission",
    "list_corrections",
    "parse_event_time",
]

# The stored phrase of an event time given by the office (not a phrase of the mail).
OFFICE_EVENT_PREFIX = "办公室更正："
# Flags judge() sets; a new judgement replaces them.
_JUDGE_FLAGS = frozenset(
    {
        "date_header_in_future",
        "date_header_far_past",
        "reported_at_from_date_header",
        "event_after_report",
        CALENDAR_PROVISIONAL,
    }
)
_URGENT = frozenset({Category.URGENT, Category.FOLLOWUP})
_EVENT_FORMATS: tuple[tuple[re.Pattern[str], Granularity, timedelta | None], ...] = (
    (re.compile(r"^\d{4}-\d{2}$"), Granularity.MONTH, None),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), Granularity.DAY, timedelta(days=1)),
    (re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}$"), Granularity.HOUR, timedelta(hours=1)),
    (re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}$"), Granularity.MINUTE, timedelta(minutes=1)),
)


@dataclass(frozen=True)
class CorrectionResult:
    correction_id: int
    submission_id: int
    tracking_no: str | None
    lines: tuple[str, ...]  # what was done, for the office


def parse_event_time(text: str, tz: ZoneInfo) -> EventTime:
    """``YYYY-MM`` (a month), ``YYYY-MM-DD`` (a day), ``YYYY-MM-DD HH`` (an hour) or ``YYYY-MM-DD HH:MM``,
    local time in ``tz``."""
    value = text.strip()
    for pattern, granularity, span in _EVENT_FORMATS:
        if not pattern.match(value):
            continue
        try:
            if granularity is Granularity.MONTH:
                start = datetime.strptime(value, "%Y-%m").replace(tzinfo=tz)
                end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
            else:
                naive = datetime.fromisoformat(
                    value.replace(" ", "T") + (":00" if granularity is Granularity.HOUR else "")
                )
                start = naive.replace(tzinfo=tz)
                assert span is not None
                end = start + span
        except ValueError:
            break
        return EventTime(start, end, f"{OFFICE_EVENT_PREFIX}{value}", granularity)
    raise MailbotError(
        f"--event-time {text!r}: give YYYY-MM-DD, YYYY-MM-DD HH, YYYY-MM-DD HH:MM or YYYY-MM (local time)"
    )


def find_submission(session: Session, number: str) -> Submission:
    """A submission by tracking number (``JB-2026-000123``) or ``#ID``."""
    value = number.strip()
    sub: Submission | None
    if value.startswith("#") and value[1:].isdigit():
        sub = session.get(Submission, int(value[1:]))
    else:
        sub = session.scalars(select(Submission).where(Submission.tracking_no == value.upper())).first()
    if sub is None:
        raise MailbotError(f"no submission {number!r}: give a tracking number such as JB-2026-000123, or #ID")
    return sub


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _stored_event(sub: Submission) -> EventTime | None:
    if sub.event_start is None or sub.event_end is None or not sub.event_granularity:
        return None
    return EventTime(sub.event_start, sub.event_end, sub.event_text or "", Granularity(sub.event_granularity))


def _event_context(event: EventTime | None) -> dict[str, Any] | None:
    if event is None:
        return None
    corrected = event.text.startswith(OFFICE_EVENT_PREFIX)
    return {
        "start": event.start,
        "text": event.text.removeprefix(OFFICE_EVENT_PREFIX),
        "granularity": event.granularity.value,
        "corrected": corrected,
    }


def correct(
    app: App,
    number: str,
    *,
    category: str,
    event_time: str | None = None,
    by: str | None = None,
    note: str | None = None,
    send_receipt: bool | None = None,
) -> CorrectionResult:
    """Record the correction, judge again, update the register and queue the corrected receipt."""
    try:
        new_category = Category(category)
    except ValueError:
        raise MailbotError(
            f"--category {category!r}: use one of {', '.join(c.value for c in Category)}"
        ) from None
    tz = app.config.timezone
    new_event = parse_event_time(event_time, tz) if event_time else None
    who = (by or _os_user()).strip()[:100] or "unknown"
    now = app.now()
    lines: list[str] = []
    with app.db.session() as session:
        sub = find_submission(session, number)
        if sub.status == "quarantined":
            raise MailbotError(f"submission #{sub.id} is quarantined; run mailbot reprocess {sub.id} first")
        before_category = sub.category
        before_event = _stored_event(sub)
        event = new_event if new_event is not None else before_event
        arrived = sub.internaldate or sub.reported_at
        j = judge(new_category, event, internaldate=arrived, date_header=sub.date_header, policy=app.policy)
        corr = Correction(
            submission_id=sub.id,
            corrected_by=who,
            corrected_at=now,
            before_category=before_category,
            after_category=new_category.value,
            before_event_start=before_event.start if before_event else None,
            before_event_end=before_event.end if before_event else None,
            before_event_text=before_event.text[:200] if before_event else None,
            before_event_granularity=before_event.granularity.value if before_event else None,
            after_event_start=event.start if event else None,
            after_event_end=event.end if event else None,
            after_event_text=event.text[:200] if event else None,
            after_event_granularity=event.granularity.value if event else None,
            note=note,
        )
        session.add(corr)
        if new_category.is_report and sub.tracking_no is None:
            year = j.reported_at.astimezone(tz).year
            sub.tracking_no = queries.next_tracking_no(session, app.config.office.tracking_prefix, year)
            lines.append(f"tracking number {sub.tracking_no} given (now a report)")
        _apply(sub, new_category, event, j)
        session.flush()
        label = sub.tracking_no or f"#{sub.id}"
        lines.insert(0, f"{label}: {before_category} → {new_category.value}; verdict {sub.verdict or '—'}")
        case = _cases(app, session, sub, Category(before_category or "other"), new_category, now, lines)
        if new_category == Category.URGENT and before_category != Category.URGENT.value:
            _alert(app, session, sub, case, j, lines)
        wanted = app.config.corrections.send_receipt if send_receipt is None else send_receipt
        if wanted:
            _receipt(app, session, sub, corr, case, before_category, before_event, j, lines)
        else:
            lines.append("no corrected receipt (switched off)")
        correction_id = corr.id
        submission_id, tracking_no = sub.id, sub.tracking_no
    return CorrectionResult(correction_id, submission_id, tracking_no, tuple(lines))


def _apply(sub: Submission, category: Category, event: EventTime | None, j: Judgement) -> None:
    sub.category = category.value
    if event is not None:
        sub.event_start, sub.event_end = event.start, event.end
        sub.event_text, sub.event_granularity = event.text[:200], event.granularity.value
    sub.reported_at = j.reported_at
    sub.deadline = j.deadline
    sub.verdict = j.verdict.value if j.verdict else None
    sub.lateness_minutes = j.lateness_minutes
    sub.approximate = j.approximate
    kept = [f for f in (sub.flags or []) if f not in _JUDGE_FLAGS]
    sub.flags = sorted({*kept, *j.flags, "corrected"})


def _cases(
    app: App,
    session: Session,
    sub: Submission,
    before: Category,
    after: Category,
    now: datetime,
    lines: list[str],
) -> Case | None:
    """To urgent: open the submission's own case; away from urgent/续报: close the case it opened."""
    case = session.get(Case, sub.case_id) if sub.case_id is not None else None
    if after == Category.URGENT and case is None and sub.tracking_no:
        case = queries.case_by_number(session, sub.tracking_no)
        if case is None:
            reported_at = sub.reported_at or now
            case = Case(
                number=sub.tracking_no,
                status=CaseStatus.OPEN,
                sender=sub.from_addr,
                unit_name=sub.unit_name,
                subject=(sub.subject or "")[:2000],
                opened_at=reported_at,
                last_report_at=reported_at,
                reminders_sent=0,
            )
            session.add(case)
            session.flush()
            lines.append(f"urgent case {case.number} opened")
        sub.case_id = case.id
    elif (
        before in _URGENT
        and after not in _URGENT
        and case is not None
        and case.number == sub.tracking_no
        and case.status == CaseStatus.OPEN
    ):
        queries.close_case(session, case, now, "correction")
        lines.append(f"urgent case {case.number} closed (no longer urgent; no more reminders)")
    return case


def _context(
    app: App, sub: Submission, case: Case | None, event: EventTime | None, j: Judgement
) -> dict[str, Any]:
    return {
        **compose.office_context(app),
        "greeting": compose.greeting(sub.unit_name or sub.from_name, sub.from_addr),
        "tracking_no": sub.tracking_no,
        "received_at": sub.reported_at,
        "subject": sub.subject or "（无主题）",
        "attachments": sub.attachments,
        "category": sub.category,
        "reasons": [],  # the office decided: the rules' reasons argued for the old category
        "event": _event_context(event),
        "deadline": sub.deadline,
        "verdict": sub.verdict,
        "lateness_minutes": sub.lateness_minutes,
        "approximate": sub.approximate,
        "rule_text": compose.rule_text(sub.category or "", app.policy),
        "case_number": case.number if case is not None else None,
        "case_closed": case is not None and case.status == CaseStatus.CLOSED,
        "old_domain": None,
        "calendar_provisional": CALENDAR_PROVISIONAL in j.flags,
        "sender": f"{sub.from_name} <{sub.from_addr}>" if sub.from_name else sub.from_addr,
        "excerpt": (sub.body_text or "").strip()[:600],
    }


def _alert(
    app: App, session: Session, sub: Submission, case: Case | None, j: Judgement, lines: list[str]
) -> None:
    """The duty desk hears of a report the office made urgent (once: the same key as on arrival)."""
    recipients = app.config.office.alert_recipients
    if not recipients:
        return
    o = app.config.office
    reply = app.renderer.render_mail(
        "alert",
        template="alert",
        context=_context(app, sub, case, _stored_event(sub), j),
        from_addr=o.address,
        from_name=o.name,
        to=recipients,
        subject=f"【紧急信息提示】{sub.tracking_no}（办公室更正为紧急信息）{sub.subject}",
        message_id=reply_message_id("alert", f"{sub.id}", o.message_id_domain),
        date=app.now(),
    )
    if compose.enqueue(
        app,
        session,
        reply,
        dedupe_key=f"alert:{sub.id}",
        submission_id=sub.id,
        case_id=case.id if case else None,
    ):
        lines.append("duty desk alerted")


def _receipt(
    app: App,
    session: Session,
    sub: Submission,
    corr: Correction,
    case: Case | None,
    before_category: str | None,
    before_event: EventTime | None,
    j: Judgement,
    lines: list[str],
) -> None:
    if not Category(sub.category or "other").is_report:
        lines.append("no corrected receipt (not a report)")
        return
    if sub.status != "stored":
        lines.append(f"no corrected receipt (the submission is {sub.status}; it was never answered)")
        return
    recipient = (sub.from_addr or "").lower()
    raw = queries.raw_bytes(session, sub.id)
    reason = loops.no_reply_reason(parse_mail(raw), app.config.office.own_addresses) if raw else None
    if reason is None and (not recipient or queries.is_undeliverable(session, recipient)):
        reason = "undeliverable_sender"
    if reason is not None:
        lines.append(f"no corrected receipt ({reason})")
        return
    event = _event_context(_stored_event(sub))
    before = _event_context(before_event)
    ctx = _context(app, sub, case, _stored_event(sub), j)
    ctx["correction"] = {
        "before_category": before_category or "other",
        "before_event": before,
        "category_changed": before_category != sub.category,
        "event_changed": (before or {}).get("start") != (event or {}).get("start")
        or (before or {}).get("granularity") != (event or {}).get("granularity"),
    }
    held = session.scalar(
        select(OutboxItem.id).where(
            OutboxItem.submission_id == sub.id,
            OutboxItem.kind == "receipt",
            OutboxItem.status == OutboxStatus.HELD,
        )
    )
    o = app.config.office
    refs = [*(sub.references or []), *([sub.message_id] if sub.message_id else [])]
    reply = app.renderer.render_mail(
        "receipt_corrected",
        template="receipt",
        context=ctx,
        from_addr=o.address,
        from_name=o.name,
        to=[recipient],
        subject=f"[更正回执 {sub.tracking_no}] {sub.subject or '（无主题）'}",
        message_id=reply_message_id("receipt_corrected", f"{sub.id}", o.message_id_domain),
        date=app.now(),
        in_reply_to=sub.message_id,
        references=refs,
    )
    session.flush()
    compose.enqueue(
        app,
        session,
        reply,
        dedupe_key=f"receipt_corrected:{corr.id}",
        submission_id=sub.id,
        case_id=case.id if case else None,
        status=OutboxStatus.HELD if held is not None else OutboxStatus.PENDING,
    )
    lines.append(f"corrected receipt queued to {recipient}" + (" (held, as the receipt was)" if held else ""))


# --- list and export -------------------------------------------------------------------------------


def _when(value: datetime | None, tz: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.astimezone(tz).strftime(fmt) if value is not None else "—"


def list_corrections(app: App) -> str:
    tz = app.config.timezone
    lines = []
    with app.db.session() as session:
        rows = session.execute(
            select(Correction, Submission.tracking_no).join(Submission).order_by(Correction.id)
        ).all()
        for c, tracking in rows:
            event = ""
            if (c.before_event_start, c.before_event_granularity) != (
                c.after_event_start,
                c.after_event_granularity,
            ):
                event = f"; event {_when(c.before_event_start, tz)} → {_when(c.after_event_start, tz)}"
            lines.append(
                f"{c.id:>4}  {tracking or '#' + str(c.submission_id)}  {_when(c.corrected_at, tz)}  by {c.corrected_by}: "
                f"{c.before_category or '—'} → {c.after_category}{event}"
                + (f"  ({c.note})" if c.note else "")
            )
    return "\n".join(lines) or "no corrections"


def _iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


def export_rows(app: App) -> list[dict[str, Any]]:
    """One labelled row per corrected submission (its latest correction), in the eval JSONL format."""
    tz = app.config.timezone
    with app.db.session() as session:
        latest: dict[int, Correction] = {}
        for c in session.scalars(select(Correction).order_by(Correction.id)):
            latest[c.submission_id] = c
        rows = []
        for sub_id, c in sorted(latest.items()):
            sub = session.get(Submission, sub_id)
            if sub is None:
                continue
            label = sub.tracking_no or f"#{sub.id}"
            text = c.after_event_text
            rows.append(
                {
                    "id": f"correction-{label}",
                    "subject": sub.subject or "",
                    "body": sub.body_text or "",
                    "sent_at": _iso(sub.date_header or sub.reported_at, tz),
                    "category": c.after_category,
                    "event_time": _iso(c.after_event_start, tz),
                    "granularity": c.after_event_granularity,
                    # the phrase of the mail; null when the office gave the time itself
                    "event_time_text": None if text is None or text.startswith(OFFICE_EVENT_PREFIX) else text,
                    "source": f"correction:{label}",
                }
            )
    return rows


def export_corrections(app: App, path: Path) -> int:
    """Write the labelled rows to ``path`` (created 0600; replaced when it exists); returns their number."""
    rows = export_rows(app)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)
