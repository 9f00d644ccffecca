"""The compiled reply envelope (render._fast_message): the same headers and texts as the compat32
generator wrote before, bodies in 7bit/8bit where the lines allow it, and the 8BITMIME downgrade."""

from __future__ import annotations

import email
import email.policy
import random
import string
from datetime import datetime
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest

from mailbot.replies.render import (
    _POLICY,
    MAX_8BIT_LINE,
    Renderer,
    _fast_message,
    _header_bytes,
    has_8bit_body,
    seven_bit,
)

CST = ZoneInfo("Asia/Shanghai")

HEADERS = [
    ("From", "自治区质量技术监督局办公室 <jbgs@xjzj.gov.cn>"),
    ("To", "cjzjj@xjzj.gov.cn"),
    ("Subject", "[回执 JB-2026-000123] 关于辖区一起锅炉泄漏事故的报告（续报二）" * 2),
    ("Date", "Thu, 26 Nov 2026 09:06:00 +0800"),
    ("Message-ID", "<receipt.123.0123456789abcdef0123456789abcdef@mailbot.xjzj.gov.cn>"),
    ("In-Reply-To", "<orig.123@cjzjj.xjzj.gov.cn>"),
    ("References", " ".join(f"<ref{i}.abcdefghijklmnop@cjzjj.xjzj.gov.cn>" for i in range(6))),
    ("Auto-Submitted", "auto-replied"),
    ("X-Auto-Response-Suppress", "All"),
    ("X-Mailbot-Kind", "receipt"),
]
TEXT = "您好：\n\n区局办公室已收到您的来信。\n登记编号：JB-2026-000123\n.一行以点开头\n\n— mailbot\n"
HTML = "<p>您好：</p>\n<p>区局办公室已收到您的来信。</p>\n"


def _compat32_message(headers: list[tuple[str, str]], text: str, html: str | None) -> bytes:
    """The generator the envelope replaces (mailbot before issue 17), as the reference."""
    body: Message = MIMEText(text, "plain", "utf-8")
    if html is not None:
        alt = MIMEMultipart("alternative")
        alt.attach(body)
        alt.attach(MIMEText(html, "html", "utf-8"))
        body = alt
    for name, value in headers:
        if value.isascii():
            body[name] = value
        elif name in ("To", "Cc"):
            body[name] = value.encode("utf-8").decode("ascii", "surrogateescape")
        else:
            body[name] = Header(value, "utf-8", header_name=name)  # type: ignore[assignment]
    buf = BytesIO()
    BytesGenerator(buf, policy=compat32.clone(linesep="\r\n"), mangle_from_=False).flatten(body)
    return buf.getvalue()


def _parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _texts(raw: bytes) -> tuple[str, str | None]:
    msg = _parse(raw)
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None
    return (
        plain.get_content().replace("\r\n", "\n"),  # type: ignore[attr-defined]
        html.get_content().replace("\r\n", "\n") if html is not None else None,  # type: ignore[attr-defined]
    )


def _header_lines(raw: bytes) -> list[bytes]:
    """The header fields (folded lines kept) other than the MIME ones, in order."""
    fields: list[bytes] = []
    for line in raw.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line[:1] in (b" ", b"\t"):
            fields[-1] += b"\r\n" + line
        else:
            fields.append(line)
    skip = (b"content-type:", b"content-transfer-encoding:", b"mime-version:")
    return [f for f in fields if not f.lower().startswith(skip)]


@pytest.mark.parametrize("html", [HTML, None])
def test_same_headers_and_texts_as_the_compat32_generator(html: str | None) -> None:
    new, old = _fast_message(HEADERS, TEXT, html), _compat32_message(HEADERS, TEXT, html)
    assert _header_lines(new) == _header_lines(old)  # byte for byte, folding and encoded-words included
    assert _texts(new) == _texts(old) == (TEXT, html)
    for name, _ in HEADERS:
        assert str(_parse(new)[name]) == str(_parse(old)[name])


def test_chinese_bodies_go_8bit_ascii_7bit_and_smaller_than_base64() -> None:
    raw = _fast_message(HEADERS, TEXT, HTML)
    parts = list(_parse(raw).walk())[1:]
    assert [p["Content-Transfer-Encoding"] for p in parts] == ["8bit", "8bit"]
    assert has_8bit_body(raw)
    assert len(raw) < len(_compat32_message(HEADERS, TEXT, HTML))
    ascii_raw = _fast_message(HEADERS, "Dear unit,\nreceived.\n", None)
    assert _parse(ascii_raw)["Content-Transfer-Encoding"] == "7bit" and not has_8bit_body(ascii_raw)
    assert b"\r\n\r\nDear unit,\r\nreceived.\r\n" in ascii_raw  # CRLF lines, no bare LF on the wire


@pytest.mark.parametrize("text", ["长" * (MAX_8BIT_LINE // 3 + 1) + "\n", "a\x00b\n"])
def test_a_too_long_line_or_a_nul_falls_back_to_base64(text: str) -> None:
    raw = _fast_message(HEADERS, text, None)
    assert _parse(raw)["Content-Transfer-Encoding"] == "base64"
    assert _texts(raw)[0] == text
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def test_seven_bit_downgrade_keeps_headers_and_texts() -> None:
    for html in (HTML, None):
        raw = _fast_message(HEADERS, TEXT, html)
        down = seven_bit(raw)
        body = down.partition(b"\r\n\r\n")[2]
        assert body.isascii() and not has_8bit_body(down)
        assert _header_lines(down) == _header_lines(raw)
        assert _texts(down) == _texts(raw) == (TEXT, html)
        assert all(
            p["Content-Transfer-Encoding"] == "base64" for p in _parse(down).walk() if not p.is_multipart()
        )
        assert seven_bit(down) == down
    ascii_raw = _fast_message(HEADERS, "plain ascii\n", HTML.encode("ascii", "xmlcharrefreplace").decode())
    assert seven_bit(ascii_raw) == ascii_raw


def test_the_boundary_never_occurs_in_a_body() -> None:
    raw = _fast_message(HEADERS, TEXT, HTML)
    boundary = _parse(raw).get_boundary()
    assert boundary is not None and boundary.startswith("=" * 15)
    assert raw.count(boundary.encode()) == 4  # the header, two delimiters and the closing one


def test_short_ascii_headers_are_written_as_the_policy_folds_them() -> None:
    rng = random.Random(17)
    alphabet = string.printable[:95] + "  \t"
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 90)))
        name = rng.choice(["Date", "Message-ID", "References", "Subject"])
        assert _header_bytes(name, value) == _POLICY.fold_binary(name, value), (name, value)


def test_templates_are_compiled_once_per_renderer() -> None:
    r = Renderer(None, CST)
    kwargs = {
        "template": "notice_office",
        "context": {"what": "测试", "details": "x", "submission_id": 3},
        "from_addr": "jbgs@xjzj.gov.cn",
        "from_name": "办公室",
        "to": ["a@xjzj.gov.cn"],
        "subject": "主题",
        "message_id": "n.1@mailbot.test",
        "date": datetime(2026, 11, 20, 10, 30, tzinfo=CST),
    }
    first = r.render_mail("notice_office", **kwargs)  # type: ignore[arg-type]
    compiled = dict(r._compiled)
    assert "notice_office.txt.j2" in compiled and compiled["notice_office.html.j2"] is None
    second = r.render_mail("notice_office", **kwargs)  # type: ignore[arg-type]
    assert r._compiled == compiled and all(r._compiled[k] is v for k, v in compiled.items())
    assert first.raw == second.raw
