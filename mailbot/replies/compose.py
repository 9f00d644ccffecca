"""Which replies a stored submission gets, and queueing them in the outbox (same transaction).

Receipt for a report, short acknowledgement for a registration, a publicity request or a unit's other
mail, an alert to the duty recipients for an urgent report, an old-domain reminder at most once per
period. Nothing for machine mail (:mod:`mailbot.judge.automatic`), RFC 3834 cases, our own mail or
undeliverable addresses. Always to the From address, never to Reply-To. Held for the office (status
``held`` with ``held_reason``): spam-flagged mail, a failing trusted Authentication-Results with
``hold_on_auth_failure``, an unregistered sender's mail without report content, and what the loop
guard (:func:`mailbot.judge.loops.hold_reason`) stops. Strangers get the fixed short receipt.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from mailbot.judge import loops
from mailbot.judge.automatic import spam_verdict
from mailbot.judge.loops import PastReply, fingerprint, hold_reason, thread_key
from mailbot.judge.olddomain import new_address
from mailbot.model import CaseStatus, Category, OutboxStatus, ParsedMail, Reply
from mailbot.replies.render import MimePart, reply_message_id
from mailbot.store import queries
from mailbot.store.batch import BatchCache, past_replies, replies_in_last_minute
from mailbot.store.models import Case, OutboxItem, Registration, Submission

if TYPE_CHECKING:
    from mailbot.app import App
    from mailbot.config import Config
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
    past: PastReply | None = None,
    fresh: bool = False,
) -> OutboxItem | None:
    """Insert a rendered reply into the outbox unless one with this dedupe key exists.

    ``past`` is what the loop guard remembers of the mail this reply answers (noted in the batch).
    ``fresh``: the key names a submission inserted by this batch transaction, so no stored row can
    hold it and the database is not asked (were one there after all, its unique key fails the
    INSERT: the batch is rolled back and redone one message at a time, with this check)."""
    if any(isinstance(o, OutboxItem) and o.dedupe_key == dedupe_key for o in session.new):
        return None
    if not fresh:
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
        batch.note_reply(item, past)
    return item


def render_reply(
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
    parts: Sequence[MimePart] = (),
) -> Reply:
    """A reply from the office (its name, address and contact in the context), with a fresh Message-ID."""
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
        parts=parts,
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
        "calendar_provisional": "calendar_provisional" in a.judgement.flags,
        "rule_text": rule_text(sub.category or "", app.policy),
        "case_number": case.number if case is not None else None,
        "case_closed": case is not None and case.status == CaseStatus.CLOSED,
        "old_domain": old,
        "sender": f"{parsed.from_name} <{parsed.from_addr}>" if parsed.from_name else parsed.from_addr,
        "excerpt": parsed.text.strip()[:600],
    }


@dataclass(frozen=True)
class ReplyPlan:
    """What one submission's receipt or acknowledgement will be, decided before anything is rendered."""

    kind: str  # receipt, ack
    template: str
    subject: str
    to: str  # always the From address, never an unvalidated Reply-To
    no_reply: str | None = None  # the reason nothing at all is queued
    held: str | None = None  # queued, but waits for the office (held_reason)
    short: bool = False  # the fixed short receipt: tracking number and arrival time, nothing from the mail
    echo_fields: bool = True  # a registration ack lists the form's fields
    flags: tuple[str, ...] = ()
    past: PastReply | None = None


def reply_decision(cfg: Config, parsed: ParsedMail, a: Assessment, *, registered: bool) -> ReplyPlan | None:
    """The pure part of :func:`reply_plan` (also what ``mailbot inspect`` shows): which reply, whether
    none at all, held or short — from the mail, its assessment and whether its sender is a unit.

    In order: machine mail and RFC 3834 rules (no reply at all); the MTA's spam verdict (held); a
    failing trusted Authentication-Results (short, or held with hold_on_auth_failure); an unregistered
    sender (``replies.unregistered``: short, held or full; held when the mail carries no report content)
    — also while the registry is still empty: until the office imports its units, nobody is known. The
    database's part (undeliverable addresses, the loop guard) follows in :func:`reply_plan`."""
    category = a.category
    if parsed.from_addr.lower() in {x.lower() for x in cfg.office.own_addresses}:
        category = Category.OTHER  # finalize keeps our own mail as "other"; no_reply_reason stops it below
    if category.is_report:
        kind, template, subject = "receipt", "receipt", parsed.subject or "（无主题）"
    elif category in (Category.REGISTRATION, Category.PUBLICITY_REQUEST, Category.OTHER):
        kind, template = "ack", "ack_registration" if category == Category.REGISTRATION else "ack"
        subject = f"[已收到] {parsed.subject or '（无主题）'}"
    else:
        return None
    plan = ReplyPlan(kind, template, subject, parsed.from_addr.lower())
    if a.automatic is not None:
        return replace(plan, no_reply=f"automatic_{a.automatic.kind}")
    reason = loops.no_reply_reason(parsed, cfg.office.own_addresses)
    if reason is not None:
        return replace(plan, no_reply=reason)
    flags: list[str] = []
    held: str | None = None
    short = False
    spam = spam_verdict(parsed, cfg.spam)
    if spam is not None:
        flags.append(spam)
        held = spam
    auth = loops.auth_failed(parsed, cfg.trust)
    if auth is not None:
        flags.append(f"auth:{auth}")
        short = True
        if cfg.replies.hold_on_auth_failure:
            held = held or f"auth:{auth}"
    echo = registered
    if not registered:
        short = short or cfg.replies.unregistered != "full"
        if cfg.replies.unregistered == "hold":
            held = held or "unregistered_sender"
        elif not _report_content(a, category):
            held = held or "no_report_content"
    if category == Category.REGISTRATION and (short or not echo):
        short, echo = False, False  # the ack says what is missing, never echoes the form to a stranger
    return replace(plan, held=held, short=short, echo_fields=echo, flags=tuple(flags))


def reply_plan(
    app: App,
    session: Session,
    sub: Submission,
    parsed: ParsedMail,
    a: Assessment,
    batch: BatchCache | None,
) -> ReplyPlan | None:
    """Which reply this submission gets and how (None: its category gets none). Reads, never writes:
    :func:`reply_decision`, then an undeliverable address (no reply) and the loop guard (held)."""
    cfg = app.config
    registered = sub.unit_id is not None
    plan = reply_decision(cfg, parsed, a, registered=registered)
    if plan is None or plan.no_reply is not None:
        return plan
    if plan.kind == "receipt":
        plan = replace(plan, subject=f"[回执 {sub.tracking_no}] {plan.subject}")
    if queries.is_undeliverable(session, plan.to, batch):
        return replace(plan, no_reply="undeliverable_sender")
    now = app.now()
    past = PastReply(
        now,
        thread_key(parsed.message_id, parsed.in_reply_to, parsed.references),
        fingerprint(parsed.subject, parsed.text, [(f.filename, f.size) for f in parsed.attachments]),
    )
    held = plan.held
    if held is None:
        limits = cfg.loops
        since = now - timedelta(hours=max(limits.window_hours, limits.unregistered_hours))
        held = hold_reason(
            registered=registered,
            sender=plan.to,
            thread=past.thread,
            print_=past.fingerprint,
            past=past_replies(session, plan.to, since, batch),
            last_minute=replies_in_last_minute(session, now, batch),
            now=now,
            limits=limits,
        )
    return replace(plan, held=held, past=past)


def _report_content(a: Assessment, category: Category) -> bool:
    """Anything that makes this a report: an event time, or classify evidence beyond the bare score."""
    if not category.is_report:
        return category != Category.OTHER
    if a.event is not None:
        return True
    return any(not r.startswith(_NO_CONTENT_REASONS) for r in a.classification.reasons)


# reasons that say nothing about the mail being a report: the bare score, counter-evidence, model weights
_NO_CONTENT_REASONS = ("threshold:", "negation:", "model:", "model_terms:")


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
        reply = render_reply(
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
            fresh=batch is not None,
        )

    if a.automatic is not None:
        flags.append(f"automatic:{a.automatic.kind}")  # a machine's mail: stored, never answered
    plan = reply_plan(app, session, sub, parsed, a, batch)
    if plan is None:
        return flags
    if plan.no_reply is not None:
        log.info("submission %s (%s): no reply to %s: %s", sub.id, sub.tracking_no, plan.to, plan.no_reply)
        return [*flags, f"no_reply:{plan.no_reply}"]
    flags.extend(plan.flags)
    recipient = plan.to
    status = OutboxStatus.HELD if plan.held is not None else OutboxStatus.PENDING
    if plan.held is not None:
        log.info("submission %s (%s): reply to %s held: %s", sub.id, sub.tracking_no, recipient, plan.held)
        flags.extend(["reply_held", f"held:{plan.held}"])
    if plan.short:
        flags.append("short_receipt")
        reply = render_reply(
            app,
            plan.kind,
            f"{sub.id}",
            template="receipt_short",
            context={"tracking_no": sub.tracking_no, "received_at": sub.reported_at},
            to=[recipient],
            subject=f"[回执 {sub.tracking_no}] 来信已收到" if sub.tracking_no else "[已收到] 来信已收到",
        )  # nothing from the mail: not even its Message-ID (no threading headers)
    else:
        template = plan.template
        if template == "ack_registration" and registration is None:
            template = "ack"
        elif registration is not None:  # the liaison form: what was read, or what is missing
            ctx = {**ctx, **registration_context(registration, echo=plan.echo_fields)}
        reply = render_reply(
            app,
            plan.kind,
            f"{sub.id}",
            template=template,
            context=ctx,
            to=[recipient],
            subject=plan.subject,
            in_reply_to=parsed.message_id,
            references=refs,
        )
    item = enqueue(
        app,
        session,
        reply,
        dedupe_key=f"{plan.kind}:{sub.id}",
        submission_id=sub.id,
        case_id=case.id if case else None,
        status=status,
        batch=batch,
        past=plan.past,
        fresh=batch is not None,
    )
    if item is not None and plan.held is not None:
        item.held_reason = plan.held[:200]
    if plan.held == "storm":
        queue_office_notice(
            app,
            session,
            what="回执发送量异常，已暂停自动回复",
            details=(
                f"最近一分钟内自动回复已达 {cfg.loops.storm_per_minute} 封（[loops] storm_per_minute），"
                "此后的回执暂不发送，状态为 held。请检查是否存在邮件循环或垃圾邮件冲击，"
                "确认后用 mailbot outbox list / mailbot outbox release 处理。"
            ),
            key=f"storm:{now.astimezone(cfg.timezone):%Y%m%d%H}",
        )
    if plan.short or plan.held is not None:
        return flags

    if a.old_domain is not None:
        since = now - timedelta(days=cfg.domains.notice_interval_days)
        if queries.replies_to_since(session, recipient, since, ("reminder_old_domain",), batch) == 0:
            old = ctx["old_domain"]
            reminder = render_reply(
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
                fresh=batch is not None,
            )
    return flags


def registration_context(reg: Registration, *, echo: bool = True) -> dict[str, Any]:
    """The form as read; ``echo=False`` (an address of no registered unit) lists no field: only what is missing.

    Even when echoed to a new liaison's own address, only short fields without links are listed (the
    form names a registered unit), so an ack can never carry a stranger's text to a third party."""
    from mailbot.judge.regform import FIELD_LABELS, REQUIRED_LABELS

    fields = reg.fields or {}
    if not echo and reg.unit_id is not None:
        fields = {k: v for k, v in fields.items() if _plain_field(str(v))}
    elif not echo:
        fields = {}
    return {
        "registration": {
            "id": reg.id,
            "status": reg.status,
            "unit_name": reg.unit_name,
            "fields": [(label, str(fields[k])) for k, label in FIELD_LABELS.items() if fields.get(k)],
            "missing": [REQUIRED_LABELS.get(m, m) for m in reg.missing or []],
        }
    }


def _plain_field(value: str) -> bool:
    """A short form field with no link or address in it."""
    return len(value) <= 40 and not re.search(r"https?:|www\.|@|<|>", value, re.IGNORECASE)


def queue_office_notice(
    app: App, session: Session, *, what: str, details: str, key: str, submission_id: int | None = None
) -> None:
    """Tell the office (configured ``office.notify``) about something a person must look at — once per key."""
    notify = app.config.office.notify
    if not notify:
        return
    reply = render_reply(
        app,
        "notice_office",
        key,
        template="notice_office",
        context={"what": what, "details": details, "submission_id": submission_id},
        to=notify,
        subject=f"[mailbot] {what}",
    )
    enqueue(app, session, reply, dedupe_key=f"notice:{key}", submission_id=submission_id)
