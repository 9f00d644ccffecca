"""The pipeline's hook (called by :mod:`mailbot.intake.persist` for every stored, answered mail).

A mail that answers one of our approval mails (its token in the subject, or a reply to the approval's
Message-ID), or names a request and reads as 同意/不同意, is an approver's answer: it counts only when
:func:`mailbot.publicity.answer.hold_reason` finds nothing, else it is held for the office and logged.
Otherwise a mail classified ``publicity_request`` is recorded as a request. Returns the submission's flags.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.judge.automatic import TrustPolicy
from mailbot.model import Category, ParsedMail
from mailbot.publicity import chain, mails, notices
from mailbot.publicity.answer import HOLD_LABELS, StepFacts, hold_reason, read_answer, tag_in
from mailbot.publicity.form import read_form
from mailbot.replies import compose
from mailbot.store.batch import BatchCache
from mailbot.store.models import OutboxItem, PublicityRequest, PublicityStep, Submission, Unit

if TYPE_CHECKING:
    from mailbot.app import App
    from mailbot.intake.finalize import Decision

log = logging.getLogger(__name__)
_STEP_KEYS = ("publicity_step:", "publicity_reminder:")


def _step_by_reference(session: Session, parsed: ParsedMail) -> PublicityStep | None:
    """The step whose approval (or reminder) mail this one answers."""
    ids = [i for i in (parsed.in_reply_to, *reversed(parsed.references)) if i]
    if not ids:
        return None
    for (key,) in session.execute(select(OutboxItem.dedupe_key).where(OutboxItem.message_id.in_(ids[:50]))):
        if key.startswith(_STEP_KEYS):
            return session.get(PublicityStep, int(key.split(":")[1]))
    return None


def find_step(session: Session, parsed: ParsedMail) -> tuple[PublicityStep | None, str | None, str | None]:
    """(step, number named, token named): the token decides when there is one, else the reference."""
    number, token = tag_in(parsed.subject)
    if token:
        step = session.scalars(select(PublicityStep).where(PublicityStep.token == token)).first()
        return step, number, token
    return _step_by_reference(session, parsed), number, None


def on_mail(
    app: App,
    session: Session,
    sub: Submission,
    parsed: ParsedMail,
    d: Decision,
    unit: Unit | None,
    batch: BatchCache | None,
) -> list[str]:
    if d.archived:
        return []
    notice, names_notice = notices.find_notice(session, parsed)
    if notice is not None or names_notice:
        return notices.on_reply(app, session, sub, parsed, notice)
    step, number, token = find_step(session, parsed)
    if step is not None or token or (number and read_answer(parsed.text).decision):
        return _answer(app, session, sub, parsed, step, number)
    if d.category == Category.PUBLICITY_REQUEST:
        return _request(app, session, sub, parsed, d, unit, batch)
    return []


def _request(
    app: App,
    session: Session,
    sub: Submission,
    parsed: ParsedMail,
    d: Decision,
    unit: Unit | None,
    batch: BatchCache | None,
) -> list[str]:
    form = read_form(parsed)
    req = chain.record_request(app, session, sub, form, unit)
    plan = compose.reply_plan(app, session, sub, parsed, d.assessment, batch)
    if plan is not None and plan.no_reply is None and not plan.short:
        mails.queue_received(
            app, session, req, sub.id, plan.to, parsed.message_id, held=plan.held is not None
        )
    return [f"publicity_request:{req.number}", *(["publicity_incomplete"] if form.missing else [])]


def _answer(
    app: App,
    session: Session,
    sub: Submission,
    parsed: ParsedMail,
    step: PublicityStep | None,
    number: str | None,
) -> list[str]:
    now = app.now()
    req = session.get(PublicityRequest, step.request_id) if step is not None else None
    if req is None and number:
        req = session.scalars(select(PublicityRequest).where(PublicityRequest.number == number)).first()
    facts = None
    if step is not None and req is not None:
        facts = StepFacts(
            step.id,
            req.id,
            req.number,
            step.token,
            tuple(step.approvers or ()),
            step.status == "pending" and req.status not in chain.FINAL,
        )
    used: set[str] = set(
        m
        for m in session.scalars(
            select(PublicityStep.decision_message_id).where(
                PublicityStep.decision_message_id == (parsed.message_id or "")
            )
        )
        if m
    )
    p = app.config.publicity
    held = hold_reason(
        parsed,
        facts,
        named_number=number,
        used_message_ids=used,
        require_authentication=p.require_authentication or app.config.office.require_authentication,
        trust=app.config.trust or TrustPolicy(),
    )
    sender = parsed.from_addr.lower()
    if held is not None:
        log.warning(
            "submission %s (%s): answer to publicity request %s held: %s",
            sub.id,
            parsed.message_id,
            req.number if req is not None else number or "?",
            held,
        )
        chain.log_event(
            session,
            at=now,
            actor=f"mail:{sender}",
            action="held",
            request=req,
            step=step,
            submission_id=sub.id,
            message_id=parsed.message_id,
            detail=held,
        )
        compose.queue_office_notice(
            app,
            session,
            what=f"宣传报道申报 {req.number if req else number or ''} 收到一封未被计入的审批答复",
            details=(
                f"发件人：{sender or '（无）'}\n原因：{HOLD_LABELS.get(held, held)}（{held}）\n"
                "该答复没有改变审批状态。如确属审批人意见，请核实后用 "
                f"mailbot publicity approve/reject {req.number if req else '编号'} 代为记录。"
            ),
            key=f"publicity_held:{sub.id}",
            submission_id=sub.id,
        )
        if req is not None:
            mails.queue_answer_receipt(
                app, session, req, sub.id, sender, parsed.message_id, decision=None, held=held
            )
        return ["publicity_answer_held", f"publicity_held:{held}"]
    assert step is not None and req is not None
    answer = read_answer(parsed.text)
    assert answer.decision is not None
    chain.decide(
        app,
        session,
        req,
        step,
        decision=answer.decision,
        reason=answer.reason,
        media=answer.media or (answer.reason if step.role == "office" else ""),
        actor=f"mail:{sender}",
        submission_id=sub.id,
        message_id=parsed.message_id,
    )
    mails.queue_answer_receipt(
        app, session, req, sub.id, sender, parsed.message_id, decision=answer.decision, held=None
    )
    return [f"publicity_answer:{answer.decision}"]
