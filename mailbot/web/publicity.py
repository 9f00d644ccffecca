"""The console's publicity pages: the requests (附件2) with their sign-off state, one request in full, and
the approver's decision.

Who may decide the pending step of a request (:func:`deciding_as`): an account whose mail address is
one of the addresses the step was asked of (the approver, as an answer by mail from that address
would), or, for a step nobody was configured to sign, office staff (as ``mailbot publicity approve``
allows). The decision goes through the chain's own functions (``chain.decide`` for the approver,
``chain.decide_by_office`` for the office): the console holds no second copy of the state change.
Everyone else sees the state and no buttons, and a POST from them is refused with 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from mailbot.errors import MailbotError
from mailbot.publicity import chain
from mailbot.publicity.approvers import ROLE_LABELS
from mailbot.publicity.mails import STATUS_LABELS, request_context
from mailbot.publicity.notices import NOTICE_FIELD_LABELS
from mailbot.store.accounts import AuditEntry
from mailbot.store.models import PublicityEvent, PublicityNotice, PublicityRequest, PublicityStep
from mailbot.web.accounts import CAN_ACT, audit

if TYPE_CHECKING:
    from mailbot.web.server import Console

DECISIONS = {"approve": "同意", "reject": "不同意"}
STEP_LABELS = {"pending": "待审批", "approved": "同意", "rejected": "不同意", "cancelled": "已取消"}
ACTION_LABELS = {
    "received": "收到申报",
    "asked": "发送审批邮件",
    "no_approver": "无审批人，待办公室代为记录",
    "approved": "同意",
    "rejected": "不同意",
    "held": "答复未计入",
    "reminded": "提醒",
    "escalated": "超时告知办公室",
    "notice_sent": "发出通知单",
    "confirmed": "单位确认",
    "feedback": "单位反馈宣传情况",
}
NOTICE_STATUS = {"sent": "已发送", "confirmed": "已确认", "reported": "已反馈"}


def deciding_as(approvers: Sequence[str], email: str | None, role: str) -> str | None:
    """``approver`` when ``email`` is one of the step's ``approvers``; ``office`` when the step has no
    configured approver and the account is office staff; None: the account may not decide it."""
    if email and email.strip().lower() in {a.strip().lower() for a in approvers}:
        return "approver"
    if not approvers and role in CAN_ACT:
        return "office"
    return None


def decision_problem(step_role: str, decision: str, reason: str, media: str) -> str | None:
    """What is missing from a decision, in the words the page shows; None when it may be recorded."""
    if decision not in DECISIONS:
        return "未知操作"
    if decision == "reject" and not reason.strip():
        return "不同意时请写明理由。"
    if decision == "approve" and step_role == "office" and not media.strip():
        return "办公室环节同意时请写明安排的媒体和记者（例如：新疆电视台 记者王某）。"
    return None


def _request(session: Any, ref: str) -> PublicityRequest:
    req = session.get(PublicityRequest, int(ref)) if ref.isdigit() else None
    if req is None:
        raise MailbotError(f"没有编号为 {ref} 的宣传报道申报")
    return req  # type: ignore[no-any-return]


async def publicity_page(c: Console, request: Request) -> Response:
    user = request.state.user
    with c.app.db.session() as s:
        rows = []
        for req in s.scalars(select(PublicityRequest).order_by(PublicityRequest.id.desc()).limit(500)):
            step = chain.current_step(s, req)
            mine = step is not None and deciding_as(step.approvers or [], user.email, user.role) is not None
            rows.append({"req": req, "step": step, "mine": mine})
        notices = s.scalars(select(PublicityNotice).order_by(PublicityNotice.id.desc()).limit(500)).all()
    return c.render(
        request,
        "publicity",
        rows=rows,
        notices=notices,
        notice_statuses=NOTICE_STATUS,
        statuses=STATUS_LABELS,
        roles=ROLE_LABELS,
        local=c.local,
    )


async def publicity_request_page(c: Console, request: Request) -> Response:
    user = request.state.user
    with c.app.db.session() as s:
        req = _request(s, request.path_params["id"])
        steps = chain.steps_of(s, req)
        step = chain.current_step(s, req) if req.status not in chain.FINAL else None
        how = deciding_as(step.approvers or [], user.email, user.role) if step is not None else None
        ctx = request_context(req, chain.opinions(s, req, c.app))["request"]
        trail = s.scalars(
            select(PublicityEvent).where(PublicityEvent.request_id == req.id).order_by(PublicityEvent.id)
        ).all()
        history = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.target_kind == "publicity", AuditEntry.target_id == req.number)
            .order_by(AuditEntry.id)
        ).all()
    return c.render(
        request,
        "publicity_request",
        req=req,
        ctx=ctx,
        steps=steps,
        step=step,
        how=how,
        trail=trail,
        history=history,
        roles=ROLE_LABELS,
        step_labels=STEP_LABELS,
        action_labels=ACTION_LABELS,
        local=c.local,
    )


async def publicity_decide(c: Console, request: Request) -> Response:
    """Approve or reject the pending step (see the module docstring for who may), audited."""
    user = request.state.user
    decision = request.path_params["action"]
    if decision not in DECISIONS:
        raise MailbotError("未知操作")
    form = await request.form()
    reason = str(form.get("reason", "")).strip()[:2000]
    media = str(form.get("media", "")).strip()[:2000]
    now = c.app.now()
    with c.app.db.session() as s:
        req = _request(s, request.path_params["id"])
        step: PublicityStep | None = chain.current_step(s, req) if req.status not in chain.FINAL else None
        if step is None or req.status == "incomplete":
            raise MailbotError(
                f"{req.number} 当前没有待审批的环节（{STATUS_LABELS.get(req.status, req.status)}）"
            )
        how = deciding_as(step.approvers or [], user.email, user.role)
        if how is None:
            return c.render(request, "error", 403, message="您不是该环节的审批人，无权审批。")
        if str(form.get("step", "")) != str(step.id):
            raise MailbotError("该环节已有结论或已换了环节，请刷新页面后再审批。")
        problem = decision_problem(step.role, decision, reason, media)
        if problem is not None:
            raise MailbotError(problem)
        before = {"status": req.status, "step": step.role}
        actor = f"console:{user.username}"
        if how == "approver":
            chain.decide(c.app, s, req, step, decision=decision, reason=reason, media=media, actor=actor)
        else:
            chain.decide_by_office(
                c.app, s, req.number, decision=decision, reason=reason, media=media, actor=actor
            )
        audit(
            s,
            now,
            user.username,
            f"publicity_{decision}",
            "publicity",
            req.number,
            before=before,
            after={"status": req.status, "step": step.role, "as": how, "email": user.email},
            note=reason or media or None,
        )
        req_id = req.id
    return RedirectResponse(f"/publicity/{req_id}", status_code=303)


async def publicity_notice_page(c: Console, request: Request) -> Response:
    """One 协助宣传报道通知单 (附件3): what was asked, the unit's confirmation and feedback (as text), its trail."""
    ref = request.path_params["id"]
    with c.app.db.session() as s:
        notice = s.get(PublicityNotice, int(ref)) if ref.isdigit() else None
        if notice is None:
            raise MailbotError(f"没有编号为 {ref[:20]} 的协助宣传报道通知单")
        trail = s.scalars(
            select(PublicityEvent).where(PublicityEvent.notice_id == notice.id).order_by(PublicityEvent.id)
        ).all()
        fields = [(label, (notice.fields or {}).get(key, "")) for key, label in NOTICE_FIELD_LABELS.items()]
    return c.render(
        request,
        "publicity_notice",
        notice=notice,
        fields=fields,
        notice_status=NOTICE_STATUS.get(notice.status, notice.status),
        trail=trail,
        action_labels=ACTION_LABELS,
        local=c.local,
    )
