"""The lean parse of big mails (mail/mime.py): big base64 runs are cut out before the stdlib parser and
sized or decoded from the raw bytes. It must give exactly what the plain stdlib path gives."""

from __future__ import annotations

import base64
import io
import random
import zipfile
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from mailbot.mail import mime
from mailbot.mail.parse import parse_mail

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
R = random.Random(3)


def _mail(attachments: list[tuple[bytes, dict[str, str]]]) -> bytes:
    m = EmailMessage(policy=SMTP)
    m["From"] = "a@b.cn"
    m["To"] = "c@d.cn"
    m["Subject"] = "附件"
    m["Date"] = "Mon, 30 Nov 2026 10:00:00 +0800"
    m["Message-ID"] = "<x@y>"
    m.set_content("正文", charset="utf-8")
    for data, kw in attachments:
        m.add_attachment(data, **kw)  # type: ignore[arg-type]
    return m.as_bytes()


def _docx_with_big_member() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("关于锅炉事故的报告")
    buf = io.BytesIO()
    d.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("word/media/big.bin", R.randbytes(1_500_000), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def _cases() -> dict[str, bytes]:
    pdf = {"maintype": "application", "subtype": "pdf", "filename": "a.pdf"}
    out = {
        "binary": _mail([(R.randbytes(1_500_000), pdf)]),
        "no_padding": _mail(
            [
                (
                    R.randbytes(1_500_001),
                    {"maintype": "application", "subtype": "octet-stream", "filename": "b"},
                )
            ]
        ),
        "two_big": _mail(
            [
                (R.randbytes(1_200_000), {"maintype": "image", "subtype": "jpeg", "filename": "1.jpg"}),
                (R.randbytes(1_100_000), {"maintype": "image", "subtype": "png"}),
            ]
        ),
        "big_text": _mail(
            [
                (
                    ("报告内容。" * 120_000).encode("gb18030"),
                    {"maintype": "text", "subtype": "plain", "filename": "r.txt"},
                )
            ]
        ),
        "big_docx": _mail(
            [
                (
                    _docx_with_big_member(),
                    {
                        "maintype": "application",
                        "subtype": "vnd.openxmlformats-officedocument.wordprocessingml.document",
                        "filename": "报告.docx",
                    },
                )
            ]
        ),
        "root_binary": b"From: a@b.cn\r\nTo: c@d.cn\r\nSubject: r\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/pdf; name=x.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(R.randbytes(1_200_000)),
    }
    good = _mail([(R.randbytes(1_200_000), pdf)])
    i = good.index(b"\r\n\r\n", good.index(b"a.pdf")) + 4
    out["padding_in_the_middle"] = good[: i + 1000] + b"==" + good[i + 1002 :]
    out["length_not_multiple_of_4"] = good[: i + 1000] + good[i + 1001 :]
    inner = _mail([(R.randbytes(1_100_000), pdf)])
    fwd = EmailMessage(policy=SMTP)
    fwd["From"] = "a@b.cn"
    fwd["Subject"] = "fwd"
    fwd.set_content("见附件")
    fwd.add_attachment(message_from_bytes(inner), filename="fwd.eml")
    out["forwarded"] = fwd.as_bytes()
    return out


CASES = _cases()


def _view(raw: bytes) -> tuple[object, ...]:
    p = parse_mail(raw, now=NOW)
    return (
        p.subject,
        p.text,
        p.html,
        [(a.filename, a.content_type, a.size, a.text) for a in p.attachments],
        sorted(p.defects),
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_cut_path_gives_what_the_plain_path_gives(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = CASES[name]
    assert mime._cut_big_runs(raw)[1] is not None, "the case takes the cut path"
    lean = _view(raw)
    monkeypatch.setattr(mime, "BIG_PAYLOAD", len(raw) * 10)  # nothing is big: the plain stdlib path
    plain = _view(raw)
    assert lean == plain
    assert lean[3], "the attachments were seen"
