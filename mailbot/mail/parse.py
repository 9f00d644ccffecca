"""Raw RFC 5322 bytes → :class:`~mailbot.model.ParsedMail`. Never raises.

Division of labour (see RIG-NOTES: mail-parser 4.8 turns ``charset=gb2312`` mail that holds
GBK/GB18030-only characters such as 镕 喆 € into mojibake):

* The stdlib ``email`` package (``compat32`` policy, which keeps raw 8-bit header bytes as
  surrogates and never decodes on its own) builds the MIME tree **once**. Every piece of text —
  encoded-words, RFC 2231 names, raw GBK names, bodies — is decoded with our own charset
  ladder in :mod:`mailbot.mail.charsets` (GB2312/GBK labels read as GB18030, lying labels detected,
  defects recorded). HTML-only bodies become text in :mod:`mailbot.mail.htmltext`.
* mail-parser is handed that same tree (``MailParser(message)``, no second MIME parse) and is used
  for what it does right: its attachment inventory, which also recovers attachments smuggled into a
  multipart epilogue (we add those and flag them); its per-part defect harvest (MIME structure and
  metadata defects); and its RFC 5322 date reader as a cross-check (weekday mismatch, obsolete
  forms the stdlib rejects). Its decoded text is never used.

Hostile input is bounded before parsing: NUL bytes are removed, MIME nesting deeper than
``MAX_DEPTH`` or with more than ``max_parts`` boundaries is cut, header values are decoded only up
to ``MAX_HEADER_CHARS``.
"""

from __future__ import annotations

import base64
import binascii
import email
import email._encoded_words
import email.feedparser
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import logging
import re
from collections import Counter

import mailparser
from mailparser.const import EPILOGUE_DEFECTS

from mailbot.mail.attachments import extract_text
from mailbot.mail.charsets import decode_bytes as decode_bytes
from mailbot.mail.charsets import decode_words as decode_words
from mailbot.mail.dsn import _dsn
from mailbot.mail.headers import (
    _ANGLE_ID,
    _HEADER_LINE,
    _addresses,
    _clean,
    _decoded_header,
    _header_str,
    _msgid,
    _parse_date,
    _raw_get,
    _raw_values,
    _unique,
)
from mailbot.mail.htmltext import html_to_text as html_to_text
from mailbot.mail.mime import (
    _bound_mime,
    _filename,
    _is_attachment,
    _message_attachment,
    _message_from_bytes,
    _payload_bytes,
    _walk,
)
from mailbot.model import Attachment, ParsedMail

log = logging.getLogger(__name__)


# mail-parser logs raw header and part contents at WARNING/ERROR; we record those problems as
# defects instead, and mail content must not reach the logs.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)


NUL = b"\x00"


SELECTED_HEADERS = (
    "auto-submitted",
    "precedence",
    "list-id",
    "list-unsubscribe",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "x-priority",
    "importance",
    "priority",
    "content-type",
    "authentication-results",
    "x-mailer",
    "user-agent",
    "x-loop",
    "x-failed-recipients",
    "x-original-to",
    "delivered-to",
    "sender",
    "x-ms-exchange-generated-message-source",
    "x-qq-mid",
)


def _mailparser_view(
    msg: email.message.Message, ours: list[Attachment], defects: list[str], limit: int
) -> list[Attachment]:
    """Run mail-parser over our tree: harvest its defect categories and add any attachment it
    found that our walk did not (e.g. one hidden in a multipart epilogue)."""
    try:
        parsed = mailparser.MailParser(msg)
        categories = sorted(parsed.defects_categories)
        found = parsed.attachments
    except Exception as exc:  # RecursionError included: a defect, not a crash
        defects.append(f"mailparser_failed:{type(exc).__name__}")
        return []
    defects.extend(f"mime:{c}" for c in categories if c != "CharsetDecodeDefect")
    if not set(categories) & EPILOGUE_DEFECTS:
        return []
    sizes = Counter(a.size for a in ours)
    extra: list[Attachment] = []
    for item in found:
        payload = item.get("payload") or ""
        try:
            data = base64.b64decode(payload) if item.get("binary") else str(payload).encode("utf-8")
        except (binascii.Error, ValueError):
            data = b""
        if sizes[len(data)] > 0:
            sizes[len(data)] -= 1
            continue
        name = _clean(str(item.get("filename") or "unnamed"))[:255]
        ctype = str(item.get("mail_content_type") or "application/octet-stream")
        text, extra_defects = extract_text(name, ctype, data, limit=limit)
        defects.extend(extra_defects)
        defects.append(f"attachment_recovered:{name}")
        extra.append(Attachment(filename=name, content_type=ctype, size=len(data), text=text))
    return extra


def parse_mail(raw: bytes, *, max_attachment_text: int = 200_000, max_parts: int = 500) -> ParsedMail:
    """Parse raw mail bytes. Never raises: whatever went wrong is listed in ``defects``."""
    defects: list[str] = []
    try:
        return _parse(bytes(raw), max_attachment_text, max_parts, defects)
    except Exception as exc:  # last line of defence; every known failure is handled below
        log.warning("parse_mail failed unexpectedly: %r", exc)
        defects.append(f"parse_failed:{type(exc).__name__}")
        return _empty(defects)


def _empty(defects: list[str], text: str = "") -> ParsedMail:
    return ParsedMail(
        message_id=None,
        subject="",
        from_addr="",
        from_name="",
        to=(),
        cc=(),
        delivered_to=(),
        reply_to=(),
        return_path=None,
        date=None,
        in_reply_to=None,
        references=(),
        headers={},
        text=text,
        html=None,
        attachments=(),
        defects=_unique(defects),
    )


def _parse(raw: bytes, limit: int, max_parts: int, defects: list[str]) -> ParsedMail:
    if b"\x00" in raw:
        defects.append(f"nul_bytes:{raw.count(NUL)}")
        raw = raw.replace(b"\x00", b"")
    head = raw[:4096].lstrip()
    if head.startswith(b"From ") and b"\n" in head:  # mbox "From " line
        raw = raw.lstrip()
        raw = raw[raw.index(b"\n") + 1 :]
    if not _HEADER_LINE.match(raw[:1024].lstrip(b"\r\n")):
        defects.append("not_mail")
        return _empty(defects)
    raw = _bound_mime(raw, max_parts, defects)
    try:
        msg = _message_from_bytes(raw)
    except RecursionError:
        defects.append("mime_too_deep")
        msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw, headersonly=True)

    subject = _decoded_header(msg, "subject", defects) or ""
    froms = _addresses(msg, ("from",), defects)
    if not froms:
        froms = _addresses(msg, ("sender",), defects)
    from_name, from_addr = froms[0] if froms else ("", "")
    to = _unique([a for _, a in _addresses(msg, ("to",), defects)])
    cc = _unique([a for _, a in _addresses(msg, ("cc",), defects)])
    reply_to = _unique([a for _, a in _addresses(msg, ("reply-to",), defects)])
    delivered = _unique([a for _, a in _addresses(msg, ("delivered-to", "x-original-to"), defects)])
    return_path: str | None = None
    if _raw_get(msg, "return-path") is not None:
        rp = _addresses(msg, ("return-path",), defects)
        return_path = rp[0][1] if rp else ""

    message_id = _msgid(_decoded_header(msg, "message-id", defects))
    in_reply_to = _msgid(_decoded_header(msg, "in-reply-to", defects))
    refs_raw = _decoded_header(msg, "references", defects) or ""
    references = _unique(_ANGLE_ID.findall(refs_raw) or refs_raw.split())
    date = _parse_date(_decoded_header(msg, "date", defects), defects)

    headers: dict[str, str] = {}
    for name in SELECTED_HEADERS:
        values = _raw_values(msg, name)
        if values:
            headers[name] = _clean(
                " ".join(decode_words(_header_str(v, defects, name), defects, name) for v in values[:5])
            )

    parts = list(_walk(msg, max_parts, defects))
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in parts:
        ctype = part.get_content_type()
        filename = _filename(part, defects)
        if ctype.startswith("message/"):
            # DSN status blocks and bounced originals are read by _dsn(); a forwarded mail
            # attached on purpose is listed as an attachment without text.
            if filename or part.get_content_disposition() == "attachment":
                attachments.append(_message_attachment(part, filename))
            continue
        if part.is_multipart():
            continue
        if part is msg:
            as_attachment = (bool(filename) and part.get_content_disposition() == "attachment") or (
                part.get_content_maintype() != "text"
            )
        else:
            as_attachment = _is_attachment(part, filename)
        if as_attachment:
            data = _payload_bytes(part, defects)
            text, extra = extract_text(filename, ctype, data, limit=limit, charset=part.get_content_charset())
            defects.extend(extra)
            attachments.append(
                Attachment(filename=filename or "unnamed", content_type=ctype, size=len(data), text=text)
            )
            del data  # a big attachment's bytes must not outlive its part (memory peak)
        elif ctype in ("text/plain", "text/html"):
            data = _payload_bytes(part, defects)
            body = decode_bytes(data, part.get_content_charset(), defects, "body").replace("\x00", "")
            (html if ctype == "text/html" else plain).append(body)

    if not any(d.startswith(("too_many_parts", "mime_too_deep")) for d in defects):
        attachments.extend(_mailparser_view(msg, attachments, defects, limit))

    for part in parts:
        for defect in part.defects:
            defects.append(f"mime:{type(defect).__name__}")
    if any(d in defects for d in ("mime:StartBoundaryNotFoundDefect", "mime:CloseBoundaryNotFoundDefect")):
        defects.append("mime_truncated")
    if any("Base64" in d for d in defects if d.startswith("mime:")):
        defects.append("bad_base64")

    html_text = "\n".join(html) if html else None
    text = "\n\n".join(p.strip("\r\n") for p in plain if p.strip())
    if not text and html_text:
        try:
            text = html_to_text(html_text)
        except Exception as exc:
            defects.append(f"html_unreadable:{type(exc).__name__}")
            text = re.sub(r"<[^>]*>", " ", html_text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    dsn_recipients, dsn_original = _dsn(msg, parts, defects)
    return ParsedMail(
        message_id=message_id,
        subject=subject,
        from_addr=from_addr,
        from_name=from_name,
        to=to,
        cc=cc,
        delivered_to=delivered,
        reply_to=reply_to,
        return_path=return_path,
        date=date,
        in_reply_to=in_reply_to,
        references=references,
        headers=headers,
        text=text,
        html=html_text,
        attachments=tuple(attachments),
        defects=_unique(defects),
        dsn_recipients=dsn_recipients,
        dsn_original_message_id=dsn_original,
    )
