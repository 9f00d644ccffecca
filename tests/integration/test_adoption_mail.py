"""The office's adoption command by mail, end to end through Dovecot, the pipeline and the SMTP sink, on
SQLite and PostgreSQL: a reply to a receipt saying 采用：… records the adoption and is confirmed; a forged
one (failing Authentication-Results), one that answers no receipt, and one from a unit are refused,
flagged and reported to the office; each mail counts once."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.daemon.jobs import Daemon
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.store.models import Adoption, OutboxItem, Submission
from tests import mailgen

CST = mailgen.CST
OFFICE = ("jbgs@xjzj.gov.cn", "区局办公室")
AR_PASS = "mx.xjzj.gov.cn; spf=pass smtp.mailfrom=xjzj.gov.cn; dkim=pass header.d=xjzj.gov.cn; dmarc=pass"
AR_FAIL = "mx.xjzj.gov.cn; spf=fail smtp.mailfrom=xjzj.gov.cn; dmarc=fail header.from=xjzj.gov.cn"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_office_adoption_by_mail(
    dovecot: Any, imap_user: str, smtp_sink: Any, db_url: str, monkeypatch: Any, capsys: Any, tmp_path: Any
) -> None:
    # near the real time: `mailbot adoptions mail` (the CLI) examines the last 30 days by the real clock
    clock = Clock(datetime.now(CST).replace(hour=10, minute=30, second=0, microsecond=0) - timedelta(days=3))
    data = {
        "database": {"url": db_url},
        "imap": [{"name": "main", "url": dovecot.url(imap_user)}],
        "smtp": {"url": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none"},
        "office": {"notify": ["duty@xjzj.gov.cn"], "require_authentication": True},
        "trust": {"authserv_ids": ["mx.xjzj.gov.cn"]},
    }
    app = App.create(build_config(data, env={}), clock=clock)
    dovecot.append(
        imap_user, mailgen.report(1, sent=clock.now - timedelta(minutes=20)), internaldate=clock.now
    )
    poll_once(app)
    flush_outbox(app)
    with app.db.session() as s:
        report = s.scalars(select(Submission).where(Submission.tracking_no.is_not(None))).one()
        receipt = s.scalars(select(OutboxItem).where(OutboxItem.kind == "receipt")).one()
        number, receipt_id = report.tracking_no, receipt.message_id
    smtp_sink.clear()

    def office_mail(
        n: int, *, sender: tuple[str, str] = OFFICE, ar: str = AR_PASS, reply_to: str = receipt_id, body: str
    ) -> bytes:
        return mailgen.report(
            100 + n,
            sender=sender,
            subject=f"回复：[回执] {number}",
            body=body + "\n\n-----原始邮件-----\n采用：中办\n",
            in_reply_to=reply_to,
            headers={"Authentication-Results": ar},
            sent=clock.now,
        )

    clock.now += timedelta(days=2)
    day = clock.now.date().isoformat()
    dovecot.append(
        imap_user,
        office_mail(1, body="采用：信息专报 2026年第12期\n采用：人民网 media.national"),
        internaldate=clock.now,
    )
    dovecot.append(imap_user, office_mail(2, ar=AR_FAIL, body="采用：中办"), internaldate=clock.now)  # forged
    dovecot.append(
        imap_user, office_mail(3, reply_to="guessed@xjzj.gov.cn", body="采用：中办"), internaldate=clock.now
    )
    dovecot.append(
        imap_user, office_mail(4, sender=mailgen.UNITS[1], body="采用：中办"), internaldate=clock.now
    )
    poll_once(app)
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    config = app.config
    app.close()
    # `mailbot adoptions mail` with the same configuration (SMTP, require_authentication, trust)
    path = tmp_path / "mailbot.toml"
    path.write_text(_toml(data), encoding="utf-8")
    monkeypatch.setenv("MAILBOT_CONFIG", str(path))
    assert main(["adoptions", "mail"]) == 1, "refused ones make exit 1"
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("submission ") and "已登记：#1 " in out[0] and "信息专报 2026年第12期" in out[0]
    assert "已登记：#2 " in out[0] and "中央媒体 人民网" in out[0]
    assert "REFUSED (邮件服务器的认证结果（Authentication-Results）未通过)" in out[1]
    assert "REFUSED (该邮件不是对本系统所发回执的回复)" in out[2]
    assert "REFUSED (发件人不是本办公室的邮箱（office.own_addresses）)" in out[3]

    app = App.create(config, clock=clock)
    with app.db.session() as s:
        adoptions = s.scalars(select(Adoption).order_by(Adoption.id)).all()
        assert [(a.kind, a.level, a.issue, a.outlet, a.source, a.created_by) for a in adoptions] == [
            ("office", "special", "2026年第12期", "", "mail", "mail:jbgs@xjzj.gov.cn"),
            ("media", "national", "", "人民网", "mail", "mail:jbgs@xjzj.gov.cn"),
        ], "the quoted 采用：中办 below the reply is not a command"
        assert {a.adopted_on.isoformat() for a in adoptions} == {day}, "the day of the office's mail"
        flags = {
            s.message_id: [f for f in s.flags if f.startswith("adoption_mail")]
            for s in s.scalars(select(Submission).where(Submission.in_reply_to.is_not(None)))
        }
    assert sorted(flags.values()) == [
        ["adoption_mail:recorded"],
        ["adoption_mail:refused:auth_failed"],
        ["adoption_mail:refused:no_receipt"],
        ["adoption_mail:refused:not_office"],
    ]
    sent = [
        email.message_from_bytes(m.message().as_bytes(), policy=email.policy.default)
        for m in smtp_sink.messages
    ]
    kinds = [(m["X-Mailbot-Kind"], m["To"]) for m in sent]
    assert kinds.count(("adoption_mail", "jbgs@xjzj.gov.cn")) == 1
    assert kinds.count(("adoption_mail", "duty@xjzj.gov.cn")) == 3, "each refusal is shown to the office"
    confirmation = next(
        m for m in sent if m["To"] == "jbgs@xjzj.gov.cn" and m["X-Mailbot-Kind"] == "adoption_mail"
    )
    assert number in confirmation["Subject"] and confirmation["In-Reply-To"]
    refused = next(m for m in sent if m["To"] == "duty@xjzj.gov.cn")
    assert "未作任何登记" in refused.get_body(("plain",)).get_content()
    # again (the daemon's job a minute later): nothing counts twice
    before = len(smtp_sink.messages)
    daemon = Daemon(app)
    assert "adoption_mail" in {j.id for j in daemon.scheduler.get_jobs()}
    daemon._adoption_mail()
    flush_outbox(app)
    with app.db.session() as s:
        assert len(s.scalars(select(Adoption)).all()) == 2
    assert len(smtp_sink.messages) == before
    app.close()


def _toml(data: dict[str, Any]) -> str:
    return (
        f'[database]\nurl = "{data["database"]["url"]}"\n'
        f'[smtp]\nurl = "{data["smtp"]["url"]}"\n'
        '[office]\nnotify = ["duty@xjzj.gov.cn"]\nrequire_authentication = true\n'
        '[trust]\nauthserv_ids = ["mx.xjzj.gov.cn"]\n'
    )
