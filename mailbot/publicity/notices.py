"""Interview-assistance notices (附件3 协助宣传报道通知单) over store/: sent → confirmed → reported.

The office creates a notice (``mailbot publicity notice UNIT …``); mailbot mails it to the unit with the
filled .docx. The unit's replies (to the notice's Message-ID, or carrying its token in the subject) count
only from one of that unit's registered addresses: the first is its confirmation, one that reports the
coverage (播出/刊发/链接 …, or any later reply) its feedback (反馈宣传情况), kept with the links and
outlets it names on the notice, which stays linked to the unit. Overdue feedback is reminded."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.errors import MailbotError
from mailbot.model import ParsedMail
from mailbot.publicity.answer import own_text
from mailbot.publicity.chain import log_event, new_token
from mailbot.publicity.mails import DOCX
from mailbot.publicity.word import notice_docx
from mailbot.registry.lookup import find_unit, reminder_address, unit_for_address
from mailbot.replies import compose
from mailbot.replies.render import MimePart
from mailbot.store import queries
from mailbot.store.models import OutboxItem, PublicityNotice, Submission

if TYPE_CHECKING:
    from mailbot.app import App

log = logging.getLogger(__name__)
TAG = "协助宣传"
_TAG_RX = re.compile(rf"\[{TAG}\s+([A-Z]{{1,8}}-\d{{4}}-\d{{3,}})(?:\s+#([0-9a-f]{{32}}))?\]")
_FEEDBACK = re.compile(
    r"反馈|已播出|播出|已刊发|刊发|刊登|已发布|发布|报道链接|https?://|采访已完成|拍摄已完成|已完成采访"
)
_URL = re.compile(r"https?://[^\s<>\"'）)]+")
_OUTLET = re.compile(r"[\u4e00-\u9fff]{2,12}(?:电视台|广播电台|日报|晚报|报社|网|频道)")
# the notice's fields (附件3) and how the console names them
NOTICE_FIELD_LABELS = {
    "media": "媒体",
    "reporter": "记者",
    "contact": "联系方式",
    "content": "宣传报道内容",
    "assist": "配合协助事项",
    "opinion": "自治区质监局意见",
}
NOTICE_FIELDS = tuple(NOTICE_FIELD_LABELS)


def notice_tag(number: str, token: str | None = None) -> str:
    return f"[{TAG} {number} #{token}]" if token else f"[{TAG} {number}]"


def create_notice(
    app: App, session: Session, unit_ref: str, fields: dict[str, str], by: str
) -> PublicityNotice:
    """Record a notice for the unit and queue it (with its .docx) to the unit's address."""
    unit = find_unit(session, unit_ref, app.domains)
    if unit is None:
        raise MailbotError(f"no unit {unit_ref!r} in the registry; see `mailbot units list`")
    to = reminder_address(session, unit, app.domains)
    if to is None:
        raise MailbotError(f"{unit.name} has no address to mail; add one with `mailbot units import`")
    now = app.now()
    year = now.astimezone(app.config.timezone).year
    notice = PublicityNotice(
        number=queries.next_tracking_no(session, app.config.publicity.notice_prefix, year),
        unit_id=unit.id,
        unit_name=unit.name,
        to_addrs=[to],
        fields={k: fields.get(k, "") for k in NOTICE_FIELDS},
        token=new_token(),
        status="sent",
        created_at=now,
        created_by=by[:320],
        feedback_due=now + timedelta(days=app.config.publicity.feedback_days),
        coverage=[],
        reminders_sent=0,
    )
    session.add(notice)
    session.flush()
    item = _queue_notice(app, session, notice, reminder=0)
    if item is not None:
        notice.message_id = item.message_id
    log_event(session, at=now, actor=by, action="notice_sent", notice=notice, detail=f"to {to}")
    return notice


def _queue_notice(app: App, session: Session, notice: PublicityNotice, *, reminder: int) -> OutboxItem | None:
    day = app.now().astimezone(app.config.timezone).strftime("%Y年%m月%d日")
    data = notice_docx(notice.number, notice.unit_name, notice.fields or {}, day)
    what = "请反馈宣传情况（提醒）" if reminder else "协助宣传报道通知单"
    reply = compose.render_reply(
        app,
        "publicity_notice_reminder" if reminder else "publicity_notice",
        f"{notice.number}",
        template="publicity_notice",
        context={
            "notice": {
                "number": notice.number,
                "unit": notice.unit_name,
                "status": notice.status,
                "feedback_due": notice.feedback_due,
                **(notice.fields or {}),
            },
            "reminder": reminder,
        },
        to=list(notice.to_addrs or []),
        subject=f"{notice_tag(notice.number, notice.token)} {what}",
        in_reply_to=notice.message_id if reminder else None,
        parts=[MimePart(data, DOCX[0], DOCX[1], f"协助宣传报道通知单-{notice.number}.docx")],
    )
    key = f"publicity_notice_reminder:{notice.id}:{reminder}" if reminder else f"publicity_notice:{notice.id}"
    return compose.enqueue(app, session, reply, dedupe_key=key)


def find_notice(session: Session, parsed: ParsedMail) -> tuple[PublicityNotice | None, bool]:
    """(notice this mail answers, whether it names one at all)."""
    m = _TAG_RX.search(parsed.subject or "")
    if m and m.group(2):
        return session.scalars(
            select(PublicityNotice).where(PublicityNotice.token == m.group(2))
        ).first(), True
    ids = [i for i in (parsed.in_reply_to, *parsed.references) if i]
    if ids:
        for (key,) in session.execute(
            select(OutboxItem.dedupe_key).where(OutboxItem.message_id.in_(ids[:50]))
        ):
            if key.startswith(("publicity_notice:", "publicity_notice_reminder:")):
                return session.get(PublicityNotice, int(key.split(":")[1])), True
    return None, bool(m)


def on_reply(
    app: App, session: Session, sub: Submission, parsed: ParsedMail, notice: PublicityNotice | None
) -> list[str]:
    """The unit's confirmation or feedback; from anyone else (or naming no notice of ours) it is held."""
    now = app.now()
    sender = parsed.from_addr.lower()
    sender_unit = unit_for_address(session, sender, app.domains)
    held = None
    if notice is None:
        held = "unknown_notice"
    elif sender_unit is None or sender_unit.id != notice.unit_id:
        held = "not_the_unit"
    if held is not None:
        log.warning("submission %s (%s): reply to notice held: %s", sub.id, parsed.message_id, held)
        log_event(
            session, at=now, actor=f"mail:{sender}", action="held", notice=notice, submission_id=sub.id,
            message_id=parsed.message_id, detail=held,
        )  # fmt: skip
        compose.queue_office_notice(
            app,
            session,
            what=f"协助宣传报道通知单 {notice.number if notice else ''} 收到一封未被计入的回复",
            details=f"发件人：{sender}\n原因：{'发件人不是该通知单的单位' if held == 'not_the_unit' else '未对应任何通知单'}",
            key=f"publicity_notice_held:{sub.id}",
            submission_id=sub.id,
        )
        return [f"publicity_notice_held:{held}"]
    assert notice is not None
    words = own_text(parsed.text)
    if notice.status == "sent" and not _FEEDBACK.search(words):
        notice.status, notice.confirmed_at, notice.confirmation_text = "confirmed", now, words[:4000]
        action = "confirmed"
    else:
        notice.status, notice.feedback_at, notice.feedback_text = "reported", now, words[:20000]
        notice.feedback_submission_id = sub.id
        notice.confirmed_at = notice.confirmed_at or now
        found = list(dict.fromkeys(_URL.findall(words) + _OUTLET.findall(words)))
        notice.coverage = [*list(notice.coverage or []), *found][:50]
        action = "feedback"
    log_event(
        session, at=now, actor=f"mail:{sender}", action=action, notice=notice, submission_id=sub.id,
        message_id=parsed.message_id, detail=words[:300],
    )  # fmt: skip
    return [f"publicity_notice_{action}:{notice.number}"]


def remind_overdue_feedback(app: App) -> int:
    """Remind units whose feedback is overdue (every ``reminder_hours``, at most ``max_reminders``)."""
    p = app.config.publicity
    now = app.now()
    queued = 0
    with app.db.session() as session:
        for notice in session.scalars(
            select(PublicityNotice).where(PublicityNotice.status.in_(("sent", "confirmed")))
        ).all():
            last = notice.last_reminder_at
            if now < notice.feedback_due or notice.reminders_sent >= p.max_reminders:
                continue
            if last is not None and now - last < timedelta(hours=p.reminder_hours):
                continue
            n = notice.reminders_sent + 1
            if _queue_notice(app, session, notice, reminder=n) is not None:
                queued += 1
            notice.reminders_sent, notice.last_reminder_at = n, now
            log_event(session, at=now, actor="mailbot", action="reminded", notice=notice, detail=f"第{n}次")
    return queued
