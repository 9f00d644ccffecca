"""The MIME tree, pure: bounds on nesting and parts before parsing, the walk, part names and payloads."""

from __future__ import annotations

import base64
import email
import email._encoded_words
import email.feedparser
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

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


# --------------------------------------------------------------------------- big encoded bodies
#
# The stdlib parser keeps a part's body as one str per line until the part ends, then joins them: a
# 40 MB attachment (54 MB of base64) cost ~150 MB above the message, and decoding it to learn its size
# another ~150 MB. Mailbot reads only the size of a binary attachment. So, in a big message, every run
# of at least BIG_PAYLOAD bytes of lines made of base64 characters only is cut out of the bytes handed
# to the parser and replaced by one line of the same kind (a token): such lines can be neither a
# header, nor a boundary, nor a blank line, so the tree is the one the whole bytes give. After the
# parse, every token is put back (:func:`_restore`) except in the leaf parts that may be sized from
# their encoded length (base64 attachments); those are put back only when their bytes are read.

_B64_CHARS = re.compile(rb"[A-Za-z0-9+/=\r\n]*")  # one character class: linear, no backtracking stack
_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/=\r\n]")
SCAN_WINDOW = 1 << 16
_BLANK_LINE = re.compile(rb"\n\r?\n")
_B64_STRICT = re.compile(r"[A-Za-z0-9+/=\r\n]*")
_TOKEN_HEAD = "MAILBOTCUT"
DECODE_CHUNK = 1 << 20  # base64 characters decoded at once when a cut body is read (multiple of 4)


@dataclass
class Cut:
    """The runs cut out of ``raw`` before parsing: token → (start, end, line ending of its last line)."""

    raw: bytes
    runs: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    lazy: dict[int, email.message.Message] = field(default_factory=dict)  # id(part) → part, not put back

    def tokens_in(self, text: str) -> list[str]:
        return [t for t in self.runs if t in text] if _TOKEN_HEAD in text else []


def _cut_big_runs(raw: bytes) -> tuple[bytes, Cut | None]:
    """``raw`` with its big base64 runs replaced by tokens, and what was cut (None: nothing)."""
    if len(raw) < BIG_PAYLOAD:
        return raw, None
    head = _TOKEN_HEAD
    while head.encode() in raw:  # a token must not occur in the mail itself
        head += "X"
    cut = Cut(raw)
    pieces: list[bytes] = []
    pos = 0
    for start, end in _runs(raw):
        ending = "\r\n" if raw[end - 2 : end] == b"\r\n" else "\n"
        token = f"{head}{len(cut.runs)}Z"
        cut.runs[token] = (start, end, ending)
        pieces += [raw[pos:start], (token + ending).encode("ascii")]
        pos = end
    if not cut.runs:
        return raw, None
    pieces.append(raw[pos:])
    return b"".join(pieces), cut


def _b64_spans(raw: bytes) -> Iterator[tuple[int, int]]:
    """Maximal spans of at least BIG_PAYLOAD bytes of base64 characters and line breaks, found window by
    window (a window either is all such characters or fails at its first other byte: linear)."""
    size, window = len(raw), SCAN_WINDOW
    hot = [bool(_B64_CHARS.fullmatch(raw, at, min(at + window, size))) for at in range(0, size, window)]
    i = 0
    while i < len(hot):
        if not hot[i]:
            i += 1
            continue
        j = i
        while j < len(hot) and hot[j]:
            j += 1
        if (j - i + 2) * window >= BIG_PAYLOAD:  # the span may reach into the windows on either side
            before = [m.start() for m in _NOT_B64.finditer(raw, max(0, (i - 1) * window), i * window)]
            start = before[-1] + 1 if before else 0
            after = _NOT_B64.search(raw, j * window)
            end = after.start() if after else size
            if end - start >= BIG_PAYLOAD:
                yield start, end
        i = j


def _runs(raw: bytes) -> Iterator[tuple[int, int]]:
    """Spans of at least BIG_PAYLOAD bytes made of whole, non-empty lines of base64 characters ending
    in LF or CRLF (no blank line, no lone CR: the parser would see a line break there)."""
    for start, end in _b64_spans(raw):
        if start > 0 and raw[start - 1] != 0x0A:  # the span begins inside a line: from the next one
            start = raw.find(b"\n", start, end) + 1
        end = raw.rfind(b"\n", start, end) + 1  # the span's last line goes on after it: up to the one before
        if start <= 0 or end <= start:
            continue
        pieces = [(m.start() + 1, m.end()) for m in _BLANK_LINE.finditer(raw, start, end)]
        bounds = [start, *(b for piece in pieces for b in piece), end]
        for a, b in zip(bounds[::2], bounds[1::2], strict=True):
            while a < b and raw[a] in b"\r\n":
                a += 1
            if (
                b - a >= BIG_PAYLOAD
                and raw[a - 1] == 0x0A
                and raw[b - 1] == 0x0A
                and raw.find(b"\n\n", a, b) < 0
                and raw.find(b"\n\r\n", a, b) < 0
                and raw.count(b"\r", a, b) == raw.count(b"\r\n", a, b)
            ):
                yield a, b


def _restore_text(text: str, cut: Cut) -> str:
    """The text the parser would have made from the whole bytes: each token back to its run (the parser
    drops the last line ending before a boundary, so a token may have lost its own)."""
    for token in cut.tokens_in(text):
        start, end, ending = cut.runs[token]
        run = cut.raw[start:end].decode("ascii")
        text = text.replace(token + ending, run).replace(token, run[: -len(ending)])
    return text


def _restore(msg: email.message.Message, cut: Cut, walked: set[int]) -> None:
    """Put every token of the tree back, except in the base64 leaves of ``walked`` (ids of the parts
    :func:`_walk` yields) that may be sized without decoding: those go to ``cut.lazy``."""
    stack = [msg]
    while stack:
        part = stack.pop()
        for attr in ("preamble", "epilogue"):
            value = getattr(part, attr)
            if isinstance(value, str) and cut.tokens_in(value):
                setattr(part, attr, _restore_text(value, cut))
        payload = vars(part).get("_payload")  # the stdlib's own attribute: get_payload() would decode
        if isinstance(payload, list):
            stack.extend(p for p in payload if isinstance(p, email.message.Message))
        elif isinstance(payload, str) and cut.tokens_in(payload):
            if (
                id(part) in walked
                and str(part.get("content-transfer-encoding", "")).strip().lower() == "base64"
                and part.get_content_maintype() not in ("message", "multipart")
                and part.get_content_type() != "text/rfc822-headers"
            ):
                cut.lazy[id(part)] = part
            else:
                vars(part)["_payload"] = _restore_text(payload, cut)


def _put_back(part: email.message.Message, cut: Cut | None) -> None:
    """A lazy part's payload as the parser would have made it (its bytes are about to be read)."""
    if cut is not None and cut.lazy.pop(id(part), None) is not None:
        vars(part)["_payload"] = _restore_text(str(vars(part).get("_payload")), cut)


def _encoded_spans(part: email.message.Message, cut: Cut) -> list[str | tuple[int, int]] | None:
    """A lazy part's payload as pieces (small strs and (start, end) spans of ``cut.raw``) when it is
    strict base64 (only its characters and line breaks, padding only at the end, whole quanta): then
    its decoded size and bytes follow without the stdlib's decoder, with the same result and no defect.
    None otherwise (the caller puts the payload back and decodes it as the stdlib does)."""
    payload = str(vars(part).get("_payload"))
    pieces: list[str | tuple[int, int]] = []
    pos = 0
    tokens = sorted(((payload.find(t), t) for t in cut.tokens_in(payload)), key=lambda x: x[0])
    for at, token in tokens:
        start, end, ending = cut.runs[token]
        kept = payload.startswith(ending, at + len(token))
        pieces.append(payload[pos:at])
        pieces.append((start, end if kept else end - len(ending)))
        pos = at + len(token) + (len(ending) if kept else 0)
    pieces.append(payload[pos:])
    if not all(isinstance(p, tuple) or _B64_STRICT.fullmatch(p) for p in pieces):
        return None
    return pieces


def _strict_size(pieces: list[str | tuple[int, int]], raw: bytes) -> int | None:
    """Decoded size of strict base64 ``pieces`` (see :func:`_encoded_spans`), None when not strict."""
    chars = pads = 0
    tail = ""
    for piece in pieces:
        if isinstance(piece, tuple):
            start, end = piece
            chars += end - start - raw.count(b"\n", start, end) - raw.count(b"\r", start, end)
            pads += raw.count(b"=", start, end)
            tail = (tail + raw[max(start, end - 8) : end].decode("ascii")).translate(_NO_BREAKS)[-4:]
        else:
            clean = piece.translate(_NO_BREAKS)
            chars += len(clean)
            pads += clean.count("=")
            tail = (tail + clean)[-4:]
    trailing = len(tail) - len(tail.rstrip("="))
    if chars % 4 or pads > 2 or pads != trailing:
        return None
    return chars // 4 * 3 - pads


_NO_BREAKS = str.maketrans("", "", "\r\n")


def _strict_bytes(pieces: list[str | tuple[int, int]], raw: bytes) -> bytes:
    """The decoded bytes of strict base64 ``pieces``, DECODE_CHUNK characters at a time."""
    out = io.BytesIO()
    carry = b""
    for piece in pieces:
        if isinstance(piece, tuple):
            start, end = piece
            view = memoryview(raw)
            for at in range(start, end, DECODE_CHUNK):
                carry = _decode_some(carry + bytes(view[at : min(end, at + DECODE_CHUNK)]), out)
        else:
            carry = _decode_some(carry + piece.encode("ascii"), out)
    _decode_some(carry, out, final=True)
    return out.getvalue()


def _decode_some(data: bytes, out: io.BytesIO, *, final: bool = False) -> bytes:
    clean = data.translate(None, b"\r\n")
    whole = len(clean) if final else len(clean) // 4 * 4
    out.write(base64.b64decode(clean[:whole], validate=True))
    return clean[whole:]


def _lazy_size(part: email.message.Message, cut: Cut | None) -> int | None:
    """The decoded size of a lazy base64 part from its encoded length; None when it is not lazy or not
    strict base64 (then its bytes are read as the stdlib reads them)."""
    if cut is None or id(part) not in cut.lazy:
        return None
    pieces = _encoded_spans(part, cut)
    return None if pieces is None else _strict_size(pieces, cut.raw)


def _part_bytes(part: email.message.Message, defects: list[str], cut: Cut | None) -> bytes:
    """:func:`_payload_bytes`, a lazy strict-base64 part decoded from the cut runs in chunks."""
    if cut is not None and id(part) in cut.lazy:
        pieces = _encoded_spans(part, cut)
        if pieces is not None and _strict_size(pieces, cut.raw) is not None:
            return _strict_bytes(pieces, cut.raw)
        _put_back(part, cut)
    return _payload_bytes(part, defects)
