"""Publicity requests (附件2) through head → leader → office by reply, and 附件3 notices, against real
Dovecot, the SMTP sink, SQLite and PostgreSQL, with an injected clock (time travel for reminders)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.publicity.chain import remind_pending
from mailbot.publicity.notices import remind_overdue_feedback
from mailbot.registry.contacts import import_file
from mailbot.store.models import PublicityEvent, PublicityNotice, PublicityRequest, PublicityStep
from tests import mailgen

CST = mailgen.CST
ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "publicity"
SAMPLE = ROOT / "examples" / "units.csv"
T0 = datetime(2026, 12, 7, 10, 30, tzinfo=CST)
HEADS = {
    "特种设备安全监察处": "head.tjc@xjzj.gov.cn",
    "计量处": "head.jlc@xjzj.gov.cn",
    "特检院": "head.tsjc@xjzj.gov.cn",
}
LEADER = "songzj@xjzj.gov.cn"
OFFICE = "zousy@xjzj.gov.cn"
REQUESTERS = {"body": "tjc@xjzj.gov.cn", "docx": "jlc@xjzj.gov.cn", "xlsx": "tsjc@xjzj.gov.cn"}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def make_app(dovecot, user, sink, db_url, clock, **publicity) -> App:  # type: ignore[no-untyped-def]
    data = {
        "database": {"url": db_url},
        "imap": [{"name": "main", "url": dovecot.url(user)}],
        "smtp": {"url": f"smtp://127.0.0.1:{sink.port}?tls=none"},
        "office": {"notify": ["jbgs@xjzj.gov.cn"]},
        "publicity": {
            "heads": HEADS,
            "leaders": {LEADER: ["特种设备安全监察处", "计量处", "特检院"]},
            "office": [OFFICE],
            **publicity,
        },
    }
    app = App.create(build_config(data, env={}), clock=clock)
    with app.db.session() as s:
        import_file(s, SAMPLE, clock(), app.domains)
    return app


def cycle(app: App) -> None:
    poll_once(app)
    flush_outbox(app)


def sent(sink, kind: str | None = None, to: str | None = None) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
    out = []
    for m in sink.messages:
        msg = m.message()
        if (kind is None or msg["X-Mailbot-Kind"] == kind) and (to is None or to in m.rcpt_tos):
            out.append(msg)
    return out


def text(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


def answer(
    to_msg: EmailMessage,
    sender: str,
    body: str,
    when: datetime,
    n: int,
    *,
    subject: str | None = None,
    reply: bool = True,
    auth: str | None = None,
) -> bytes:
    """An approver's reply (Outlook-style: own words, then the quoted original)."""
    msg = EmailMessage(policy=SMTP)
    if auth is not None:
        msg["Authentication-Results"] = auth
    msg["From"] = sender
    msg["To"] = "jbgs@xjzj.gov.cn"
    msg["Subject"] = subject if subject is not None else "回复：" + str(to_msg["Subject"])
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<answer-{n}-{when:%H%M%S}@xjzj.gov.cn>"
    if reply:
        msg["In-Reply-To"] = str(to_msg["Message-ID"])
        msg["References"] = str(to_msg["Message-ID"])
    quoted = "\n".join("> " + line for line in text(to_msg).splitlines()[:12])
    msg.set_content(f"{body}\n\n-----原始邮件-----\n发件人: jbgs@xjzj.gov.cn\n{quoted}\n", charset="utf-8")
    return msg.as_bytes()


def request_of(app: App) -> PublicityRequest:
    with app.db.session() as s:
        req = s.scalars(select(PublicityRequest)).one()
        s.expunge(req)
        return req


def trail(app: App) -> list[tuple[str, str, str | None]]:
    with app.db.session() as s:
        return [
            (e.action, e.actor, e.detail)
            for e in s.scalars(select(PublicityEvent).order_by(PublicityEvent.id))
        ]


def approval_to(sink, addr: str) -> EmailMessage:  # type: ignore[no-untyped-def]
    (msg,) = sent(sink, "publicity_approval", addr)
    return msg


@pytest.mark.parametrize("fmt", ["body", "docx", "xlsx"])
def test_request_goes_through_head_leader_office_by_reply(  # type: ignore[no-untyped-def]
    dovecot, imap_user, smtp_sink, db_url, monkeypatch, capsys, fmt
):
    clock = Clock(T0)
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock)
    dovecot.append(imap_user, (FIXTURES / f"request-{fmt}.eml").read_bytes(), internaldate=T0)
    cycle(app)
    req = request_of(app)
    assert req.status == "pending_head" and req.missing == []
    assert req.number == "PR-2026-000001" and req.sender == REQUESTERS[fmt]
    (ack,) = sent(smtp_sink, "ack", REQUESTERS[fmt])
    assert "PR-2026-000001" in ack["Subject"] and "#" not in ack["Subject"], "no token to the requester"
    assert "宣传报道时间" in text(ack)
    head = HEADS[{"body": "特种设备安全监察处", "docx": "计量处", "xlsx": "特检院"}[fmt]]
    ask = approval_to(smtp_sink, head)
    token = re.search(r"#([0-9a-f]{32})\]", str(ask["Subject"]))
    assert token is not None, "the approval mail carries a 128-bit token"
    (form,) = [p for p in ask.iter_attachments() if str(p.get_filename()).endswith(".docx")]
    import docx

    doc_text = "\n".join(
        c.text for t in docx.Document(io.BytesIO(form.get_content())).tables for r in t.rows for c in r.cells
    )
    assert req.fields["contact_name"] in doc_text and "☑" in doc_text, "the filled 附件2 goes with it"

    clock.advance(hours=2)
    dovecot.append(imap_user, answer(ask, head, "同意。", clock.now, 1), internaldate=clock.now)
    cycle(app)
    assert request_of(app).status == "pending_leader"
    ask_leader = approval_to(smtp_sink, LEADER)
    assert "部门负责人：同意" in text(ask_leader)
    assert token.group(1) not in str(ask_leader["Subject"]), "each step has its own token"

    clock.advance(hours=3)
    dovecot.append(imap_user, answer(ask_leader, LEADER, "同意", clock.now, 2), internaldate=clock.now)
    cycle(app)
    assert request_of(app).status == "pending_office"
    ask_office = approval_to(smtp_sink, OFFICE)

    clock.advance(hours=1)
    if fmt == "body":
        reply = answer(ask_office, OFFICE, "同意\n媒体：新疆电视台 记者王某；新疆日报", clock.now, 3)
        dovecot.append(imap_user, reply, internaldate=clock.now)
        cycle(app)
    else:
        app.close()
        monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
        monkeypatch.setenv("MAILBOT_SMTP_URL", f"smtp://127.0.0.1:{smtp_sink.port}?tls=none")
        monkeypatch.setenv("MAILBOT_CONFIG", str(FIXTURES / "publicity.toml"))
        assert main(["publicity", "approve", "PR-2026-000001"]) == 1, "the office step needs --media"
        assert "--media" in capsys.readouterr().err
        assert (
            main(
                [
                    "publicity",
                    "approve",
                    "PR-2026-000001",
                    "--media",
                    "新疆电视台 记者王某；新疆日报",
                    "--by",
                    "邹思媛",
                ]
            )
            == 0
        )
        assert "approved" in capsys.readouterr().out
        app = make_app(dovecot, imap_user, smtp_sink, db_url, clock)
        flush_outbox(app)
    req = request_of(app)
    assert req.status == "approved" and "新疆电视台" in (req.media_arranged or "")
    (result,) = sent(smtp_sink, "publicity_result")
    assert REQUESTERS[fmt] in result["To"] and OFFICE in result["Cc"], "the requester and the office are told"
    assert "已批准" in result["Subject"] and "新疆电视台" in text(result)

    actions = [a for a, _, _ in trail(app)]
    assert actions == ["received", "asked", "approved", "asked", "approved", "asked", "approved"]
    actors = [who for _, who, _ in trail(app)]
    assert actors[2] == f"mail:{head}" and actors[4] == f"mail:{LEADER}"
    assert actors[6] == (f"mail:{OFFICE}" if fmt == "body" else "cli:邹思媛")
    app.close()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    assert main(["publicity", "show", "PR-2026-000001"]) == 0
    out = capsys.readouterr().out
    assert "trail:" in out and f"mail:{head}" in out and "answer-1-" in out, "who, and from which message"
    assert main(["publicity", "list", "--all"]) == 0
    assert "PR-2026-000001  approved" in capsys.readouterr().out


def test_forged_replayed_and_unauthenticated_answers_are_held(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock, require_authentication=True)
    dovecot.append(imap_user, (FIXTURES / "request-body.eml").read_bytes(), internaldate=T0)
    cycle(app)
    head = HEADS["特种设备安全监察处"]
    ask = approval_to(smtp_sink, head)
    good_auth = "mx.xjzj.gov.cn; spf=pass smtp.mailfrom=xjzj.gov.cn; dmarc=pass header.from=xjzj.gov.cn"
    bad_auth = "mx.xjzj.gov.cn; spf=fail smtp.mailfrom=xjzj.gov.cn; dmarc=fail header.from=xjzj.gov.cn"
    tries = [
        (answer(ask, "stranger@example.com", "同意", clock.now, 1, auth=good_auth), "not_approver"),
        (
            answer(ask, LEADER, "同意", clock.now, 2, auth=good_auth),
            "not_approver",
        ),  # the wrong step's approver
        (
            answer(
                ask,
                head,
                "同意",
                clock.now,
                3,
                auth=good_auth,
                reply=False,
                subject="[宣传申报 PR-2026-000001 #" + "0" * 32 + "] 同意",
            ),
            "unknown_token",
        ),
        (
            answer(
                ask,
                head,
                "同意",
                clock.now,
                4,
                auth=good_auth,
                reply=False,
                subject="[宣传申报 PR-2026-000001] 同意",
            ),
            "no_token",
        ),
        (answer(ask, head, "同意", clock.now, 5, auth=bad_auth), "auth_failed"),
        (answer(ask, head, "同意", clock.now, 6), "auth_missing"),
        (answer(ask, head, "收到，稍后答复。", clock.now, 7, auth=good_auth), "unclear"),
    ]
    for raw, _ in tries:
        clock.advance(minutes=5)
        dovecot.append(imap_user, raw, internaldate=clock.now)
    cycle(app)
    assert request_of(app).status == "pending_head", "nothing held changes the chain"
    held = [d for a, _, d in trail(app) if a == "held"]
    assert held == [reason for _, reason in tries]
    notices = [m for m in sent(smtp_sink, "notice_office") if "未被计入" in str(m["Subject"])]
    assert len(notices) == len(tries), "the office is told of each"
    assert not sent(smtp_sink, "ack", "stranger@example.com"), "nothing reaches a forger"
    assert not sent(smtp_sink, "publicity_approval", LEADER)

    clock.advance(minutes=5)
    good = answer(ask, head, "同意", clock.now, 8, auth=good_auth)
    dovecot.append(imap_user, good, internaldate=clock.now)
    cycle(app)
    assert request_of(app).status == "pending_leader"
    assert len(sent(smtp_sink, "publicity_approval", LEADER)) == 1

    # the same answer again (same bytes) and again with a new Message-ID: nothing changes
    clock.advance(minutes=5)
    dovecot.append(imap_user, good, internaldate=clock.now)
    dovecot.append(
        imap_user,
        answer(ask, head, "不同意，理由：重放", clock.now, 9, auth=good_auth),
        internaldate=clock.now,
    )
    cycle(app)
    req = request_of(app)
    assert req.status == "pending_leader" and req.reason is None
    assert [d for a, _, d in trail(app) if a == "held"][-1] == "step_closed"
    assert len(sent(smtp_sink, "publicity_approval", LEADER)) == 1, "the leader is not asked twice"
    with app.db.session() as s:
        head_step = s.scalars(select(PublicityStep).where(PublicityStep.role == "head")).one()
        assert head_step.status == "approved" and head_step.decided_by == f"mail:{head}"
    app.close()


def test_rejection_ends_the_chain_and_tells_the_requester_why(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock)
    dovecot.append(imap_user, (FIXTURES / "request-docx.eml").read_bytes(), internaldate=T0)
    cycle(app)
    ask = approval_to(smtp_sink, HEADS["计量处"])
    clock.advance(hours=1)
    reply = answer(
        ask, HEADS["计量处"], "不同意，理由：活动时间与全区计量工作会议冲突，请改期后再报。", clock.now, 1
    )
    dovecot.append(imap_user, reply, internaldate=clock.now)
    cycle(app)
    req = request_of(app)
    assert req.status == "rejected" and req.reason == "活动时间与全区计量工作会议冲突，请改期后再报"
    (result,) = sent(smtp_sink, "publicity_result", "jlc@xjzj.gov.cn")
    assert "未获批准" in result["Subject"] and "全区计量工作会议冲突" in text(result)
    assert not sent(smtp_sink, "publicity_approval", LEADER), "the chain ends"
    app.close()


def test_incomplete_request_names_the_missing_fields(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    app = make_app(dovecot, imap_user, smtp_sink, db_url, Clock(T0))
    dovecot.append(imap_user, (FIXTURES / "request-missing.eml").read_bytes(), internaldate=T0)
    cycle(app)
    req = request_of(app)
    assert req.status == "incomplete" and req.missing == ["time", "contact_phone", "media"]
    (ack,) = sent(smtp_sink, "ack", "jlc@xjzj.gov.cn")
    body = text(ack)
    assert "宣传报道时间" in body and "联络人员办公电话或手机号码" in body and "邀请媒体类型" in body
    assert not sent(smtp_sink, "publicity_approval")
    app.close()


def test_reminders_and_escalation_with_time_travel(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    app = make_app(
        dovecot, imap_user, smtp_sink, db_url, clock, reminder_hours=24, max_reminders=2, escalation_hours=48
    )
    dovecot.append(imap_user, (FIXTURES / "request-xlsx.eml").read_bytes(), internaldate=T0)
    cycle(app)
    head = HEADS["特检院"]
    clock.advance(hours=23)
    remind_pending(app)
    flush_outbox(app)
    assert not sent(smtp_sink, "publicity_reminder")
    clock.advance(hours=2)
    remind_pending(app)
    flush_outbox(app)
    (first,) = sent(smtp_sink, "publicity_reminder", head)
    assert "第1次提醒" in str(first["Subject"])
    clock.advance(hours=24)
    remind_pending(app)
    flush_outbox(app)
    assert len(sent(smtp_sink, "publicity_reminder", head)) == 2
    escalations = [m for m in sent(smtp_sink, "notice_office") if "已超过48小时" in str(m["Subject"])]
    assert len(escalations) == 1
    clock.advance(hours=100)
    remind_pending(app)
    flush_outbox(app)
    assert len(sent(smtp_sink, "publicity_reminder", head)) == 2, "at most max_reminders"
    assert len([m for m in sent(smtp_sink, "notice_office") if "已超过" in str(m["Subject"])]) == 1

    # the head answers the reminder (In-Reply-To the reminder only): it counts
    reply = answer(first, head, "同意", clock.now, 1)
    dovecot.append(imap_user, reply, internaldate=clock.now)
    cycle(app)
    assert request_of(app).status == "pending_leader"
    assert [a for a, _, _ in trail(app)].count("reminded") == 2
    assert "escalated" in [a for a, _, _ in trail(app)]
    app.close()


def test_interview_notice_confirmation_and_feedback(
    dovecot, imap_user, smtp_sink, db_url, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock, feedback_days=3)
    app.close()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("MAILBOT_SMTP_URL", f"smtp://127.0.0.1:{smtp_sink.port}?tls=none")
    args = ["publicity", "notice", "哈密市质监局", "--media", "新疆电视台", "--reporter", "王某",
            "--contact", "13900000000", "--content", "冬季特种设备安全", "--assist", "安排锅炉房拍摄"]  # fmt: skip
    assert main(args) == 0
    assert "XC-" in capsys.readouterr().out
    (notice_mail,) = sent(smtp_sink, "publicity_notice", "hmzjj@xjzj.gov.cn")
    assert "新疆电视台" in text(notice_mail)
    assert any(str(p.get_filename()).endswith(".docx") for p in notice_mail.iter_attachments())

    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock, feedback_days=3)
    clock.advance(hours=2)
    dovecot.append(
        imap_user, answer(notice_mail, "stranger@example.com", "收到", clock.now, 1), internaldate=clock.now
    )
    dovecot.append(
        imap_user,
        answer(notice_mail, "hmzjj@xjzj.gov.cn", "收到，已安排。", clock.now, 2),
        internaldate=clock.now,
    )
    cycle(app)
    with app.db.session() as s:
        notice = s.scalars(select(PublicityNotice)).one()
        assert notice.status == "confirmed" and notice.confirmation_text == "收到，已安排。"
        # the CLI made the notice on the wall clock with the default 7 days; the test clock is fixed
        due = notice.feedback_due.astimezone(CST)
    assert [d for a, _, d in trail(app) if a == "held"] == ["not_the_unit"]

    remind_overdue_feedback(app)
    flush_outbox(app)
    assert sent(smtp_sink, "publicity_notice_reminder") == [], "no reminder before the feedback is due"
    clock.now = max(clock.now, due) + timedelta(hours=1)
    remind_overdue_feedback(app)
    flush_outbox(app)
    assert len(sent(smtp_sink, "publicity_notice_reminder", "hmzjj@xjzj.gov.cn")) == 1
    feedback = "反馈宣传情况：12月9日新疆电视台已播出，链接 https://tv.example.cn/news/123"
    dovecot.append(
        imap_user, answer(notice_mail, "hmzjj@xjzj.gov.cn", feedback, clock.now, 3), internaldate=clock.now
    )
    cycle(app)
    with app.db.session() as s:
        notice = s.scalars(select(PublicityNotice)).one()
        assert notice.status == "reported" and notice.feedback_submission_id is not None
        assert "https://tv.example.cn/news/123" in notice.coverage and notice.unit_id is not None
    clock.advance(days=5)
    remind_overdue_feedback(app)
    flush_outbox(app)
    assert len(sent(smtp_sink, "publicity_notice_reminder")) == 1, "no reminder after the feedback"
    app.close()
