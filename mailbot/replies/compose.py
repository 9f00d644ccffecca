"""Which replies a stored submission gets, and queueing them in the outbox (same transaction).

Receipt for a report, short acknowledgement for a registration or publicity request, an alert to
the duty recipients for an urgent report, an old-domain reminder at most once per period; nothing
for bounces, auto-replies, bulk or list mail, our own mail, undeliverable or rate-limited senders.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from mailbot.judge import loops
from mailbot.judge.olddomain import new_address
from mailbot.model import CaseStatus, Category, OutboxStatus, ParsedMail, Reply
from mailbot.replies.render import reply_message_id
from mailbot.store import queries
from mailbot.store.batch import BatchCache
from mailbot.store.models import Case, OutboxItem, Registration, Submission

if TYPE_CHECKING:
    from mailbot.app import App
    from mailbot.judge.assess import Assessment

log = logging.getLogger(__name__)
UNIT_REPLY_KINDS = ("receipt", "ack", "reminder_old_domain")


def rule_text(category: str, policy: Any) -> str:
    if category in ("urgent", "followup"):
        return f"紧急信息应在事件发生后{policy.urgent_hours:g}小时内报送"
    if policy.routine_mode == "hours":
        return f"一般性信息应在{policy.routine_hours:g}小时内报送"
    if policy.routine_mode == "working_days":
        return f"一般性信息应在{policy.routine_days}个工作日内报送"
    return f"一般性信息应在{policy.routine_days}天内报送"


def office_context(app: App) -> dict[str, Any]:
    o = app.config.office
    return {"office": {"name": o.name, "address": o.address, "contact": o.contact}}


def greeting(name: str | None, addr: str) -> str:
    return name or addr or "您好"


def enqueue(
    app: App,
    session: Session,
    reply: Reply,
    *,
    dedupe_key: str,
    submission_id: int | None = None,
    case_id: int | None = None,
    status: str = OutboxStatus.PENDING,
    batch: BatchCache | None = None,
) -> OutboxItem | None:
    """Insert a rendered reply into the outbox unless one with this dedupe key exists."""
    if any(isinstance(o, OutboxItem) and o.dedupe_key == dedupe_key for o in session.new):
        return None
    with session.no_autoflush:  # (pending rows checked above) one flush later instead of one per reply
        existing = session.query(OutboxItem.id).filter(OutboxItem.dedupe_key == dedupe_key).first()
    if existing is not None:
        return None
    now = app.now()
    item = OutboxItem(
        dedupe_key=dedupe_key,
        kind=reply.kind,
        submission_id=submission_id,
        case_id=case_id,
        recipient=(reply.to[0] if reply.to else "").lower(),
        to_addrs=list(reply.to),
        cc_addrs=list(reply.cc),
        subject=reply.subject,
        message_id=reply.message_id,
        raw=reply.raw,
        status=status,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(item)
    if batch is not None:
        batch.note_reply(item)
    return item


def _render(
    app: App,
    kind: str,
    key: str,
    *,
    template: str,
    context: Mapping[str, Any],
    to: Sequence[str],
    subject: str,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> Reply:
    o = app.config.office
    return app.renderer.render_mail(
        kind,
        template=template,
        context={**office_context(app), **context},
        from_addr=o.address,
        from_name=o.name,
        to=to,
        cc=cc,
        subject=subject,
        message_id=reply_message_id(kind, key, o.message_id_domain),
        date=app.now(),
        in_reply_to=in_reply_to,
        references=references,
    )


def judgement_context(
    app: App, sub: Submission, parsed: ParsedMail, a: Assessment, case: Case | None
) -> dict[str, Any]:
    hit = a.old_domain
    old = None
    if hit is not None:
        old = {
            "addresses": list(hit.addresses),
            "old_domains": list(app.domains.old_domains),
            "new_domain": app.domains.new_domain,
            "suggested_sender": new_address(parsed.from_addr, app.domains)
            if hit.sender_on_old_domain
            else None,
        }
    event = a.event
    return {
        "greeting": greeting(sub.unit_name or parsed.from_name, parsed.from_addr),
        "tracking_no": sub.tracking_no,
        "received_at": sub.reported_at,
        "subject": parsed.subject or "（无主题）",
        "attachments": sub.attachments,
        "category": sub.category,
        "reasons": list(a.classification.reasons),
        "event": {"start": event.start, "text": event.text, "granularity": event.granularity.value}
        if event
        else None,
        "deadline": sub.deadline,
        "verdict": sub.verdict,
        "lateness_minutes": sub.lateness_minutes,
        "approximate": sub.approximate,
        "rule_text": rule_text(sub.category or "", app.policy),
        "case_number": case.number if case is not None else None,
        "case_closed": case is not None and case.status == CaseStatus.CLOSED,
        "old_domain": old,
        "sender": f"{parsed.from_name} <{parsed.from_addr}>" if parsed.from_name else parsed.from_addr,
        "excerpt": parsed.text.strip()[:600],
    }


def queue_replies(
    app: App,
    session: Session,
    sub: Submission,
    parsed: ParsedMail,
    a: Assessment,
    case: Case | None,
    *,
    registration: Registration | None = None,
    batch: BatchCache | None = None,
) -> list[str]:
    """Queue what this submission gets; returns flags describing what was withheld and why."""
    cfg = app.config
    flags: list[str] = []
    category = Category(sub.category or "other")
    now = app.now()
    ctx = judgement_context(app, sub, parsed, a, case)
    refs = [*parsed.references, parsed.message_id] if parsed.message_id else list(parsed.references)

    if category == Category.URGENT and cfg.office.alert_recipients:
        reply = _render(
            app,
            "alert",
            f"{sub.id}",
            template="alert",
            context=ctx,
            to=cfg.office.alert_recipients,
            subject=f"【紧急信息提示】{sub.tracking_no} {parsed.subject}",
        )
        enqueue(
            app,
            session,
            reply,
            dedupe_key=f"alert:{sub.id}",
            submission_id=sub.id,
            case_id=case.id if case else None,
            batch=batch,
        )

    if category.is_report:
        kind, template, subject = (
            "receipt",
            "receipt",
            f"[回执 {sub.tracking_no}] {parsed.subject or '（无主题）'}",
        )
    elif category in (Category.REGISTRATION, Category.PUBLICITY_REQUEST):
        kind, template, subject = "ack", "ack", f"[已收到] {parsed.subject or '（无主题）'}"
        if registration is not None:  # the liaison form: what was read, or what is missing
            template = "ack_registration"
            ctx = {**ctx, **registration_context(registration)}
    else:
        return flags

    reason = loops.no_reply_reason(parsed, cfg.office.own_addresses)
    recipient = (parsed.reply_to[0] if parsed.reply_to else parsed.from_addr).lower()
    if reason is None and queries.is_undeliverable(session, recipient, batch):
        reason = "undeliverable_sender"
    if reason is None:
        since = now - timedelta(hours=cfg.replies.rate_limit_hours)
        if (
            queries.replies_to_since(session, recipient, since, UNIT_REPLY_KINDS, batch)
            >= cfg.replies.rate_limit_count
        ):
            reason = "rate_limited"
    if reason is not None:
        log.info("submission %s (%s): no reply to %s: %s", sub.id, sub.tracking_no, recipient, reason)
        return [f"no_reply:{reason}"]

    status = OutboxStatus.PENDING
    auth = loops.auth_failed(parsed)
    if auth is not None:
        flags.append(f"auth:{auth}")
        if cfg.replies.hold_on_auth_failure:
            status = OutboxStatus.HELD
            flags.append("reply_held")
    reply = _render(
        app,
        kind,
        f"{sub.id}",
        template=template,
        context=ctx,
        to=[recipient],
        subject=subject,
        in_reply_to=parsed.message_id,
        references=refs,
    )
    enqueue(
        app,
        session,
        reply,
        dedupe_key=f"{kind}:{sub.id}",
        submission_id=sub.id,
        case_id=case.id if case else None,
        status=status,
        batch=batch,
    )

    if a.old_domain is not None:
        since = now - timedelta(days=cfg.domains.notice_interval_days)
        if queries.replies_to_since(session, recipient, since, ("reminder_old_domain",), batch) == 0:
            old = ctx["old_domain"]
            reminder = _render(
                app,
                "reminder_old_domain",
                f"{recipient}:{sub.id}",
                template="reminder_old_domain",
                context={**ctx, **old},
                to=[recipient],
                subject=f"【提醒】请使用新邮箱地址 {cfg.office.address} 报送政务信息",
            )
            enqueue(
                app,
                session,
                reminder,
                dedupe_key=f"reminder_old_domain:{recipient}:{sub.id}",
                submission_id=sub.id,
                status=status,
                batch=batch,
            )
    return flags


def registration_context(reg: Registration) -> dict[str, Any]:
    from mailbot.judge.regform import FIELD_LABELS, REQUIRED_LABELS

    fields = reg.fields or {}
    return {
        "registration": {
            "id": reg.id,
            "status": reg.status,
            "unit_name": reg.unit_name,
            "fields": [(label, str(fields[k])) for k, label in FIELD_LABELS.items() if fields.get(k)],
            "missing": [REQUIRED_LABELS.get(m, m) for m in reg.missing or []],
        }
    }


def queue_office_notice(
    app: App, session: Session, *, what: str, details: str, key: str, submission_id: int | None = None
) -> None:
    """Tell the office (configured ``office.notify``) about something a person must look at — once per key."""
    notify = app.config.office.notify
    if not notify:
        return
    reply = _render(
        app,
        "notice_office",
        key,
        template="notice_office",
        context={"what": what, "details": details, "submission_id": submission_id},
        to=notify,
        subject=f"[mailbot] {what}",
    )
    enqueue(app, session, reply, dedupe_key=f"notice:{key}", submission_id=submission_id)
