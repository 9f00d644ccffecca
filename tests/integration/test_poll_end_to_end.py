"""The whole path against real servers: Dovecot → poll --once → database → receipts in the SMTP sink."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot.cli import main
from mailbot.store.db import Database
from mailbot.store.models import OutboxItem, Submission
from tests import mailgen
from tests.registry_util import SAMPLE_UNITS

ROOT = Path(__file__).resolve().parents[2]


def smtp_url(sink) -> str:  # type: ignore[no-untyped-def]
    return f"smtp://127.0.0.1:{sink.port}?tls=none"


@pytest.fixture
def env_urls(monkeypatch, dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    """Only the three MAILBOT_*_URL variables and the shipped config.example.toml."""
    monkeypatch.setenv("MAILBOT_CONFIG", str(ROOT / "config.example.toml"))
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    monkeypatch.setenv("MAILBOT_IMAP_URL", dovecot.url(imap_user))
    monkeypatch.setenv("MAILBOT_SMTP_URL", smtp_url(smtp_sink))
    monkeypatch.delenv("MAILBOT_IMAP_PASSWORD", raising=False)
    monkeypatch.delenv("MAILBOT_SMTP_PASSWORD", raising=False)
    return db_url


def test_fifty_reports_get_fifty_threaded_receipts(env_urls, dovecot, imap_user, smtp_sink):  # type: ignore[no-untyped-def]
    reports = [
        mailgen.report(i, urgent=(i % 10 == 0), charset="gb18030" if i % 7 == 0 else "utf-8")
        for i in range(50)
    ]
    dovecot.multiappend(
        imap_user, [*reports, mailgen.auto_reply(), mailgen.bounce("x@y", "nobody@example.org")]
    )
    assert main(["units", "import", str(SAMPLE_UNITS)]) == 0  # the senders are units

    assert main(["poll", "--once"]) == 0

    db = Database(env_urls)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 52
        tracked = s.scalars(select(Submission).where(Submission.tracking_no.is_not(None))).all()
        assert len(tracked) == 50
        numbers = sorted(t.tracking_no for t in tracked)
        assert numbers[0] == "JB-2026-000001" and numbers[-1] == "JB-2026-000050"
        cats = {c for (c,) in s.execute(select(Submission.category).where(Submission.tracking_no.is_(None)))}
        assert cats == {"auto_reply", "bounce"}
        by_mid = {t.message_id: t for t in tracked}
    db.dispose()

    received = smtp_sink.wait_for(50, timeout=10)
    receipts = [m.message() for m in received if m.message()["X-Mailbot-Kind"] == "receipt"]
    assert len(receipts) == 50
    for msg in receipts:
        original = msg["In-Reply-To"].strip("<>")
        assert original in by_mid, "every receipt threads to a stored report"
        assert original in msg["References"]
        assert msg["Auto-Submitted"] == "auto-replied"
        assert by_mid[original].tracking_no in msg["Subject"]
        assert msg["To"].addresses[0].addr_spec == by_mid[original].from_addr
    assert not any(
        "qq.com" in ",".join(m.rcpt_tos) or "nobody@example.org" in ",".join(m.rcpt_tos) for m in received
    ), "no reply to the auto-reply or the bounce"
    # every message is flagged on the server only now, and nothing was deleted
    flags = dovecot.fetch_flags(imap_user)
    assert len(flags) == 52
    assert all("$MailbotDone" in f and "\\Seen" in f for f in flags.values())


def test_second_poll_stores_nothing_twice(env_urls, dovecot, imap_user, smtp_sink):  # type: ignore[no-untyped-def]
    dovecot.multiappend(imap_user, [mailgen.report(i) for i in range(5)])
    assert main(["poll", "--once"]) == 0
    smtp_sink.wait_for(5)
    # a client (or a crash) removes our keyword: the messages look new again
    with dovecot.client(imap_user) as c:
        c.select_folder("INBOX")
        c.remove_flags(c.search("ALL"), [b"$MailbotDone"])
    dovecot.append(imap_user, mailgen.report(99))
    assert main(["poll", "--once"]) == 0
    db = Database(env_urls)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 6
        assert s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.kind == "receipt")) == 6
    db.dispose()
    assert len(smtp_sink.wait_for(6)) == 6
    assert all("$MailbotDone" in f for f in dovecot.fetch_flags(imap_user).values())


def test_receipt_content_in_chinese(env_urls, dovecot, imap_user, smtp_sink):  # type: ignore[no-untyped-def]
    arrived = datetime(2026, 11, 20, 10, 30, tzinfo=mailgen.CST)  # 40 minutes after the mail's Date
    dovecot.append(imap_user, mailgen.report(1, urgent=True), internaldate=arrived)
    assert main(["units", "import", str(SAMPLE_UNITS)]) == 0
    assert main(["poll", "--once"]) == 0
    received = smtp_sink.wait_for(2)
    kinds = {m.message()["X-Mailbot-Kind"]: m for m in received}
    # the case opened on 2026-11-20 is already overdue for a 续报 by the real clock: a reminder is due too
    assert set(kinds) == {"receipt", "alert", "reminder_case"}
    assert kinds["alert"].rcpt_tos == ("zhiban@xjzj.gov.cn",)
    msg = email.message_from_bytes(kinds["receipt"].raw, policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "登记编号：JB-2026-000001" in text
    assert "紧急信息" in text and "按时报送" in text
    assert "续报" in text
    assert "2026年11月20日 10:30" in text, "received time is the server's INTERNALDATE, in Asia/Shanghai"
    assert "JB-2026-000001" in html and "<table" in html


def test_uidvalidity_change_neither_loses_nor_duplicates(
    env_urls, dovecot, imap_user, smtp_sink, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MAILBOT_IMAP_URL", dovecot.url(imap_user, folder="Reports"))
    raws = [mailgen.report(i) for i in range(4)]
    dovecot.multiappend(imap_user, raws[:3], folder="Reports")
    assert main(["poll", "--once"]) == 0
    smtp_sink.wait_for(3)
    before = dovecot.uidvalidity(imap_user, "Reports")
    # The server rebuilds the folder (new UIDVALIDITY): the same mail comes back without our keyword,
    # with new UIDs, plus one genuinely new message. (The harness deletes here, never mailbot.)
    with dovecot.client(imap_user) as c:
        c.select_folder("Reports")
        c.copy(c.search("ALL"), "INBOX")
        c.close_folder()
        c.delete_folder("Reports")
        c.create_folder("Reports")
        c.select_folder("INBOX")
        c.copy(c.search("ALL"), "Reports")
        c.select_folder("Reports")
        c.remove_flags(c.search("ALL"), [b"$MailbotDone", b"\\Seen"])
    dovecot.append(imap_user, raws[3], folder="Reports")
    assert dovecot.uidvalidity(imap_user, "Reports") != before
    assert main(["poll", "--once"]) == 0
    db = Database(env_urls)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 4
    db.dispose()
    assert len(smtp_sink.wait_for(4)) == 4, "one new receipt, none repeated"
    assert all("$MailbotDone" in f for f in dovecot.fetch_flags(imap_user, "Reports").values())


def test_check_config_reports_each_login_plainly(
    env_urls, dovecot, imap_user, smtp_sink, monkeypatch, capsys
):  # type: ignore[no-untyped-def]
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "IMAP OK" in out and "SMTP OK" in out and "database: OK" in out
    password = dovecot.password(imap_user)
    monkeypatch.setenv("MAILBOT_IMAP_URL", dovecot.url(imap_user).replace(password, "wrong-secret-123"))
    assert main(["check-config"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "wrong-secret-123" not in out and password not in out
