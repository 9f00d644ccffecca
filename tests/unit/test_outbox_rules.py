"""Which SMTP answers end the session and which fail one reply; recognising our own mail coming back."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.replies.outbox import Stage, answer_text, session_answer
from mailbot.replies.own import is_own_notice

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize(
    ("stage", "code", "text", "session"),
    [
        (Stage.CONNECT, 535, "5.7.8 Error: authentication failed: authentication failure", True),
        (Stage.CONNECT, None, "Connection refused", True),
        (Stage.MAIL, 450, "4.7.1 Error: too much mail from 127.0.0.1", True),
        (Stage.MAIL, 553, "5.7.1 Sender address rejected: not owned by user zwxx@xjzj.gov.cn", True),
        (Stage.MAIL, 421, "4.7.0 mx closing connection", True),
        (Stage.MAIL, 552, "5.3.4 Message size exceeds fixed limit", False),
        (Stage.MAIL, 555, "5.5.4 Unsupported option: SMTPUTF8", False),
        (Stage.RCPT, 553, "5.7.1 <jbgs@xjzj.gov.cn>: Sender address rejected: not owned by user zwxx", True),
        (Stage.RCPT, 554, "5.7.1 <unknown[127.0.0.1]>: Client host rejected: Access denied", True),
        (Stage.RCPT, 550, "5.1.8 <jbgs@xjzj.gov.cn>: Sender address rejected: Domain not found", True),
        (Stage.RCPT, 550, "5.1.1 <refused@qq.com>: Recipient address rejected: no such user", False),
        (Stage.RCPT, 450, "4.2.0 <a@qq.com>: Recipient address rejected: Greylisted", False),
        (Stage.RCPT, 421, "4.4.2 timeout", True),
        (Stage.DATA, 550, "5.6.0 improper use of 8-bit data in message header", False),
        (Stage.DATA, 451, "4.3.0 Temporary failure", False),
    ],
)
def test_session_or_reply(stage: Stage, code: int | None, text: str, session: bool) -> None:
    assert session_answer(stage, code, text) is session


def test_answer_text_is_readable() -> None:
    assert answer_text(b"5.1.1 <\xe5\xbc\xa0@qq.com>:\n  no such user") == "5.1.1 <张@qq.com>: no such user"
    assert answer_text(None) == ""


NOTICE = (
    b"From: =?utf-8?b?5Yqe5YWs5a6k?= <jbgs@xjzj.gov.cn>\r\nTo: jbgs@xjzj.gov.cn\r\n"
    b"Subject: [mailbot] x\r\nMessage-ID: <notice_office.k.abc@mailbot.xjzj.gov.cn>\r\n"
    b"X-Mailbot-Kind: notice_office\r\n\r\nbody\r\n"
)


@pytest.mark.parametrize(
    ("raw", "own"),
    [
        (NOTICE, True),
        (NOTICE.replace(b"X-Mailbot-Kind: notice_office\r\n", b""), False),  # no header of ours
        (NOTICE.replace(b"<jbgs@xjzj.gov.cn>", b"<x@qq.com>", 1), False),  # not from an own address
        (NOTICE.replace(b"@mailbot.xjzj.gov.cn>", b"@qq.com>"), False),  # not our Message-ID
        ((FIXTURES / "outbox" / "report-utf8-sender.eml").read_bytes(), False),
    ],
)
def test_own_notice(raw: bytes, own: bool) -> None:
    assert is_own_notice(raw, ("jbgs@xjzj.gov.cn",), "mailbot.xjzj.gov.cn") is own
