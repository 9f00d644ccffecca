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
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import mailparser
from mailparser.const import EPILOGUE_DEFECTS
from mailparser.dates import parse_mail_date

from mailbot.mail.attachments import extract_text

# decode_bytes, decode_words and html_to_text are also re-exported from here (``X as X``) for
# callers and tests that import them from mailbot.mail.parse.
from mailbot.mail.charsets import decode_bytes as decode_bytes
from mailbot.mail.charsets import decode_words as decode_words
from mailbot.mail.htmltext import html_to_text as html_to_text
from mailbot.model import Attachment, ParsedMail

log = logging.getLogger(__name__)
# mail-parser logs raw header and part contents at WARNING/ERROR; we record those problems as
# defects instead, and mail content must not reach the logs.
logging.getLogger("mailparser").setLevel(logging.CRITICAL)

NUL = b"\x00"
MAX_DEPTH = 32  # real mail nests 3-5 levels; the stdlib recurses per level
MAX_HEADER_CHARS = 16_384  # decode at most this much of one header value
MAX_ADDRESSES = 500

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

_ANGLE_ID = re.compile(r"<([^<>\s]{1,998})>")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")
_BOUNDARY_SCAN = re.compile(
    rb"""boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))|^--([^\r\n]{1,204})--[ \t]*\r?$""",
    re.IGNORECASE | re.MULTILINE,
)
_BOUNDARY_WORD = re.compile(rb"boundary", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:", re.MULTILINE)
_CHINA_CST = re.compile(r"\bCST\b|\(CST\)|\bBJT\b", re.IGNORECASE)


# --------------------------------------------------------------------------- headers


def _raw_values(msg: email.message.Message, name: str) -> list[str]:
    """Header values exactly as parsed: compat32 keeps 8-bit bytes as surrogates here, where
    ``msg.get()`` would hand back a lossy ``Header`` object."""
    name = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == name]


def _raw_get(msg: email.message.Message, name: str) -> str | None:
    values = _raw_values(msg, name)
    return values[0] if values else None


def _raw_header_bytes(value: object) -> bytes:
    """Surrogate-escaped header text back to the bytes that were on the wire."""
    return str(value).encode("ascii", "surrogateescape")


def _header_str(value: object, defects: list[str], name: str) -> str:
    """A raw header value as text: 8-bit bytes decoded (UTF-8, else GB18030), length capped."""
    try:
        data = _raw_header_bytes(value)
    except UnicodeEncodeError:
        data = str(value).encode("utf-8", "replace")
    if len(data) > MAX_HEADER_CHARS:
        defects.append(f"header_truncated:{name}")
        data = data[:MAX_HEADER_CHARS]
    if data.isascii():
        return data.decode("ascii")
    return decode_bytes(data, None, defects, f"header_8bit:{name}")


def _clean(text: str) -> str:
    """Header injection defence: every CR, LF and control character becomes one space."""
    return " ".join(_CONTROL.sub(" ", text).split())


def _decoded_header(msg: email.message.Message, name: str, defects: list[str]) -> str | None:
    value = _raw_get(msg, name)
    if value is None:
        return None
    return _clean(decode_words(_header_str(value, defects, name), defects, name))


def _addresses(
    msg: email.message.Message, names: tuple[str, ...], defects: list[str]
) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for name in names:
        values = _raw_values(msg, name)
        for value in values[:20]:
            text = _header_str(value, defects, name)
            try:
                pairs = email.utils.getaddresses([_CONTROL.sub(" ", text)])
            except Exception:  # the stdlib address parser has raised on odd input before
                defects.append(f"bad_address:{name}")
                pairs = []
            for display, addr in pairs[:MAX_ADDRESSES]:
                addr = addr.strip().lower()
                if not addr or ("@" not in addr and not addr.isidentifier()):
                    continue
                found.append((_clean(decode_words(display, defects, name)), addr))
    return found


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def _msgid(value: str | None) -> str | None:
    if value is None:
        return None
    match = _ANGLE_ID.search(value)
    ident = match.group(1) if match else value.strip().strip("<>").strip()
    ident = _clean(ident)
    return ident or None


def _parse_date(value: str | None, defects: list[str]) -> datetime | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        defects.append("date_missing")
        return None
    stdlib: datetime | None
    try:
        stdlib = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        stdlib = None
    if stdlib is None:
        try:  # 2026-11-16 15:20:00 from some gateway software
            stdlib = datetime.fromisoformat(value[:64])
        except ValueError:
            stdlib = None
    try:
        checked = parse_mail_date(value[:256])  # mail-parser's reader as the cross-check
    except Exception:
        checked = None
    if checked is not None:
        for reason in checked.reasons:
            if reason != "invalid-date-syntax" or stdlib is None:
                defects.append(f"date:{reason}")
    if stdlib is None and checked is not None and checked.value is not None:
        stdlib = checked.value
    if stdlib is None:
        defects.append("date_unparsable")
        return None
    if _CHINA_CST.search(value) and stdlib.utcoffset() == timedelta(hours=-6):
        # Chinese servers write "CST" for China Standard Time (+08:00), not US Central.
        defects.append("date_cst_read_as_china")
        stdlib = stdlib.replace(tzinfo=timezone(timedelta(hours=8)))
    if stdlib.tzinfo is None:
        defects.append("date_naive_assumed_utc")
        stdlib = stdlib.replace(tzinfo=UTC)
    return stdlib


# --------------------------------------------------------------------------- MIME bounds


def _bound_mime(raw: bytes, max_parts: int, defects: list[str]) -> bytes:
    """Cut the raw message before MIME nesting gets deeper than MAX_DEPTH or a boundary count
    above ``max_parts``: the stdlib parser recurses per level and slows quadratically."""
    # Each declared boundary is a distinct "boundary" in the text: with few of them, nothing can be cut
    # (a quick count instead of the full scan, which cost ~1.5 ms on every 50 KB message).
    mentions = raw.lower().count(b"boundary") if len(raw) <= 1 << 20 else sum(1 for _ in _BOUNDARY_WORD.finditer(raw))
    if mentions <= min(MAX_DEPTH, max_parts):
        return raw
    stack: list[bytes] = []
    declared = 0
    for match in _BOUNDARY_SCAN.finditer(raw):
        closing = match.group(3)
        if closing is not None:
            if closing in stack:
                while stack and stack.pop() != closing:
                    pass
            continue
        declared += 1
        stack.append(match.group(1) or match.group(2) or b"")
        if len(stack) > MAX_DEPTH or declared > max_parts:
            defects.append("mime_too_deep" if len(stack) > MAX_DEPTH else f"too_many_parts:>{max_parts}")
            cut = raw.rfind(b"\n", 0, match.start())
            return raw[: max(cut, 0)]
    return raw


def _walk(root: email.message.Message, max_parts: int, defects: list[str]) -> Iterator[email.message.Message]:
    """Depth-first, iterative; does not descend into attached messages; stops at max_parts."""
    stack = [root]
    seen = 0
    while stack:
        part = stack.pop()
        seen += 1
        if seen > max_parts:
            defects.append(f"too_many_parts:>{max_parts}")
            return
        yield part
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list) and part.get_content_maintype() == "multipart":
            stack.extend(p for p in reversed(payload) if isinstance(p, email.message.Message))


def _filename(part: email.message.Message, defects: list[str]) -> str:
    """RFC 2231 (filename*=UTF-8''…), RFC 2047 (=?GBK?B?…?=) and raw 8-bit GBK names."""
    raw: object = None
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = _raw_get(part, header)
        if not value:
            continue
        if not value.isascii():  # raw 8-bit (GBK) parameter: decode the bytes before splitting
            view = email.message.Message()
            view[header] = _header_str(value, defects, "filename")
            raw = view.get_param(param, None, header)
        else:
            raw = part.get_param(param, None, header)
        if raw:
            break
    if not raw:
        return ""
    if isinstance(raw, tuple):  # RFC 2231: (charset, language, percent-decoded text)
        charset, _lang, value = raw
        try:
            data = str(value).encode("latin-1", "surrogateescape")
        except UnicodeEncodeError:
            data = str(value).encode("utf-8", "surrogateescape")
        name = decode_bytes(data, charset or "utf-8", defects, "filename")
    else:
        name = decode_words(
            _header_str(email.utils.collapse_rfc2231_value(str(raw)), defects, "filename"),
            defects,
            "filename",
        )
    name = _clean(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255]


def _decoded_payload(part: email.message.Message) -> object:
    """``part.get_payload(decode=True)``, with less memory for a big base64 part.

    The stdlib splits the encoded payload into one bytes object per line before joining and decoding
    it: a 57 MB base64 part peaked at ~250 MB on top of the message. Deleting the line breaks in one
    ``translate`` gives the same bytes to the same decoder (same result, same defects recorded).
    """
    payload = None if part.is_multipart() else part.get_payload()  # a plain ASCII str is returned as it is
    if (isinstance(payload, str) and len(payload) >= BIG_PAYLOAD
            and str(part.get("content-transfer-encoding", "")).lower() == "base64" and payload.isascii()):
        encoded = payload.encode("ascii").translate(None, b"\r\n")
        value, found = email._encoded_words.decode_b(encoded)  # the decoder get_payload uses
        del encoded
        for defect in found:
            part.policy.handle_defect(part, defect)
        return value
    return part.get_payload(decode=True)


def _payload_bytes(part: email.message.Message, defects: list[str]) -> bytes:
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    try:
        data = _decoded_payload(part)
    except Exception:
        defects.append("payload_undecodable")
        return b""
    if not isinstance(data, bytes):
        return b""
    if cte == "base64":
        for defect in part.defects:
            if "Base64" in type(defect).__name__:
                defects.append("bad_base64")
                break
    return data


def _message_attachment(part: email.message.Message, filename: str) -> Attachment:
    inner = part.get_payload()
    try:
        first = inner[0] if isinstance(inner, list) and inner else part
        size = len(first.as_bytes()) if isinstance(first, email.message.Message) else len(str(first))
    except Exception:
        size = 0
    return Attachment(filename=filename or "message.eml", content_type=part.get_content_type(), size=size)


def _is_attachment(part: email.message.Message, filename: str) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and part.get_content_subtype() in ("plain", "html"):
        return bool(filename) and disposition != "inline"
    return bool(filename) or part.get_content_maintype() not in ("text", "multipart")


# --------------------------------------------------------------------------- DSN


def _dsn(
    msg: email.message.Message, parts: list[email.message.Message], defects: list[str]
) -> tuple[tuple[str, ...], str | None]:
    failed: list[str] = []
    original_id: str | None = None
    is_report = msg.get_content_type() == "multipart/report"
    for part in parts:
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            is_report = True
            blocks = part.get_payload()
            if not isinstance(blocks, list):
                blocks = [email.message_from_string(str(blocks))]
            for block in blocks[1:] if len(blocks) > 1 else blocks:
                if not isinstance(block, email.message.Message):
                    continue
                action = str(block.get("action", "")).strip().lower()
                if action and action != "failed":
                    continue
                for field in ("original-recipient", "final-recipient"):
                    value = block.get(field)
                    if value:
                        addr = str(value).split(";", 1)[-1].strip().strip("<>").lower()
                        if addr and action == "failed":
                            failed.append(addr)
        elif ctype in ("message/rfc822", "message/global", "text/rfc822-headers") and is_report:
            if ctype == "text/rfc822-headers":
                data = part.get_payload(decode=True)
                text = data.decode("utf-8", "replace") if isinstance(data, bytes) else ""
                headers = email.parser.HeaderParser().parsestr(text)
            else:
                inner = part.get_payload()
                first = inner[0] if isinstance(inner, list) and inner else None
                headers = first if isinstance(first, email.message.Message) else email.message.Message()
            original_id = original_id or _msgid(
                _header_str(headers.get("message-id", ""), defects, "message-id") or None
            )
    if is_report:
        for value in msg.get_all("x-failed-recipients") or []:
            failed.extend(a.strip().lower() for a in str(value).split(",") if "@" in a)
    return _unique(failed), original_id


# --------------------------------------------------------------------------- mail-parser


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


# --------------------------------------------------------------------------- entry point


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


FEED_CHUNK = 1 << 16
BIG_PAYLOAD = 1 << 20  # encoded parts above this are decoded by _decoded_payload


def _message_from_bytes(raw: bytes) -> email.message.Message:
    """``email.message_from_bytes`` (compat32), fed in 64 KB chunks as ``Parser.parse`` does with a file.

    ``message_from_bytes`` first decodes the whole message into one str and copies it into a StringIO:
    a 57 MB message peaked at ~480 MB; fed in chunks it peaks at ~150 MB (and parses faster). Bytes are
    decoded as ASCII with surrogateescape byte by byte, so a chunk boundary cannot split a character.
    """
    parser = email.feedparser.BytesFeedParser(policy=email.policy.compat32)
    view = memoryview(raw)
    for start in range(0, len(raw), FEED_CHUNK):
        parser.feed(bytes(view[start:start + FEED_CHUNK]))
    return parser.close()


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
