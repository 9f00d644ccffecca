"""Adoption commands mailed by the office (replies to receipts): read, checked, applied once, confirmed.

A stored mail that answers a receipt and carries ``采用：…`` lines (or comes from an office address) is
examined once: the rules of :mod:`mailbot.adoption.mailcmd` decide; an accepted command records the
adoption(s) of the receipt's report (actor ``mail:ADDRESS``) and the sender gets a confirmation; a
refused one records nothing, gets the flag ``adoption_mail:refused:<why>`` on the submission, a warning
in the log (UID, Message-ID) and a mail to ``office.notify``. The outbox key ``adoption_mail:<id>`` and
the flag make each mail count at most once, in one transaction with what it recorded.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mailbot.adoption.mailcmd import REFUSAL_LABELS, command_lines, read_command, refusal
from mailbot.adoption.records import AdoptionInput, RecordOutcome, add_adoption
from mailbot.mail.parse import parse_mail
from mailbot.model import SubmissionStatus
from mailbot.publicity.answer import authentication_problem
from mailbot.replies.compose import enqueue
from mailbot.replies.render import reply_message_id
from mailbot.store.models import OutboxItem, Submission
from mailbot.store.queries import raw_bytes

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)
FLAG = "adoption_mail"
WINDOW = timedelta(days=30)  # how far back stored mail is examined
TEMPLATE = "notice_adoption"


@dataclass(frozen=True)
class MailOutcome:
    submission_id: int
    status: str  # recorded, refused
    reason: str | None = None
    results: list[str] = field(default_factory=list)


def _candidates(session: Session, app: App) -> list[Submission]:
    own = [a.lower() for a in app.config.office.own_addresses]
    stmt = (
        select(Submission)
        .where(
            Submission.fetched_at >= app.now() - WINDOW,
            Submission.in_reply_to.is_not(None),
            Submission.status != SubmissionStatus.QUARANTINED,
            or_(Submission.category.is_(None), Submission.category.not_in(("bounce", "auto_reply"))),
            Submission.body_text.like("%采用%"),
        )
        .order_by(Submission.id)
    )
    return [
        s
        for s in session.scalars(stmt)
        if not any(str(f).startswith(FLAG) for f in s.flags or [])
        and (s.from_addr.lower() in own or command_lines(s.body_text))
    ]


def _receipt(session: Session, sub: Submission) -> Submission | None:
    refs = [r for r in [sub.in_reply_to, *(sub.references or [])] if r]
    if not refs:
        return None
    item = session.scalars(
        select(OutboxItem).where(OutboxItem.message_id.in_(refs), OutboxItem.kind == "receipt")
    ).first()
    if item is None or item.submission_id is None:
        return None
    return session.get(Submission, item.submission_id)


def _apply_one(app: App, session: Session, sub: Submission) -> MailOutcome:
    cfg = app.config
    raw = raw_bytes(session, sub.id)
    parsed = parse_mail(raw or b"", now=sub.fetched_at)
    report = _receipt(session, sub)
    lines = command_lines(sub.body_text)
    reason = refusal(
        from_addr=sub.from_addr,
        own_addresses=cfg.office.own_addresses,
        receipt_found=report is not None and bool(report.tracking_no),
        auth_problem=authentication_problem(parsed, cfg.trust),
        require_authentication=cfg.office.require_authentication,
        has_command=bool(lines),
    )
    results: list[str] = []
    if reason is None and report is not None:
        day = (sub.date_header or sub.fetched_at).astimezone(cfg.timezone).date()
        for line in lines:
            command = read_command(line)
            if command.outlet is None:
                results.append(f"未登记：{command.error}")
                continue
            outcome: RecordOutcome = add_adoption(
                session,
                AdoptionInput(
                    report.tracking_no or "",
                    command.outlet,
                    command.day or day,
                    outlet_name=command.outlet_name,
                    issue=command.issue,
                ),
                actor=f"mail:{sub.from_addr.lower()}",
                source="mail",
                now=app.now(),
            )
            word = {"added": "已登记", "unchanged": "此前已登记"}.get(outcome.action, "未登记")
            results.append(f"{word}：{outcome.detail}")
    status = "recorded" if reason is None else "refused"
    sub.flags = [*(sub.flags or []), f"{FLAG}:{status}" + (f":{reason}" if reason else "")]
    number = report.tracking_no if report is not None else None
    context = {
        "office": {"name": cfg.office.name, "address": cfg.office.address, "contact": cfg.office.contact},
        "accepted": reason is None,
        "reason": REFUSAL_LABELS.get(reason or "", reason or ""),
        "sender": sub.from_addr,
        "mail_subject": sub.subject,
        "received_at": sub.fetched_at,
        "number": number or "—",
        "results": results,
        "commands": lines,
    }
    to = (sub.from_addr,) if reason is None else cfg.office.notify
    reply = app.renderer.render_mail(
        "adoption_mail",
        template=TEMPLATE,
        context=context,
        from_addr=cfg.office.address,
        from_name=cfg.office.name,
        to=to,
        subject=f"【采用登记】{'已处理' if reason is None else '未执行（请核实）'} {number or sub.subject}",
        message_id=reply_message_id("adoption", str(sub.id), cfg.office.message_id_domain),
        date=app.now(),
        in_reply_to=sub.message_id if reason is None else None,
    )
    enqueue(app, session, reply, dedupe_key=f"{FLAG}:{sub.id}", submission_id=sub.id)
    if reason is not None:
        log.warning(
            "adoption command refused (%s): submission %d, UID %s, Message-ID %s, from %s",
            reason,
            sub.id,
            sub.uid,
            sub.message_id,
            sub.from_addr,
        )
    else:
        log.info(
            "adoption command applied: submission %d, Message-ID %s, report %s",
            sub.id,
            sub.message_id,
            number,
        )
    return MailOutcome(sub.id, status, reason, results)


def apply_office_mail(app: App) -> list[MailOutcome]:
    """Examine every new command mail once; one transaction per mail."""
    with app.db.session() as session:
        ids = [s.id for s in _candidates(session, app)]
    outcomes = []
    for sid in ids:
        with app.db.session() as session:
            sub = session.get(Submission, sid)
            if sub is None or any(str(f).startswith(FLAG) for f in sub.flags or []):
                continue
            outcomes.append(_apply_one(app, session, sub))
    return outcomes
