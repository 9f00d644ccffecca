"""Bytes and RFC 2047 encoded-words → text, repairing the lies Chinese mail clients tell.

Pure: no mail-parser, no I/O. Every problem found is appended to the caller's ``defects`` list.
GB2312/GBK labels are read as GB18030 (a strict superset of them); a label that lies (UTF-8
content under a GB/Big5/ASCII label) is detected; undecodable bytes fall back along a ladder
(UTF-8 → GB18030 → Big5 → the candidate with fewest replacement characters, or latin-1).
"""

from __future__ import annotations

import base64
import binascii
import re

# Labels whose real-world content is GB18030 (a strict superset of all of them).
_GB_FAMILY = {
    "gb2312",
    "gb_2312",
    "gb_2312-80",
    "gbk",
    "x-gbk",
    "cp936",
    "ms936",
    "euc-cn",
    "csgb2312",
    "gb18030",
    "chinese",
}
_BIG5_FAMILY = {"big5", "big-5", "cn-big5", "x-x-big5", "csbig5", "big5-hkscs", "cp950"}
_ASCII_FAMILY = {"us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us"}

_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")


def _norm_charset(label: str | None) -> str:
    """The label as a short, printable name (it goes into stored defects)."""
    text = (label or "").strip().strip("\"'").lower()[:40]
    return "".join(c if c.isprintable() and not c.isspace() else "?" for c in text)


def decode_bytes(data: bytes, declared: str | None, defects: list[str], where: str = "") -> str:
    """Decode with the declared charset, repairing the lies Chinese mail clients tell.

    Order: declared (GB2312/GBK as GB18030) → UTF-8 → GB18030 → Big5 → best effort with
    replacement characters. Strict UTF-8 is tried before GB18030 because GB18030 accepts most
    UTF-8 byte sequences and would silently produce mojibake.
    """
    label = _norm_charset(declared)
    tag = f"{where}:" if where else ""
    if not data:
        return ""
    if data.isascii():
        return data.decode("ascii")
    utf8: str | None
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        utf8 = None
    if not label or label in _ASCII_FAMILY:
        if utf8 is not None:
            if label:
                defects.append(f"{tag}charset_mislabelled:{label}->utf-8")
            return utf8
        return _fallback(data, label or "none", defects, tag)
    if label in {"utf-8", "utf8"}:
        if utf8 is not None:
            return utf8
        return _fallback(data, label, defects, tag)
    if label in _GB_FAMILY or label in _BIG5_FAMILY:
        # Valid multi-byte UTF-8 is almost never valid GB text of any length: the label lies.
        if utf8 is not None and re.search(r"[\u0800-\uffff]", utf8):
            defects.append(f"{tag}charset_mislabelled:{label}->utf-8")
            return utf8
        first = "gb18030" if label in _GB_FAMILY else "big5"
        try:
            text = data.decode(label if label in {"gb2312", "gbk", "big5", "gb18030"} else first)
            return text
        except (UnicodeDecodeError, LookupError):
            pass
        for codec in (first, "gbk") if first == "gb18030" else ("cp950", "big5hkscs"):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if codec != label:
                defects.append(f"{tag}charset_fallback:{label}->{codec}")
            return text
        return _fallback(data, label, defects, tag)
    try:
        return data.decode(label)
    except LookupError:
        defects.append(f"{tag}charset_unknown:{label[:40]}")
    except UnicodeDecodeError:
        pass
    if utf8 is not None:
        defects.append(f"{tag}charset_mislabelled:{label[:40]}->utf-8")
        return utf8
    return _fallback(data, label[:40], defects, tag)


def _fallback(data: bytes, label: str, defects: list[str], tag: str) -> str:
    for codec in ("gb18030", "big5"):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        defects.append(f"{tag}charset_fallback:{label}->{codec}")
        return text
    # Nothing decodes cleanly: keep the candidate that loses least.
    best = min(
        (data.decode(c, "replace") for c in ("utf-8", "gb18030")),
        key=lambda s: s.count("\ufffd"),
    )
    if best.count("\ufffd") * 20 > len(best):  # mostly garbage: latin-1 at least keeps every byte
        best = data.decode("latin-1")
        defects.append(f"{tag}charset_fallback:{label}->latin-1")
    else:
        defects.append(f"{tag}charset_replaced:{label}")
    return best


def decode_words(text: str, defects: list[str], name: str) -> str:
    """RFC 2047 encoded-words → text. Adjacent words of one charset are joined as bytes first,
    because clients split a multi-byte character across two words."""
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: list[bytes] = []
    pending_cs = ""
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_cs
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_cs, defects, name))
        pending, pending_cs = [], ""

    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        if between and not (between.isspace() and pending):
            flush()
            out.append(between)
        charset, enc, payload = match.group(1), match.group(2).lower(), match.group(3)
        try:
            if enc == "b":
                payload_b = payload.encode("ascii", "replace")
                payload_b += b"=" * (-len(payload_b) % 4)
                chunk = base64.b64decode(payload_b, validate=False)
            else:
                chunk = _q_decode(payload)
        except (binascii.Error, ValueError):
            defects.append(f"bad_encoded_word:{name}")
            flush()
            out.append(match.group(0))
            pos = match.end()
            continue
        cs = _norm_charset(charset)
        if pending and cs != pending_cs:
            flush()
        pending_cs = cs
        pending.append(chunk)
        pos = match.end()
    flush()
    out.append(text[pos:])
    return "".join(out)


def _q_decode(payload: str) -> bytes:
    raw = payload.replace("_", " ").encode("ascii", "replace")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
