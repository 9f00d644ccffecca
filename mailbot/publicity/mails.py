"""The mails of the sign-off chain, rendered from templates/publicity_*.j2 and queued in the outbox.

Only the mail asking an approver carries the step's token (in the subject tag) and a Message-ID with 128
random bits; everyone else sees the request number alone, so nobody but the approver can answer for a
step. Each approval mail carries the request as a filled 附件2 .docx."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from mailbot.model import OutboxStatus
from mailbot.publicity.answer import request_tag
from mailbot.publicity.approvers import ROLE_LABELS
from mailbot.publicity.form import FIELD_LABELS, MEDIA_LABELS, REQUIRED_LABELS
from mailbot.publicity.word import request_docx
from mailbot.replies import compose
from mailbot.replies.render import MimePart
from mailbot.store.models import OutboxItem, PublicityRequest, PublicityStep

if TYPE_CHECKING:
    from mailbot.app import App

DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
STATUS_LABELS = {
    "incomplete": "申报单不完整，待补充",
    "pending_head": "待部门负责人审核",
    "pending_leader": "待分管领导签批",
    "pending_office": "待区局办公室协调媒体",
    "approved": "已批准",
    "rejected": "未获批准",
}


def request_context(req: PublicityRequest, opinions: Mapping[str, str] | None = None) -> dict[str, Any]:
    fields = req.fields or {}
    rows = [(label, str(fields[key])) for key, label in FIELD_LABELS.items() if fields.get(key)]
    media = "、".join(MEDIA_LABELS.get(m, m) for m in req.media or []) or "（未选）"
    return {
        "request": {
            "number": req.number,
            "unit": req.unit_name or fields.get("unit", ""),
            "fields": [*rows, ("邀请媒体类型", media)],
            "missing": [REQUIRED_LABELS.get(m, m) for m in req.missing or []],
            "status": STATUS_LABELS.get(req.status, req.status),
            "reason": req.reason or "",
            "media_arranged": req.media_arranged or "",
            "opinions": [(ROLE_LABELS[r], t) for r, t in (opinions or {}).items() if t],
        }
    }


def form_part(req: PublicityRequest, opinions: Mapping[str, str]) -> MimePart:
    data = request_docx(req.number, req.fields or {}, list(req.media or []), opinions)
    return MimePart(data, DOCX[0], DOCX[1], f"宣传报道申报单-{req.number}.docx")


def queue_approval(
    app: App,
    session: Session,
    req: PublicityRequest,
    step: PublicityStep,
    opinions: Mapping[str, str],
    *,
    reminder: int = 0,
) -> OutboxItem | None:
    """Ask ``step``'s approvers (again, for ``reminder`` > 0), with the request and its form."""
    role = ROLE_LABELS[step.role]
    what = f"第{reminder}次提醒：" if reminder else ""
    subject = f"{request_tag(req.number, step.token)} {what}请{role}审批：{req.unit_name or ''}宣传报道申报单"
    reply = compose.render_reply(
        app,
        "publicity_reminder" if reminder else "publicity_approval",
        f"{req.number}-{step.role}",
        template="publicity_approval",
        context={
            **request_context(req, opinions),
            "role": role,
            "step_role": step.role,
            "reminder": reminder,
            "asked_at": step.asked_at,
        },
        to=list(step.approvers),
        subject=subject,
        in_reply_to=step.message_id if reminder else None,
        parts=[form_part(req, opinions)],
    )
    key = f"publicity_reminder:{step.id}:{reminder}" if reminder else f"publicity_step:{step.id}"
    item = compose.enqueue(app, session, reply, dedupe_key=key)
    if item is not None and not reminder:
        step.message_id = reply.message_id
    return item


def queue_received(
    app: App,
    session: Session,
    req: PublicityRequest,
    sub_id: int,
    to: str,
    in_reply_to: str | None,
    held: bool,
) -> OutboxItem | None:
    """The requester's acknowledgement: the request number, or the fields still missing.

    Queued under the pipeline's own acknowledgement key (``ack:<submission>``), so it takes the place of
    the generic acknowledgement instead of adding a second mail."""
    subject = f"{request_tag(req.number)} " + (
        "宣传报道申报单已受理" if not req.missing else "宣传报道申报单缺少必填项，请补充"
    )
    reply = compose.render_reply(
        app,
        "ack",
        f"{sub_id}",
        template="publicity_received",
        context=request_context(req),
        to=[to],
        subject=subject,
        in_reply_to=in_reply_to,
    )
    status = OutboxStatus.HELD if held else OutboxStatus.PENDING
    item = compose.enqueue(
        app, session, reply, dedupe_key=f"ack:{sub_id}", submission_id=sub_id, status=status
    )
    if item is not None and held:
        item.held_reason = "publicity_request_held"
    return item


def queue_answer_receipt(
    app: App,
    session: Session,
    req: PublicityRequest,
    sub_id: int,
    to: str,
    in_reply_to: str | None,
    *,
    decision: str | None,
    held: str | None,
) -> OutboxItem | None:
    """Take the acknowledgement's place for an approver's answer: a confirmation when it counted; when it
    was held, a held note the office may release (nothing reaches a forger on its own)."""
    reply = compose.render_reply(
        app,
        "ack",
        f"{sub_id}",
        template="publicity_answer",
        context={**request_context(req), "decision": decision, "held": held is not None},
        to=[to],
        subject=f"{request_tag(req.number)} 审批意见已收到",
        in_reply_to=in_reply_to,
    )
    status = OutboxStatus.HELD if held else OutboxStatus.PENDING
    item = compose.enqueue(
        app, session, reply, dedupe_key=f"ack:{sub_id}", submission_id=sub_id, status=status
    )
    if item is not None and held:
        item.held_reason = f"publicity_answer:{held}"[:200]
    return item


def queue_result(
    app: App, session: Session, req: PublicityRequest, opinions: Mapping[str, str], office: Sequence[str]
) -> None:
    """Tell the requester the outcome (the office copied on an approval), with the signed form."""
    approved = req.status == "approved"
    subject = f"{request_tag(req.number)} 宣传报道申报" + ("已批准" if approved else "未获批准")
    reply = compose.render_reply(
        app,
        "publicity_result",
        req.number,
        template="publicity_result",
        context={**request_context(req, opinions), "approved": approved},
        to=[req.sender],
        cc=[a for a in office if a != req.sender] if approved else [],
        subject=subject,
        parts=[form_part(req, opinions)],
    )
    compose.enqueue(app, session, reply, dedupe_key=f"publicity_result:{req.id}")
