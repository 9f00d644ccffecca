"""``mailbot publicity list/show/approve/reject/notice``: publicity requests (附件2) and notices (附件3).

Each returns the text to print (cli.py prints and exits); errors are MailbotError saying what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mailbot.commands.adopt import actor
from mailbot.publicity import chain
from mailbot.publicity.approvers import ROLE_LABELS
from mailbot.publicity.mails import STATUS_LABELS, request_context
from mailbot.store.models import PublicityEvent, PublicityRequest, PublicityStep

if TYPE_CHECKING:
    from mailbot.app import App


def _when(app: App, value: object) -> str:
    from datetime import datetime

    if not isinstance(value, datetime):
        return "—"
    return value.astimezone(app.config.timezone).strftime("%Y-%m-%d %H:%M")


def list_text(app: App, *, include_closed: bool = False) -> str:
    """One line per request: number, state, pending whom since when, unit."""
    lines = []
    with app.db.session() as session:
        query = select(PublicityRequest).order_by(PublicityRequest.id)
        if not include_closed:
            query = query.where(PublicityRequest.status.not_in(chain.FINAL))
        for req in session.scalars(query):
            step = chain.current_step(session, req)
            waiting = ""
            if step is not None:
                who = ", ".join(step.approvers or []) or "（未配置审批人）"
                waiting = f"  待{ROLE_LABELS[step.role]} {who} 自 {_when(app, step.asked_at)}"
                if step.reminders_sent:
                    waiting += f"（已提醒{step.reminders_sent}次）"
            lines.append(f"{req.number}  {req.status:<14} {req.unit_name or '（未写明单位）'}{waiting}")
    return "\n".join(lines) or "no publicity requests" + (
        "" if include_closed else " waiting (--all shows every one)"
    )


def show_text(app: App, ref: str) -> str:
    """One request: its fields, its steps and its whole audit trail."""
    with app.db.session() as session:
        req = chain.find_request(session, ref)
        ctx = request_context(req, chain.opinions(session, req, app))["request"]
        out = [
            f"{req.number}  {req.status} ({STATUS_LABELS.get(req.status, req.status)})",
            f"  申请人: {req.sender}   收到: {_when(app, req.created_at)}   来源: {req.source or '—'}",
        ]
        out += [f"  {label}: {value}" for label, value in ctx["fields"]]
        if ctx["missing"]:
            out.append(f"  缺少: {'、'.join(ctx['missing'])}")
        if req.reason:
            out.append(f"  未获批准的理由: {req.reason}")
        if req.media_arranged:
            out.append(f"  安排的媒体: {req.media_arranged}")
        out.append("steps:")
        for s in session.scalars(
            select(PublicityStep).where(PublicityStep.request_id == req.id).order_by(PublicityStep.id)
        ):
            decided = f" by {s.decided_by} at {_when(app, s.decided_at)}" if s.decided_at else ""
            out.append(
                f"  {ROLE_LABELS[s.role]:<6} {s.status:<9} asked {_when(app, s.asked_at)} of "
                f"{', '.join(s.approvers or []) or '（未配置）'}; reminders {s.reminders_sent}"
                f"{'; escalated ' + _when(app, s.escalated_at) if s.escalated_at else ''}{decided}"
                f"{'; ' + s.reason if s.reason else ''}"
            )
        out.append("trail:")
        for e in session.scalars(
            select(PublicityEvent).where(PublicityEvent.request_id == req.id).order_by(PublicityEvent.id)
        ):
            origin = f" submission {e.submission_id}" if e.submission_id else ""
            origin += f" <{e.message_id}>" if e.message_id else ""
            out.append(
                f"  {_when(app, e.at)}  {e.action:<11} {e.actor}{origin}{'  ' + e.detail if e.detail else ''}"
            )
    return "\n".join(out)


def decide_text(
    app: App, ref: str, *, decision: str, reason: str = "", media: str = "", by: str | None = None
) -> str:
    """``approve`` / ``reject``: the pending step's decision recorded by the office (who: --by or login)."""
    with app.db.session() as session:
        req = chain.decide_by_office(
            app, session, ref, decision=decision, reason=reason, media=media, actor=actor(by)
        )
        return f"{req.number}: {req.status} ({STATUS_LABELS.get(req.status, req.status)})"


def notice_text(app: App, args: Any) -> str:
    """``notice UNIT --media … --reporter … --contact … --content … --assist …``: mail a 附件3 notice."""
    from mailbot.publicity.notices import NOTICE_FIELDS, create_notice

    fields = {k: str(getattr(args, k, "") or "").strip() for k in NOTICE_FIELDS}
    with app.db.session() as session:
        notice = create_notice(app, session, args.unit, fields, actor(args.by))
        due = _when(app, notice.feedback_due)
        text = f"{notice.number}: queued to {', '.join(notice.to_addrs)} for {notice.unit_name}; feedback due {due}"
    from mailbot.intake.runner import flush_outbox

    report = flush_outbox(app)
    return f"{text}\nsent {report.sent}, deferred {report.deferred}, failed {report.failed}"


def notices_text(app: App) -> str:
    """The notices: state, unit, when feedback is due, what coverage it named."""
    from mailbot.store.models import PublicityNotice

    lines = []
    with app.db.session() as session:
        for n in session.scalars(select(PublicityNotice).order_by(PublicityNotice.id)):
            cov = f"  coverage: {'; '.join(n.coverage)}" if n.coverage else ""
            lines.append(
                f"{n.number}  {n.status:<9} {n.unit_name}  feedback due {_when(app, n.feedback_due)}{cov}"
            )
    return "\n".join(lines) or "no notices"
