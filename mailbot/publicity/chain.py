"""The sign-off chain of a publicity request over store/: head → leader in charge → office.

States: ``incomplete`` (a required field missing: the requester is told which, nothing is asked),
``pending_head``, ``pending_leader``, ``pending_office``, then ``approved`` (the office recorded the media
arranged) or ``rejected`` (any approver said 不同意: the chain ends, the requester is told why).

Each step is one :class:`~mailbot.store.models.PublicityStep` with a fresh 128-bit token; a step whose
approver nobody configured waits for the office (``mailbot publicity approve``). Every change is a
:class:`~mailbot.store.models.PublicityEvent` (who, when, from which message)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.publicity import mails
from mailbot.publicity.approvers import ROLE_LABELS, ROLES, approvers_for
from mailbot.publicity.form import PublicityForm
from mailbot.registry.lookup import unit_by_name
from mailbot.replies import compose
from mailbot.store import queries
from mailbot.store.models import PublicityEvent, PublicityNotice, PublicityRequest, PublicityStep, Unit

if TYPE_CHECKING:
    from mailbot.app import App
    from mailbot.store.models import Submission

log = logging.getLogger(__name__)

PENDING = {"head": "pending_head", "leader": "pending_leader", "office": "pending_office"}
FINAL = ("approved", "rejected")


def new_token() -> str:
    """128 random bits, hex: what an approver's answer must carry."""
    return secrets.token_hex(16)


def log_event(
    session: Session,
    *,
    at: datetime,
    actor: str,
    action: str,
    request: PublicityRequest | None = None,
    notice: PublicityNotice | None = None,
    step: PublicityStep | None = None,
    submission_id: int | None = None,
    message_id: str | None = None,
    detail: str | None = None,
) -> PublicityEvent:
    event = PublicityEvent(
        request_id=request.id if request is not None else None,
        notice_id=notice.id if notice is not None else None,
        step_id=step.id if step is not None else None,
        at=at,
        actor=actor[:320],
        action=action[:32],
        submission_id=submission_id,
        message_id=(message_id or None) and message_id[:998],
        detail=detail,
    )
    session.add(event)
    return event


def record_request(
    app: App, session: Session, sub: Submission, form: PublicityForm, sender_unit: Unit | None
) -> PublicityRequest:
    """A request received by mail: numbered, stored with its fields; its chain starts when it is complete."""
    now = app.now()
    written = form.fields.get("unit") or None
    unit = (unit_by_name(session, written) if written else None) or sender_unit
    year = now.astimezone(app.config.timezone).year
    req = PublicityRequest(
        number=queries.next_tracking_no(session, app.config.publicity.number_prefix, year),
        submission_id=sub.id,
        sender=sub.from_addr.lower(),
        unit_id=unit.id if unit is not None else None,
        unit_name=written or (unit.name if unit is not None else None),
        fields=dict(form.fields),
        media=list(form.media),
        missing=list(form.missing),
        source=form.source[:300],
        status="incomplete" if form.missing else PENDING["head"],
        created_at=now,
        updated_at=now,
    )
    session.add(req)
    session.flush()
    log_event(
        session,
        at=now,
        actor=f"mail:{req.sender}",
        action="received",
        request=req,
        submission_id=sub.id,
        message_id=sub.message_id,
        detail=f"来源 {form.source or '（无）'}"
        + (f"；缺少：{'、'.join(form.missing_labels())}" if form.missing else ""),
    )
    log.info(
        "publicity request %s from submission %s (%s): %s", req.number, sub.id, sub.message_id, req.status
    )
    if not form.missing:
        ask(app, session, req, "head")
    return req


def steps_of(session: Session, req: PublicityRequest) -> list[PublicityStep]:
    return list(
        session.scalars(
            select(PublicityStep).where(PublicityStep.request_id == req.id).order_by(PublicityStep.id)
        )
    )


def current_step(session: Session, req: PublicityRequest) -> PublicityStep | None:
    return next((s for s in reversed(steps_of(session, req)) if s.status == "pending"), None)


def opinions(session: Session, req: PublicityRequest, app: App) -> dict[str, str]:
    """role → "同意（name, when）…" for the steps decided so far (the form's opinion boxes)."""
    out: dict[str, str] = {}
    for s in steps_of(session, req):
        if s.status in ("approved", "rejected") and s.decided_at is not None:
            word = "同意" if s.status == "approved" else "不同意"
            when = s.decided_at.astimezone(app.config.timezone).strftime("%Y年%m月%d日 %H:%M")
            text = f"{word}{('：' + s.reason) if s.reason else ''}（{s.decided_by}，{when}）"
            out[s.role] = text
    return out


def ask(app: App, session: Session, req: PublicityRequest, role: str) -> PublicityStep:
    """Open the ``role`` step: a new token, the approval mail (or, with no approver, a note to the office)."""
    now = app.now()
    unit = session.get(Unit, req.unit_id) if req.unit_id else None
    who = approvers_for(session, app.config, unit, req.unit_name).of(role)
    step = PublicityStep(
        request_id=req.id,
        role=role,
        approvers=list(who),
        token=new_token(),
        status="pending",
        asked_at=now,
        reminders_sent=0,
    )
    session.add(step)
    req.status, req.updated_at = PENDING[role], now
    session.flush()
    if who:
        mails.queue_approval(app, session, req, step, opinions(session, req, app))
        log_event(
            session, at=now, actor="mailbot", action="asked", request=req, step=step, detail=", ".join(who)
        )
    else:
        log_event(session, at=now, actor="mailbot", action="no_approver", request=req, step=step)
        compose.queue_office_notice(
            app,
            session,
            what=f"宣传报道申报 {req.number} 无法确定{ROLE_LABELS[role]}",
            details=(
                f"申请部门（单位）：{req.unit_name or '（未写明）'}\n"
                f"请在配置 [publicity] 的 heads / leaders 中登记该部门的{ROLE_LABELS[role]}邮箱，"
                f"或在确认{ROLE_LABELS[role]}意见后用 mailbot publicity approve {req.number} 代为记录。"
            ),
            key=f"publicity_no_approver:{step.id}",
            submission_id=req.submission_id,
        )
    return step


def find_request(session: Session, ref: str) -> PublicityRequest:
    """By number (PR-2026-000001) or id; fails saying what to do."""
    ref = ref.strip()
    req = session.scalars(select(PublicityRequest).where(PublicityRequest.number == ref.upper())).first()
    if req is None and ref.isdigit():
        req = session.get(PublicityRequest, int(ref))
    if req is None:
        raise MailbotError(f"no publicity request {ref!r}; see `mailbot publicity list --all`")
    return req


def decide(
    app: App,
    session: Session,
    req: PublicityRequest,
    step: PublicityStep,
    *,
    decision: str,
    reason: str,
    media: str,
    actor: str,
    submission_id: int | None = None,
    message_id: str | None = None,
) -> None:
    """Record ``step``'s decision and move the chain on: the next step, or the end (told to the requester)."""
    now = app.now()
    if step.status != "pending" or req.status in FINAL:
        raise MailbotError(f"{req.number}: the {step.role} step is already {step.status}")
    step.status = "approved" if decision == "approve" else "rejected"
    step.decided_at, step.decided_by, step.reason = now, actor[:320], reason or None
    step.decision_message_id = message_id
    req.updated_at = now
    log_event(
        session,
        at=now,
        actor=actor,
        action=step.status,
        request=req,
        step=step,
        submission_id=submission_id,
        message_id=message_id,
        detail=f"{ROLE_LABELS[step.role]}：{reason}" if reason else ROLE_LABELS[step.role],
    )
    log.info("publicity request %s: %s %s by %s (%s)", req.number, step.role, step.status, actor, message_id)
    office = approvers_for(session, app.config, None, None).office
    if step.status == "rejected":
        req.status, req.decided_at = "rejected", now
        req.reason = reason or "（未说明理由）"
        mails.queue_result(app, session, req, opinions(session, req, app), office)
        compose.queue_office_notice(
            app,
            session,
            what=f"宣传报道申报 {req.number} 未获{ROLE_LABELS[step.role]}同意",
            details=f"申请部门（单位）：{req.unit_name or ''}\n理由：{req.reason}\n已告知申请人 {req.sender}。",
            key=f"publicity_rejected:{req.id}",
            submission_id=req.submission_id,
        )
        return
    if step.role == "office":
        req.status, req.decided_at = "approved", now
        req.media_arranged = media or None
        mails.queue_result(app, session, req, opinions(session, req, app), office)
        return
    ask(app, session, req, ROLES[ROLES.index(step.role) + 1])


def decide_by_office(
    app: App, session: Session, ref: str, *, decision: str, reason: str, media: str, actor: str
) -> PublicityRequest:
    """``mailbot publicity approve/reject``: the office records the pending step's decision (for the
    office step, with the media arranged)."""
    req = find_request(session, ref)
    if req.status in FINAL or req.status == "incomplete":
        raise MailbotError(f"{req.number} is {req.status}: nothing waits for a decision")
    step = current_step(session, req)
    if step is None:
        raise MailbotError(f"{req.number}: no pending step (state {req.status})")
    if decision == "approve" and step.role == "office" and not media.strip():
        raise MailbotError(
            f"{req.number} waits for the office: say which media were arranged, "
            f"e.g. mailbot publicity approve {req.number} --media '新疆电视台 记者王某'"
        )
    if decision == "reject" and not reason.strip():
        raise MailbotError(f"say why: mailbot publicity reject {req.number} --reason '…'")
    decide(
        app, session, req, step, decision=decision, reason=reason.strip(), media=media.strip(), actor=actor
    )
    return req


def remind_pending(app: App) -> int:
    """Remind approvers whose step waits longer than ``reminder_hours`` (at most ``max_reminders`` times)
    and tell the office once when a step waits longer than ``escalation_hours``. Returns mails queued."""
    p = app.config.publicity
    now = app.now()
    queued = 0
    with app.db.session() as session:
        pending = session.scalars(select(PublicityStep).where(PublicityStep.status == "pending")).all()
        for step in pending:
            req = session.get(PublicityRequest, step.request_id)
            if req is None or req.status in FINAL:
                continue
            last = step.last_reminder_at or step.asked_at
            if (
                step.approvers
                and step.reminders_sent < p.max_reminders
                and now - last >= timedelta(hours=p.reminder_hours)
            ):
                n = step.reminders_sent + 1
                if mails.queue_approval(app, session, req, step, opinions(session, req, app), reminder=n):
                    queued += 1
                step.reminders_sent, step.last_reminder_at = n, now
                log_event(
                    session,
                    at=now,
                    actor="mailbot",
                    action="reminded",
                    request=req,
                    step=step,
                    detail=f"第{n}次",
                )
            if step.escalated_at is None and now - step.asked_at >= timedelta(hours=p.escalation_hours):
                step.escalated_at = now
                waited = (now - step.asked_at).total_seconds() / 3600
                compose.queue_office_notice(
                    app,
                    session,
                    what=f"宣传报道申报 {req.number} 待{ROLE_LABELS[step.role]}审批已超过{p.escalation_hours:g}小时",
                    details=(
                        f"申请部门（单位）：{req.unit_name or ''}\n"
                        f"审批人：{', '.join(step.approvers) or '（未配置）'}\n"
                        f"已等待约 {waited:.0f} 小时，已提醒 {step.reminders_sent} 次。\n"
                        f"请督促审批，或在确认意见后用 mailbot publicity approve/reject {req.number} 代为记录。"
                    ),
                    key=f"publicity_escalated:{step.id}",
                    submission_id=req.submission_id,
                )
                queued += 1
                log_event(session, at=now, actor="mailbot", action="escalated", request=req, step=step)
    return queued
