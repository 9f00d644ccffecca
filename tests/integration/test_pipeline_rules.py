"""Pipeline behaviour against real Dovecot, SMTP sink and both databases, with time travel (an injected clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.store.models import Case, OutboxItem, Submission, Undeliverable
from tests import mailgen
from tests.registry_util import import_sample_units

CST = mailgen.CST


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def make_app(dovecot, user, sink, db_url, clock, **sections) -> App:  # type: ignore[no-untyped-def]
    data = {
        "database": {"url": db_url},
        "imap": [{"name": "main", "url": dovecot.url(user), **sections.pop("imap", {})}],
        "smtp": {"url": f"smtp://127.0.0.1:{sink.port}?tls=none"},
        "office": {"alert_recipients": ["zhiban@xjzj.gov.cn"], "notify": ["jbgs@xjzj.gov.cn"]},
        **sections,
    }
    app = App.create(build_config(data, env={}), clock=clock)
    import_sample_units(app)  # the mailgen senders are the sample registry's units
    return app


def cycle(app: App) -> None:
    poll_once(app)
    flush_outbox(app)


def kinds(sink) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.message()["X-Mailbot-Kind"] for m in sink.messages]


def test_urgent_case_followups_reminders_and_final_report(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    t0 = datetime(2026, 11, 20, 10, 30, tzinfo=CST)
    clock = Clock(t0)
    app = make_app(
        dovecot,
        imap_user,
        smtp_sink,
        db_url,
        clock,
        cases={"followup_interval_hours": 12, "max_reminders": 2},
    )
    first = mailgen.report(1, urgent=True, sent=t0 - timedelta(minutes=5), message_id="urgent-1@unit")
    dovecot.append(imap_user, first, internaldate=t0)
    cycle(app)
    assert sorted(kinds(smtp_sink)) == ["alert", "receipt"]
    with app.db.session() as s:
        case = s.scalars(select(Case)).one()
        assert case.status == "open" and case.number == "JB-2026-000001"
        receipt_id = s.scalars(select(OutboxItem.message_id).where(OutboxItem.kind == "receipt")).one()

    # 11 hours later: not yet overdue; 13 hours: first reminder; then at most max_reminders
    clock.advance(hours=11)
    cycle(app)
    assert "reminder_case" not in kinds(smtp_sink)
    clock.advance(hours=2)
    cycle(app)
    assert kinds(smtp_sink).count("reminder_case") == 1
    reminder = next(m for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "reminder_case")
    assert reminder.rcpt_tos == ("cjzjj@xjzj.gov.cn",), "only the unit, not the office, on the first reminder"
    clock.advance(hours=6)
    cycle(app)
    assert kinds(smtp_sink).count("reminder_case") == 1, "repeated only after the interval"

    # the unit answers the receipt (a reply to OUR message) with a 续报: it joins the case and resets reminders
    clock.advance(hours=1)
    followup = mailgen.report(
        2,
        sent=clock.now,
        subject="回复：进展情况",
        sender=("cjzjj@xjzj.gov.cn", "昌吉州质监局"),
        body=f"{clock.now.month}月{clock.now.day}日{clock.now.hour - 1}时，电梯已修复，恢复运行前正在检验。",
        in_reply_to=receipt_id,
    )
    dovecot.append(imap_user, followup, internaldate=clock.now)
    cycle(app)
    with app.db.session() as s:
        sub = s.scalars(
            select(Submission).where(
                Submission.message_id == "report-2-" + f"{clock.now:%Y%m%d%H%M}@test.xjzj.gov.cn"
            )
        ).one()
        assert sub.category == "followup" and sub.case_id is not None
        assert any(r.startswith("case_link:reply_to_our_reply") for r in sub.reasons)
        case = s.scalars(select(Case)).one()
        assert case.reminders_sent == 0 and case.status == "open"

    # silence again: two reminders, the last copied to the office, then no more
    for _ in range(3):
        clock.advance(hours=12, minutes=1)
        cycle(app)
    reminders = [m for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "reminder_case"]
    assert len(reminders) == 3
    assert "jbgs@xjzj.gov.cn" in reminders[-1].rcpt_tos, "the office is copied on the last reminder"

    # a final report with the tracking number in the subject closes the case
    clock.advance(hours=1)
    final = mailgen.report(
        3,
        sent=clock.now,
        subject="【终报】JB-2026-000001 电梯困人事件处置完毕",
        sender=("cjzjj@xjzj.gov.cn", "昌吉州质监局"),
        body="事件已处置完毕，电梯已恢复正常运行。",
    )
    dovecot.append(imap_user, final, internaldate=clock.now)
    cycle(app)
    with app.db.session() as s:
        case = s.scalars(select(Case)).one()
        assert case.status == "closed" and case.closed_by == "final_report"
    clock.advance(hours=30)
    cycle(app)
    assert len([k for k in kinds(smtp_sink) if k == "reminder_case"]) == 3, "no reminders for a closed case"
    app.close()


def test_office_closes_a_case_by_command(dovecot, imap_user, smtp_sink, db_url, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    t0 = datetime(2026, 11, 20, 10, 30, tzinfo=CST)
    app = make_app(dovecot, imap_user, smtp_sink, db_url, Clock(t0))
    dovecot.append(imap_user, mailgen.report(1, urgent=True, sent=t0), internaldate=t0)
    cycle(app)
    app.close()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    assert main(["case", "close", "JB-2026-000001"]) == 0
    assert "closed by the office" in capsys.readouterr().out
    assert main(["case", "list", "--all"]) == 0
    assert "closed" in capsys.readouterr().out


def test_old_domain_is_flagged_and_the_sender_told_once(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    t0 = datetime(2026, 11, 20, 10, 30, tzinfo=CST)
    clock = Clock(t0)
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock)
    for i in range(2):
        dovecot.append(
            imap_user,
            mailgen.report(i, to="jbgs@xjnewqi.gov.cn", sender=("hmzjj@xjnewqi.gov.cn", "哈密市质监局")),
            internaldate=clock.now,
        )
        cycle(app)
        clock.advance(days=1)
    with app.db.session() as s:
        subs = s.scalars(select(Submission)).all()
        assert all(x.old_domain and "old_domain" in x.flags for x in subs)
    got = kinds(smtp_sink)
    assert got.count("receipt") == 2 and got.count("reminder_old_domain") == 1
    receipt = next(m.message() for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "receipt")
    text = receipt.get_body(("plain",)).get_content()
    assert "hmzjj@xjzj.gov.cn" in text and "jbgs@xjzj.gov.cn" in text, "the receipt names the new addresses"
    clock.advance(days=31)
    dovecot.append(imap_user, mailgen.report(9, to="jbgs@xjnewqi.gov.cn"), internaldate=clock.now)
    cycle(app)
    assert kinds(smtp_sink).count("reminder_old_domain") == 2, "again after the notice interval"
    app.close()


def test_bounce_of_our_receipt_marks_the_address_undeliverable(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(datetime(2026, 11, 20, 10, 30, tzinfo=CST))
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock)
    dovecot.append(
        imap_user, mailgen.report(1, sender=("gone@xjzj.gov.cn", "已撤销单位")), internaldate=clock.now
    )
    cycle(app)
    with app.db.session() as s:
        receipt_id = s.scalars(select(OutboxItem.message_id).where(OutboxItem.kind == "receipt")).one()
    dovecot.append(imap_user, mailgen.bounce(receipt_id, "gone@xjzj.gov.cn"), internaldate=clock.now)
    dovecot.append(
        imap_user, mailgen.report(2, sender=("gone@xjzj.gov.cn", "已撤销单位")), internaldate=clock.now
    )
    cycle(app)
    with app.db.session() as s:
        assert s.get(Undeliverable, "gone@xjzj.gov.cn") is not None
        second = s.scalars(select(Submission).where(Submission.tracking_no == "JB-2026-000002")).one()
        assert "no_reply:undeliverable_sender" in second.flags
    assert kinds(smtp_sink).count("receipt") == 1
    app.close()


def test_a_bounce_marks_only_addresses_the_reply_went_to(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(datetime(2026, 11, 20, 10, 30, tzinfo=CST))
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock)
    dovecot.append(
        imap_user, mailgen.report(1, sender=("hmzjj@xjzj.gov.cn", "哈密市质监局")), internaldate=clock.now
    )
    cycle(app)
    with app.db.session() as s:
        receipt_id = s.scalars(select(OutboxItem.message_id).where(OutboxItem.kind == "receipt")).one()
    # a (forged) bounce of our receipt naming the office's leadership, not the receipt's recipient
    dovecot.append(imap_user, mailgen.bounce(receipt_id, "leader@xjzj.gov.cn", 1), internaldate=clock.now)
    cycle(app)
    with app.db.session() as s:
        assert s.get(Undeliverable, "leader@xjzj.gov.cn") is None, "a bounce cannot mark a third party"
        assert s.get(Undeliverable, "hmzjj@xjzj.gov.cn") is None
        item = s.scalars(select(OutboxItem).where(OutboxItem.message_id == receipt_id)).one()
        assert item.last_error == "bounced: no recipient of this reply named"
    app.close()


def test_per_sender_rate_limit(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(datetime(2026, 11, 20, 10, 30, tzinfo=CST))
    app = make_app(
        dovecot, imap_user, smtp_sink, db_url, clock, replies={"rate_limit_count": 3, "rate_limit_hours": 3}
    )
    sender = ("busy@xjzj.gov.cn", "某单位")
    dovecot.multiappend(imap_user, [mailgen.report(i, sender=sender) for i in range(5)])
    cycle(app)
    assert kinds(smtp_sink).count("receipt") == 3
    clock.advance(hours=3, minutes=1)
    dovecot.append(imap_user, mailgen.report(7, sender=sender))
    cycle(app)
    assert kinds(smtp_sink).count("receipt") == 4, "the window slides"
    app.close()


def test_archive_backlog_sends_no_receipts(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    dovecot.multiappend(imap_user, [mailgen.report(i) for i in range(10)])  # years of mail, in short
    clock = Clock(datetime.now(CST) + timedelta(seconds=2))  # mailbot first sees the folder after that
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock, imap={"archive_backlog": True})
    cycle(app)
    assert smtp_sink.messages == []
    with app.db.session() as s:
        subs = s.scalars(select(Submission)).all()
        assert len(subs) == 10 and all(x.status == "archived" and x.tracking_no for x in subs)
    clock.advance(minutes=5)
    dovecot.append(imap_user, mailgen.report(42), internaldate=clock.now)  # arrives after the first start
    clock.advance(minutes=5)
    cycle(app)
    assert kinds(smtp_sink) == ["receipt"]
    app.close()


def test_unprocessable_message_is_quarantined_moved_and_reprocessable(
    dovecot, imap_user, smtp_sink, db_url, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    clock = Clock(datetime(2026, 11, 20, 10, 30, tzinfo=CST))
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock, limits={"max_message_bytes": 3000})
    big = mailgen.report(1, body="检查情况。" * 2000)
    dovecot.append(imap_user, big)
    dovecot.append(imap_user, mailgen.report(2))
    cycle(app)
    assert "mailbot/failed" in dovecot.folders(imap_user)
    assert len(dovecot.uids(imap_user, "mailbot/failed")) == 1
    with app.db.session() as s:
        q = s.scalars(select(Submission).where(Submission.status == "quarantined")).one()
        assert "max_message_bytes" in (q.error or "")
        qid = q.id
    assert sorted(kinds(smtp_sink)) == ["notice_office", "receipt"], (
        "the office is told once, the queue went on"
    )
    app.close()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    assert main(["reprocess", str(qid)]) == 0, "after raising the limit (default config) it goes through"
    assert "stored" in capsys.readouterr().out


def test_inspect_json_keys(capsys, tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "r.eml"
    path.write_bytes(mailgen.report(1, urgent=True))
    assert main(["inspect", "--json", str(path)]) == 0
    import json

    row = json.loads(capsys.readouterr().out)
    for key in (
        "file",
        "message_id",
        "subject",
        "from",
        "category",
        "reasons",
        "event_time",
        "event_time_text",
        "event_time_granularity",
        "reported_at",
        "deadline",
        "verdict",
        "lateness_minutes",
        "old_domain",
        "flags",
    ):
        assert key in row
    assert row["category"] == "urgent" and row["verdict"] == "on_time"
    assert row["event_time"].endswith("+08:00")


@pytest.mark.parametrize("mode", ["move"])
def test_move_mode_and_second_account(dovecot, smtp_sink, db_url, mode):  # type: ignore[no-untyped-def]
    a, b = dovecot.add_user(), dovecot.add_user()
    clock = Clock(datetime(2026, 11, 20, 10, 30, tzinfo=CST))
    data = {
        "database": {"url": db_url},
        "imap": [
            {"name": "main", "url": dovecot.url(a), "mark": mode},
            {"name": "old-domain", "url": dovecot.url(b)},
        ],
        "smtp": {"url": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none"},
    }
    app = App.create(build_config(data, env={}), clock=clock)
    dovecot.append(a, mailgen.report(1))
    dovecot.append(b, mailgen.report(2, to="jbgs@xjnewqi.gov.cn"))
    cycle(app)
    assert dovecot.uids(a) == [] and len(dovecot.uids(a, "mailbot/done")) == 1, "moved, never deleted"
    assert all("$MailbotDone" in f for f in dovecot.fetch_flags(b).values())
    assert kinds(smtp_sink).count("receipt") == 2
    app.close()


def test_our_own_notices_coming_back_are_kept_but_not_registered(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    clock = Clock(datetime(2026, 11, 20, 10, 30, tzinfo=CST))
    app = make_app(dovecot, imap_user, smtp_sink, db_url, clock)
    own = mailgen.report(1, urgent=True, sender=("jbgs@xjzj.gov.cn", "区局办公室"))
    dovecot.append(imap_user, own, internaldate=clock.now)
    cycle(app)
    with app.db.session() as s:
        sub = s.scalars(select(Submission)).one()
        assert sub.tracking_no is None and sub.category == "other" and "own_address" in sub.reasons
        assert s.scalars(select(Case)).all() == []
    assert smtp_sink.messages == []
    app.close()
