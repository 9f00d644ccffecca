"""The MIME tree, pure: bounds on nesting and parts before parsing, the walk, part names and payloads."""

from __future__ import annotations

import email
import email._encoded_words
import email.feedparser
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import re
from collections.abc import Iterator

from mailbot.mail.charsets import decode_bytes as decode_bytes
from mailbot.mail.charsets import decode_words as decode_words
from mailbot.mail.headers import _clean, _header_str, _raw_get
from mailbot.mail.htmltext import html_to_text as html_to_text
from mailbot.model import Attachment

MAX_DEPTH = 32  # real mail nests 3-5 levels; the stdlib recurses per level


_BOUNDARY_SCAN = re.compile(
    rb"""boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))|^--([^\r\n]{1,204})--[ \t]*\r?$""",
    re.IGNORECASE | re.MULTILINE,
)


_BOUNDARY_WORD = re.compile(rb"boundary", re.IGNORECASE)


def _bound_mime(raw: bytes, max_parts: int, defects: list[str]) -> bytes:
    """Cut the raw message before MIME nesting gets deeper than MAX_DEPTH or a boundary count
    above ``max_parts``: the stdlib parser recurses per level and slows quadratically."""
    # Each declared boundary is a distinct "boundary" in the text: with few of them, nothing can be cut
    # (a quick count instead of the full scan, which cost ~1.5 ms on every 50 KB message).
    mentions = (
        raw.lower().count(b"boundary")
        if len(raw) <= 1 << 20
        else sum(1 for _ in _BOUNDARY_WORD.finditer(raw))
    )
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
    if (
        isinstance(payload, str)
        and len(payload) >= BIG_PAYLOAD
        and str(part.get("content-transfer-encoding", "")).lower() == "base64"
        and payload.isascii()
    ):
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
        parser.feed(bytes(view[start : start + FEED_CHUNK]))
    return parser.close()
