"""The loop guard, the spam verdict and replies to strangers, through the real pipeline (Dovecot → poll →
SMTP sink): a unit's distinct reports are always receipted; what looks like a loop, a storm, spam or a
relay attempt is held (status "held" with its reason) or answered with the fixed short receipt."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.registry.contacts import import_file
from mailbot.store.models import OutboxItem, Submission
from tests import mailgen

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
T0 = datetime(2026, 11, 20, 10, 30, tzinfo=mailgen.CST)
UNIT = ("cjzjj@xjzj.gov.cn", "昌吉州质监局")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _app(tmp: Path, dovecot, user, sink, clock: Clock, units: bool = True, **sections: Any) -> App:  # type: ignore[no-untyped-def]
    data = {
        "database": {"url": f"sqlite:///{tmp / 'guard.db'}"},
        "imap": [{"name": "main", "url": dovecot.url(user), "idle": False}],
        "smtp": {"url": f"smtp://127.0.0.1:{sink.port}?tls=none"},
        "office": {"notify": ["office@xjzj.gov.cn"], "alert_recipients": []},
        **sections,
    }
    app = App.create(build_config(data, env={}), clock=clock)
    if units:
        with app.db.session() as s:
            import_file(s, ROOT / "examples" / "units.csv", T0, app.domains)
    return app


def _cycle(app: App) -> None:
    poll_once(app)
    flush_outbox(app)


def _to(sink, addr: str, kind: str = "receipt") -> list[email.message.EmailMessage]:  # type: ignore[no-untyped-def]
    out = []
    for m in sink.messages:
        msg = email.message_from_bytes(m.raw, policy=email.policy.default)
        if addr in m.rcpt_tos and msg["X-Mailbot-Kind"] == kind:
            out.append(msg)
    return out


def _held(app: App) -> dict[str, str | None]:
    with app.db.session() as s:
        rows = s.execute(
            select(Submission.message_id, OutboxItem.status, OutboxItem.held_reason).join(
                OutboxItem, OutboxItem.submission_id == Submission.id
            )
        ).all()
    return {mid: reason for mid, status, reason in rows if status == "held"}


def _followup(i: int, thread: str | None) -> bytes:
    places = ["东方小区", "北京路", "昌吉市第二中学", "高新区", "火车站", "人民广场"]
    return mailgen.report(
        100 + i,
        sent=T0 + timedelta(minutes=2 * i),
        sender=UNIT,
        subject=f"【续报】昌吉州电梯困人事件第{i + 1}次续报",
        body=(
            f"11月20日{10 + i // 6}时{(2 * i) % 60}分，{places[i % 6]}现场第{i + 1}次情况：已检查电梯{3 + i}台，"
            f"救出被困人员{i % 4}名，封存设备{i // 3}台，责令停用{i % 5}处。"
        ),
        in_reply_to=thread,
    )


def test_a_unit_sending_thirty_distinct_followups_in_an_hour_gets_thirty_receipts(  # type: ignore[no-untyped-def]
    tmp_path, dovecot, imap_user, smtp_sink
) -> None:
    clock = Clock(T0)
    app = _app(tmp_path, dovecot, imap_user, smtp_sink, clock)
    try:
        thread = "report-1-first@test.xjzj.gov.cn"  # every 续报 answers the same first report: one thread
        for batch in range(6):
            dovecot.multiappend(imap_user, [_followup(5 * batch + k, thread) for k in range(5)])
            _cycle(app)
            clock.now += timedelta(minutes=10)
        assert len(_to(smtp_sink, UNIT[0])) == 30, "a registered unit's distinct reports are all receipted"
        assert _held(app) == {}

        # the same mail over and over (a unit's broken client or forwarder) is a loop: two receipts, then held
        same = [
            mailgen.report(900 + i, sender=UNIT, subject="关于设备检查的报告", body="检查电梯38台。")
            for i in range(4)
        ]
        dovecot.multiappend(imap_user, same)
        _cycle(app)
    finally:
        app.close()
    assert len(_to(smtp_sink, UNIT[0])) == 32
    assert sorted(_held(app).values()) == ["loop_similar", "loop_similar"]


def test_storm_brake_holds_replies_and_tells_the_office_once(tmp_path, dovecot, imap_user, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(T0)
    app = _app(tmp_path, dovecot, imap_user, smtp_sink, clock, loops={"storm_per_minute": 5})
    strangers = [f"s{i}@example.org" for i in range(12)]
    try:
        dovecot.multiappend(
            imap_user,
            [mailgen.report(i, sender=(addr, "某人")) for i, addr in enumerate(strangers)]
            + [mailgen.report(50, sender=UNIT)],
        )
        _cycle(app)
        clock.now += timedelta(seconds=20)
        dovecot.append(imap_user, mailgen.report(60, sender=("late@example.org", "某人")))
        _cycle(app)
        held = _held(app)
    finally:
        app.close()
    answered = [a for a in strangers if _to(smtp_sink, a)]
    assert len(answered) == 5, "five replies in the minute, then the brake"
    assert sorted(held.values()) == ["storm"] * 8
    assert len(_to(smtp_sink, UNIT[0])) == 1, "the unit's report is receipted in the storm"
    notices = _to(smtp_sink, "office@xjzj.gov.cn", "notice_office")
    assert len(notices) == 1 and "暂停自动回复" in str(notices[0]["Subject"])


def test_unregistered_loops_in_one_thread_and_machine_looking_senders_are_held(  # type: ignore[no-untyped-def]
    tmp_path, dovecot, imap_user, smtp_sink
) -> None:
    clock = Clock(T0)
    app = _app(tmp_path, dovecot, imap_user, smtp_sink, clock)
    try:
        thread = [
            mailgen.report(
                i, sender=("helper@example.org", "某人"), in_reply_to="receipt.1.x@mailbot.xjzj.gov.cn"
            )
            for i in range(5)
        ]
        machine = [mailgen.report(20 + i, sender=("system@monitor.example.org", "系统")) for i in range(3)]
        dovecot.multiappend(imap_user, thread + machine)
        _cycle(app)
        held = _held(app)
    finally:
        app.close()
    assert len(_to(smtp_sink, "helper@example.org")) == 3
    assert len(_to(smtp_sink, "system@monitor.example.org")) == 1
    assert sorted(held.values()) == ["automatic_looking_sender"] * 2 + ["loop_thread"] * 2


def test_spam_and_dmarc_failures_are_stored_and_held(tmp_path, dovecot, imap_user, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    app = _app(
        tmp_path,
        dovecot,
        imap_user,
        smtp_sink,
        Clock(T0),
        replies={"hold_on_auth_failure": True},
        trust={"authserv_ids": ["mx.xjzj.gov.cn"]},
    )
    names = ("spam-flagged", "rspamd-reject", "dmarc-fail-trusted", "dmarc-fail-untrusted")
    try:
        dovecot.multiappend(imap_user, [(HOSTILE / f"{n}.eml").read_bytes() for n in names])
        _cycle(app)
        held = _held(app)
        with app.db.session() as s:
            stored = {sub.message_id: sub.tracking_no for sub in s.scalars(select(Submission))}
    finally:
        app.close()
    assert len(stored) == 4 and all(stored.values()), "stored and registered, visible to the office"
    assert held == {
        "spam-1@example.net": "spam:x-spam-flag=YES",
        "spam-2@example.net": "spam:x-spam=Yes",
        "dmarc-1@example.net": "auth:dmarc_fail",
    }, "an Authentication-Results of another server than the trusted one counts for nothing"
    assert not _to(smtp_sink, "cjzjj@xjzj.gov.cn")
    assert len(_to(smtp_sink, "ylzjj@xjzj.gov.cn")) == 1  # the untrusted dmarc=fail one


def test_a_relay_attempt_reaches_no_third_party_with_the_attackers_text(  # type: ignore[no-untyped-def]
    tmp_path, dovecot, imap_user, smtp_sink
) -> None:
    app = _app(tmp_path, dovecot, imap_user, smtp_sink, Clock(T0))
    try:
        dovecot.multiappend(
            imap_user,
            [(HOSTILE / f"{n}.eml").read_bytes() for n in ("relay-forged-from", "relay-reply-to-unit")],
        )
        _cycle(app)
        with app.db.session() as s:
            subs = {sub.from_addr: sub for sub in s.scalars(select(Submission))}
            assert subs["stranger@example.com"].unit_id is None, (
                "a Reply-To of a unit does not make its sender one"
            )
            assert "unregistered_sender" in subs["stranger@example.com"].flags
    finally:
        app.close()
    rcpts = {r for m in smtp_sink.messages for r in m.rcpt_tos}
    assert rcpts <= {"victim@third-party.example", "stranger@example.com", "office@xjzj.gov.cn"}
    assert not rcpts & {"relay-target@another.example", "second-target@another.example", "cjzjj@xjzj.gov.cn"}
    for m in smtp_sink.messages:
        if "office@xjzj.gov.cn" in m.rcpt_tos:
            continue
        text = email.message_from_bytes(m.raw, policy=email.policy.default)
        body = text.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        whole = f"{text['Subject']}\n{text['To']}\n{body}\n{m.raw.decode('utf-8', 'replace')}"
        for attacker in ("evil.example", "ATTACKER-TEXT", "领取", "恭喜", "锅炉"):
            assert attacker not in whole, attacker
        assert "登记编号" in body and "收到时间" in body, "the fixed short receipt"


def test_registration_ack_to_a_stranger_echoes_no_field(tmp_path, dovecot, imap_user, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    app = _app(tmp_path, dovecot, imap_user, smtp_sink, Clock(T0))
    fields = {
        "unit": "某某贸易公司",
        "liaison_name": "点击 http://evil.example 领奖",
        "liaison_mobile": "13800000000",
    }
    try:
        dovecot.append(
            imap_user, mailgen.registration_mail("xlsx", fields, sender=("victim@third-party.example", "x"))
        )
        _cycle(app)
    finally:
        app.close()
    (ack,) = _to(smtp_sink, "victim@third-party.example", "ack")
    body = ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "evil.example" not in body and "13800000000" not in body and "某某贸易公司" not in body


def test_with_an_empty_registry_everyone_is_a_stranger(tmp_path, dovecot, imap_user, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    """Before the office imports its units nobody is known: no full receipt, no echo, no relay."""
    app = _app(tmp_path, dovecot, imap_user, smtp_sink, Clock(T0), units=False)
    fields = {
        "unit": "某某贸易公司",
        "liaison_name": "点击 http://evil.example 领奖",
        "liaison_mobile": "13800000000",
    }
    try:
        dovecot.multiappend(
            imap_user,
            [
                (HOSTILE / "relay-forged-from.eml").read_bytes(),
                mailgen.report(
                    1, sender=("cjzjj@xjzj.gov.cn", "昌吉州质监局"), subject="昌吉州锅炉检验情况ATTACKER-TEXT"
                ),
                mailgen.registration_mail("xlsx", fields, sender=("victim@third-party.example", "x")),
            ],
        )
        _cycle(app)
        with app.db.session() as s:
            subs = s.scalars(select(Submission)).all()
            assert len(subs) == 3 and all(x.unit_id is None for x in subs)
            assert all("unregistered_sender" in x.flags for x in subs if x.category != "registration")
    finally:
        app.close()
    (receipt,) = _to(smtp_sink, "cjzjj@xjzj.gov.cn")
    body = receipt.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "登记编号" in body and "收到时间" in body, "the fixed short receipt"
    assert "ATTACKER-TEXT" not in f"{receipt['Subject']}\n{body}" and receipt["In-Reply-To"] is None
    (ack,) = _to(smtp_sink, "victim@third-party.example", "ack")
    ack_body = ack.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "evil.example" not in ack_body and "13800000000" not in ack_body and "某某贸易公司" not in ack_body
    rcpts = {r for m in smtp_sink.messages for r in m.rcpt_tos}
    assert not rcpts & {"relay-target@another.example", "second-target@another.example"}
