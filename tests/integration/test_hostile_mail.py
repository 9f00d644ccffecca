"""Hostile and broken mail through Dovecot and a running ``mailbot run``: nothing stops the daemon.

The malformed corpus of tests/fixtures/mail plus generated monsters (a 40 MB attachment, 100 KB header
lines, lying charsets), each followed by an ordinary report: every message is stored with the bytes the
server holds, unprocessable ones are quarantined (moved to mailbot/failed, the office told once), and the
ordinary reports behind them are receipted.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select

from mailbot.store import queries
from mailbot.store.db import Database
from mailbot.store.models import OutboxItem, RawMessage, Submission
from tests import mailgen
from tests.integration.daemon_util import start_daemon, stop_daemon, wait_for, write_config

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
OFFICE = "office-duty@xjzj.gov.cn"


def _generated() -> dict[str, bytes]:
    big = EmailMessage()
    big["From"], big["To"], big["Subject"] = (
        "wlmqzjj@xjzj.gov.cn",
        "jbgs@xjzj.gov.cn",
        "附件：现场照片（40 MB）",
    )
    big["Message-ID"] = "<big-attachment@test>"
    big.set_content("见附件。")
    big.add_attachment(
        os.urandom(40 * 1024 * 1024), maintype="application", subtype="octet-stream", filename="photos.zip"
    )
    long_subject = ("Subject: " + "超长主题" * 25_000 + "\r\n").encode()  # one 100 KB header line, unfolded
    long_header = b"X-Junk: " + b"A" * 100_000 + b"\r\n"
    head = b"From: cjzjj@xjzj.gov.cn\r\nTo: jbgs@xjzj.gov.cn\r\nDate: Fri, 20 Nov 2026 10:00:00 +0800\r\n"
    return {
        "attachment_40mb": big.as_bytes(),
        "header_100kb_subject": head
        + b"Message-ID: <long-subject@test>\r\n"
        + long_subject
        + b"\r\nbody\r\n",
        "header_100kb_x": head
        + b"Message-ID: <long-x@test>\r\n"
        + long_header
        + b"Subject: x\r\n\r\nbody\r\n",
        "lying_ascii_is_gbk": head
        + b"Message-ID: <lie-ascii@test>\r\nSubject: =?us-ascii?Q?=D6=CA=BC=E0?=\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "11月19日，发生电梯困人事件。".encode("gbk")
        + b"\r\n",
        "lying_utf8_is_gbk": head
        + b"Message-ID: <lie-utf8@test>\r\nSubject: =?utf-8?B?"
        + __import__("base64").b64encode("锅炉检查".encode("gb18030"))
        + b"?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n"
        + "锅炉安全检查，发现隐患6处。".encode("gb18030")
        + b"\r\n",
        "lying_big5_is_utf8": head + b"Message-ID: <lie-big5@test>\r\nSubject: test\r\n"
        b"Content-Type: text/plain; charset=big5\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + "检查工作情况".encode()
        + b"\r\n",
    }


def test_hostile_corpus_never_stops_the_daemon(tmp_path, dovecot, imap_user, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    corpus = {p.stem: p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))}
    corpus.update(_generated())
    appended: dict[str, int] = {}
    refused: list[str] = []
    normal = 0
    for name, raw in corpus.items():
        try:
            appended[name] = dovecot.append(imap_user, raw)
        except Exception:  # the IMAP server itself refuses it (e.g. NUL bytes): never reaches mailbot
            refused.append(name)
        dovecot.append(
            imap_user, mailgen.report(500 + normal, sender=("kszjj@xjzj.gov.cn", "喀什地区质监局"))
        )
        normal += 1
    total = len(appended) + normal
    url = f"sqlite:///{tmp_path / 'hostile.db'}"
    config = write_config(
        tmp_path / "c.toml",
        extra=("[limits]\nmax_message_bytes = 30000000\nmax_parts = 200\nmax_attachment_text = 50000\n"),
    )
    config.write_text(
        config.read_text().replace("alert_recipients = []", f'alert_recipients = []\nnotify = ["{OFFICE}"]')
    )
    env = {
        "MAILBOT_DATABASE_URL": url,
        "MAILBOT_IMAP_URL": dovecot.url(imap_user),
        "MAILBOT_SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none",
    }
    server_raw = {hashlib.sha256(r).hexdigest() for r in dovecot.fetch_raw(imap_user).values()}
    proc = start_daemon(config, env, tmp_path / "daemon.log")
    db = Database(url, migrate_schema=False)

    def count() -> int:
        try:
            with db.session() as s:
                return len(s.scalars(select(Submission.id)).all())
        except Exception:
            return 0

    try:
        assert wait_for(lambda: count() >= total, 240), (tmp_path / "daemon.log").read_text()[-3000:]
        receipts = lambda: sum(1 for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "receipt")  # noqa: E731
        assert wait_for(lambda: receipts() >= normal, 60)
        assert wait_for(
            lambda: not [u for u, f in dovecot.fetch_flags(imap_user).items() if "$MailbotDone" not in f], 30
        )
        assert proc.poll() is None, "no input stops the daemon"
    finally:
        assert stop_daemon(proc) == 0
    with db.session() as s:
        subs = s.scalars(select(Submission)).all()
        stored_raw = {
            hashlib.sha256(queries.unpack_raw(s.get(RawMessage, sub.id))).hexdigest()  # type: ignore[arg-type]
            for sub in subs
        }
        quarantined = [sub for sub in subs if sub.status == "quarantined"]
        notices = s.scalars(select(OutboxItem).where(OutboxItem.kind == "notice_office")).all()
    db.dispose()
    assert len(subs) == total and stored_raw == server_raw, (
        "every message stored once, with the server's bytes"
    )
    q_names = sorted((sub.subject or sub.message_id or "?")[:40] for sub in quarantined)
    office = Counter(m.message()["Subject"] for m in smtp_sink.messages if OFFICE in m.rcpt_tos)
    quarantine_mail = [k for k in office if "隔离" in k]
    print(
        f"\nHOSTILE: {len(corpus)} hostile inputs, {len(refused)} refused by Dovecot itself {refused}, "
        f"{len(appended)} reached mailbot + {normal} ordinary reports; stored {len(subs)}, "
        f"quarantined {len(quarantined)}: {q_names}; office notices {len(quarantine_mail)}"
    )
    assert any(sub.size > 30_000_000 for sub in quarantined), (
        "the 40 MB attachment hits limits.max_message_bytes"
    )
    assert len(quarantine_mail) == len(quarantined) and all(c == 1 for c in office.values()), (
        "office told once each"
    )
    assert len([n for n in notices if n.dedupe_key.startswith("notice:quarantine:")]) == len(quarantined)
    failed_folder = dovecot.uids(imap_user, "mailbot/failed") if quarantined else []
    assert len(failed_folder) == len(quarantined), "quarantined mail moved to mailbot/failed on the server"
