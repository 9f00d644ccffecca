"""Property tests (hypothesis) over parse → classify → assess → store + render.

- any bytes: parsing and judging never raise;
- any subject, sender name and body (encoded CR/LF, markup, template syntax): the stored receipt
  carries only mailbot's own headers, each on one line, and its HTML part never contains markup from
  the mail.
"""

from __future__ import annotations

import base64
import email
import email.policy
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake.pipeline import process_one
from mailbot.judge.assess import assess
from mailbot.mail.parse import parse_mail
from mailbot.model import FetchedMail, Outcome
from mailbot.store.models import OutboxItem

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\r\nBcc: victim@example.org",
    "\nX-Evil: 1",
    '"><x-evil a=1>',
    "{{ config }}",
    "{% if 1 %}x{% endif %}",
    "&lt;b&gt;",
    "\x00",
    "</html><x-evil>",
]
ALLOWED_HEADERS = {
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "auto-submitted",
    "x-auto-response-suppress",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "x-mailbot-kind",
    "x-mailbot-tracking",
    "precedence",
    "content-disposition",
    "content-id",
    "x-mailbot-case",
    "x-loop",
}

hostile_text = st.builds(
    lambda a, p, b: a + p + b, st.text(max_size=40), st.sampled_from(PAYLOADS), st.text(max_size=40)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=st.binary(max_size=3000))
def test_any_bytes_parse_and_assess_without_exception(raw: bytes) -> None:
    app_rules = _APP.rules, _APP.policy, _APP.domains
    parsed = parse_mail(raw, max_attachment_text=10_000, max_parts=50)
    assess(
        parsed,
        internaldate=datetime(2026, 11, 20, 3, tzinfo=UTC),
        rules=app_rules[0],
        policy=app_rules[1],
        domains=app_rules[2],
    )


def _ew(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode("utf-8", "surrogatepass")).decode() + "?="


_counter = itertools.count(1)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(subject=hostile_text, name=hostile_text, body=hostile_text)
def test_receipts_never_carry_injected_headers_or_markup(subject: str, name: str, body: str) -> None:
    n = next(_counter)
    report_subject = "乌鲁木齐市质监局开展冬季锅炉安全专项检查工作" + subject
    report_body = "11月19日，我局组织开展冬季供暖锅炉安全专项检查，共检查锅炉25台。" + body
    raw = (
        f"From: {_ew(name)} <wlmqzjj@xjzj.gov.cn>\r\nTo: jbgs@xjzj.gov.cn\r\n"
        f"Subject: {_ew(report_subject)}\r\nDate: Fri, 20 Nov 2026 10:00:00 +0800\r\n"
        f"Message-ID: <prop-{n}@test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(report_body.encode("utf-8", "surrogatepass"))
    result = process_one(
        _APP, FetchedMail("main", "INBOX", 1, n, str(n), raw, datetime(2026, 11, 20, 3, tzinfo=UTC))
    )
    assert result.outcome in (Outcome.STORED, Outcome.QUARANTINED)
    with _APP.db.session() as s:
        items = s.scalars(select(OutboxItem).where(OutboxItem.submission_id == result.submission_id)).all()
        raws = [i.raw for i in items]
    for out in raws:
        msg = email.message_from_bytes(out, policy=email.policy.default)
        names = {k.lower() for k in msg}
        assert names <= ALLOWED_HEADERS, names - ALLOWED_HEADERS
        assert msg["Bcc"] is None and msg["X-Evil"] is None
        for header_line in out.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
            assert not header_line.lower().startswith((b"bcc:", b"x-evil:"))
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                html = part.get_content()
                for bad in ("<script", "<img", "<x-evil", "</html><"):
                    assert bad not in html, (bad, html[:500])


def _make_app(tmp: Path) -> App:
    return App.create(
        build_config(
            {"database": {"url": f"sqlite:///{tmp / 'prop.db'}"}, "replies": {"rate_limit_count": 100000}},
            env={},
        )
    )


_APP: App


@pytest.fixture(scope="module", autouse=True)
def _app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    global _APP
    _APP = _make_app(tmp_path_factory.mktemp("prop"))
    yield
    _APP.close()
