"""The unit registry with real mail: Dovecot, the SMTP sink, SQLite and PostgreSQL, an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.registry.contacts import import_file
from mailbot.store.models import Registration, Submission, UnitContact
from tests import mailgen

CST = mailgen.CST
SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "units.csv"
T0 = datetime(2026, 11, 20, 10, 30, tzinfo=CST)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_app(dovecot, user, sink, db_url, clock, **sections) -> App:  # type: ignore[no-untyped-def]
    data = {
        "database": {"url": db_url},
        "imap": [{"name": "main", "url": dovecot.url(user)}],
        "smtp": {"url": f"smtp://127.0.0.1:{sink.port}?tls=none"},
        **sections,
    }
    app = App.create(build_config(data, env={}), clock=clock)
    with app.db.session() as s:
        import_file(s, SAMPLE, clock(), app.domains)
    return app


def cycle(app: App) -> None:
    poll_once(app)
    flush_outbox(app)


def bodies(sink, kind: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        m.message().get_body(("plain",)).get_content()
        for m in sink.messages
        if m.message()["X-Mailbot-Kind"] == kind
    ]


def test_reports_are_attributed_greeted_or_flagged(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    app = make_app(dovecot, imap_user, smtp_sink, db_url, Clock(T0))
    dovecot.append(imap_user, mailgen.report(1, sender=("WLMQZJJ@xjzj.gov.cn", "乌市")), internaldate=T0)
    dovecot.append(imap_user, mailgen.report(2, sender=("ylzjj@xjnewqi.gov.cn", "伊犁")), internaldate=T0)
    dovecot.append(imap_user, mailgen.report(3, sender=("stranger@example.com", "某人")), internaldate=T0)
    cycle(app)
    with app.db.session() as s:
        subs = {x.from_addr: x for x in s.scalars(select(Submission))}
        assert subs["wlmqzjj@xjzj.gov.cn"].unit_name == "乌鲁木齐市质量技术监督局"
        assert subs["ylzjj@xjnewqi.gov.cn"].unit_name == "伊犁哈萨克自治州质量技术监督局", "old-domain twin"
        assert subs["stranger@example.com"].unit_id is None
        assert "unregistered_sender" in subs["stranger@example.com"].flags
        assert "unregistered_sender" not in subs["wlmqzjj@xjzj.gov.cn"].flags
    receipts = bodies(smtp_sink, "receipt")
    assert any(b.startswith("乌鲁木齐市质量技术监督局：") for b in receipts)
    assert any(b.startswith("伊犁哈萨克自治州质量技术监督局：") for b in receipts)
    app.close()


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_emailed_form_becomes_pending_and_confirm_keeps_history(  # type: ignore[no-untyped-def]
    dovecot, imap_user, smtp_sink, db_url, monkeypatch, capsys, fmt
):
    app = make_app(dovecot, imap_user, smtp_sink, db_url, Clock(T0))
    fields = {
        "unit": "哈密市质量技术监督局",
        "leader_name": "张国庆",
        "leader_title": "副局长",
        "liaison_name": "赵敏",
        "liaison_gender": "女",
        "liaison_mobile": "13899020000",
        "liaison_office_phone": "0902-2231009",
    }
    dovecot.append(
        imap_user,
        mailgen.registration_mail(fmt, fields, sender=("hm_liaison@163.com", "赵敏")),
        internaldate=T0,
    )
    cycle(app)
    with app.db.session() as s:
        reg = s.scalars(select(Registration)).one()
        assert reg.status == "pending" and reg.missing == []
        assert reg.fields["liaison_name"] == "赵敏" and reg.fields["liaison_mobile"] == "13899020000"
        assert reg.unit_id is not None, "matched by the unit name on the form"
        reg_id = reg.id
    (ack,) = bodies(smtp_sink, "ack")
    assert (
        "联络员姓名：赵敏" in ack
        and "联络员手机号码：13899020000" in ack
        and "填报单位：哈密市质量技术监督局" in ack
    )
    app.close()

    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    assert main(["units", "pending"]) == 0
    assert "赵敏" in capsys.readouterr().out
    assert main(["units", "confirm", str(reg_id)]) == 0
    assert "confirmed for 哈密市质量技术监督局" in capsys.readouterr().out
    assert main(["units", "show", "hm_liaison@163.com"]) == 0
    out = capsys.readouterr().out
    assert "联络员: 赵敏" in out and "李娟" in out, "the new liaison is current, the old one in the history"
    app = App.create(build_config({"database": {"url": db_url}}, env={}))
    with app.db.session() as s:
        liaisons = s.scalars(
            select(UnitContact)
            .where(UnitContact.role == "liaison", UnitContact.name.in_(["李娟", "赵敏"]))
            .order_by(UnitContact.id)
        ).all()
        assert [(c.name, c.valid_to is None) for c in liaisons] == [("李娟", False), ("赵敏", True)]
    app.close()


def test_unreadable_form_gets_the_missing_fields(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    app = make_app(dovecot, imap_user, smtp_sink, db_url, Clock(T0))
    dovecot.append(
        imap_user,
        mailgen.registration_mail(
            "xlsx",
            {"liaison_name": "王五", "liaison_gender": "男"},
            sender=("cjzjj@xjzj.gov.cn", "昌吉州质监局"),
        ),
        internaldate=T0,
    )
    cycle(app)
    with app.db.session() as s:
        reg = s.scalars(select(Registration)).one()
        assert reg.status == "unreadable" and reg.missing == ["unit", "liaison_phone"]
    (ack,) = bodies(smtp_sink, "ack")
    assert ack.startswith("昌吉州质量技术监督局：")
    assert "缺少以下必填项" in ack and "填报单位、联络员手机号码或办公电话" in ack
    app.close()


def test_registration_reminders_reach_exactly_the_unregistered_units(  # type: ignore[no-untyped-def]
    dovecot, imap_user, smtp_sink, db_url
):
    clock = Clock(datetime(2026, 4, 28, 12, 0, tzinfo=CST))
    app = make_app(
        dovecot,
        imap_user,
        smtp_sink,
        db_url,
        clock,
        units={"registration_deadline": "2026-04-28", "reminder_interval_days": 7, "max_reminders": 2},
    )
    cycle(app)
    assert bodies(smtp_sink, "reminder_registration") == [], "not before the deadline has passed"
    clock.now = datetime(2026, 4, 29, 0, 5, tzinfo=CST)
    cycle(app)
    cycle(app)
    rem = [m for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "reminder_registration"]
    assert [m.rcpt_tos for m in rem] == [("cjzjj@xjzj.gov.cn",)], "only 昌吉州 has no liaison in the sample"
    assert "昌吉州质量技术监督局" in bodies(smtp_sink, "reminder_registration")[0]
    clock.now += timedelta(days=6)
    cycle(app)
    assert len(bodies(smtp_sink, "reminder_registration")) == 1, "not before the interval"
    clock.now += timedelta(days=1, minutes=1)
    cycle(app)
    assert len(bodies(smtp_sink, "reminder_registration")) == 2
    last = [m for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "reminder_registration"][-1]
    assert "jbgs@xjzj.gov.cn" in last.rcpt_tos, "the office is copied on the last"
    for _ in range(3):
        clock.now += timedelta(days=8)
        cycle(app)
    assert len(bodies(smtp_sink, "reminder_registration")) == 2, "capped at max_reminders"
    app.close()
