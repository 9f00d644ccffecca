"""Golden tests: every tests/fixtures/mail/NAME.eml against NAME.expected.json, plus fuzzing.

Regenerate the corpus with ``python tests/fixtures/make_fixtures.py``.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.mail.parse import decode_bytes, parse_mail
from mailbot.model import ParsedMail

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
FIXTURES = sorted(p.stem for p in MAIL.glob("*.eml"))


def load(name: str) -> tuple[bytes, dict[str, Any]]:
    raw = (MAIL / f"{name}.eml").read_bytes()
    expected = json.loads((MAIL / f"{name}.expected.json").read_text(encoding="utf-8"))
    return raw, expected


def test_corpus_present() -> None:
    assert len(FIXTURES) >= 25


@pytest.mark.parametrize("name", FIXTURES)
def test_golden(name: str) -> None:
    raw, exp = load(name)
    started = time.perf_counter()
    mail = parse_mail(raw)
    # not a speed goal (those live in bench/): a guard against pathological inputs that hang the parser
    assert time.perf_counter() - started < 10.0, "no message, however hostile, takes the parser minutes"
    assert isinstance(mail, ParsedMail)

    for key in (
        "subject",
        "from_addr",
        "from_name",
        "message_id",
        "in_reply_to",
        "return_path",
        "dsn_original_message_id",
    ):
        if key in exp:
            assert getattr(mail, key) == exp[key], key
    for key in ("to", "cc", "delivered_to", "reply_to", "references", "dsn_recipients"):
        if key in exp:
            assert list(getattr(mail, key)) == exp[key], key
    if "date" in exp:
        assert mail.date == datetime.fromisoformat(exp["date"])
        assert (
            mail.date is not None and mail.date.utcoffset() == datetime.fromisoformat(exp["date"]).utcoffset()
        )
    for snippet in exp.get("text_contains", []):
        assert snippet in mail.text, snippet
    for snippet in exp.get("text_excludes", []):
        assert snippet not in mail.text, snippet
    for snippet in exp.get("html_contains", []):
        assert mail.html is not None and snippet in mail.html, snippet
    for header, value in exp.get("headers", {}).items():
        assert mail.headers.get(header) == value, header
    if "attachments" in exp:
        assert [(a.filename, a.size) for a in mail.attachments] == [
            (a["filename"], a["size"]) for a in exp["attachments"]
        ]
        for got, want in zip(mail.attachments, exp["attachments"], strict=True):
            for snippet in want.get("text_contains", []):
                assert got.text is not None and snippet in got.text, (got.filename, snippet)
    for defect in exp.get("defects_contain", []):
        assert any(defect in d for d in mail.defects), (defect, mail.defects)
    if exp.get("no_defects"):
        assert mail.defects == (), mail.defects
    assert_no_line_breaks(mail)


def assert_no_line_breaks(mail: ParsedMail) -> None:
    """Header injection defence: nothing that may be copied into a reply header holds CR/LF."""
    single_line = [
        mail.subject,
        mail.from_name,
        mail.from_addr,
        mail.message_id or "",
        mail.in_reply_to or "",
    ]
    single_line += [a.filename for a in mail.attachments]
    single_line += list(mail.to + mail.cc + mail.reply_to + mail.references)
    single_line += list(mail.headers.values())
    for value in single_line:
        assert "\r" not in value and "\n" not in value, repr(value)


def test_crlf_injection_collapsed() -> None:
    mail = parse_mail((MAIL / "crlf_injection.eml").read_bytes())
    assert "Bcc" in mail.subject and "\n" not in mail.subject
    assert "bcc" not in mail.headers
    assert mail.to == ("jbgs@xjzj.gov.cn",)


def test_gb2312_label_holds_gb18030() -> None:
    mail = parse_mail((MAIL / "gb2312_gb18030_chars.eml").read_bytes())
    assert "镕" in mail.subject
    assert "喆" in mail.text and "€" in mail.text
    assert mail.from_name == "昌吉州质监局"


@pytest.mark.parametrize(
    ("data", "label", "want", "defect"),
    [
        ("镕喆€".encode("gb18030"), "gb2312", "镕喆€", "charset_fallback:gb2312->gb18030"),
        ("普通公文".encode("gb2312"), "gb2312", "普通公文", None),
        ("实为UTF-8".encode(), "gb2312", "实为UTF-8", "charset_mislabelled:gb2312->utf-8"),
        ("无标签".encode(), None, "无标签", None),
        ("无标签GBK正文".encode("gbk"), None, "无标签GBK正文", "charset_fallback:none->gb18030"),
        ("中文".encode("gbk"), "x-unknown", "中文", "charset_unknown:x-unknown"),
        ("繁體".encode("big5"), "big5", "繁體", None),
        ("Grüße".encode("latin-1"), "iso-8859-1", "Grüße", None),
    ],
)
def test_decode_bytes(data: bytes, label: str | None, want: str, defect: str | None) -> None:
    defects: list[str] = []
    assert decode_bytes(data, label, defects) == want
    if defect is None:
        assert defects == []
    else:
        assert defect in defects


def test_naive_date_is_utc_with_defect() -> None:
    raw = b"From: a@b.c\r\nSubject: x\r\nDate: Mon, 16 Nov 2026 15:20:00 -0000\r\n\r\nbody"
    mail = parse_mail(raw)
    assert mail.date is not None and mail.date.utcoffset() is not None
    assert "date_naive_assumed_utc" in mail.defects


def test_china_cst_zone() -> None:
    raw = b"From: a@b.c\r\nSubject: x\r\nDate: Mon, 16 Nov 2026 15:20:00 CST\r\n\r\nbody"
    mail = parse_mail(raw)
    assert mail.date == datetime.fromisoformat("2026-11-16T15:20:00+08:00")


def test_max_parts_parameter() -> None:
    mail = parse_mail((MAIL / "siblings_1000.eml").read_bytes(), max_parts=10)
    assert len(mail.attachments) < 10
    assert any(d.startswith("too_many_parts") for d in mail.defects)


def test_attachment_text_capped() -> None:
    mail = parse_mail((MAIL / "attachments_docx_txt.eml").read_bytes(), max_attachment_text=10)
    assert all(a.text is None or len(a.text) <= 10 for a in mail.attachments)


# --------------------------------------------------------------------------- fuzzing

SEEDS = [load(n)[0][:20_000] for n in FIXTURES if n not in ("nested_1000", "long_header", "siblings_1000")]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_any_bytes_never_raise(raw: bytes) -> None:
    mail = parse_mail(raw)
    assert isinstance(mail, ParsedMail)
    assert_no_line_breaks(mail)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(st.tuples(st.integers(0, 19_999), st.binary(min_size=0, max_size=8)), max_size=8),
    st.integers(0, 20_000),
)
def test_mutated_fixtures_never_raise(seed: bytes, edits: list[tuple[int, bytes]], cut: int) -> None:
    raw = bytearray(seed)
    for pos, chunk in edits:
        pos %= len(raw) + 1
        raw[pos : pos + len(chunk)] = chunk
    mail = parse_mail(bytes(raw[: max(cut, len(raw) // 2)]))
    assert isinstance(mail, ParsedMail)
    assert_no_line_breaks(mail)
