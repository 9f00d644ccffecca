"""Header values, pure: raw (8-bit) header bytes, decoded text, addresses, Message-IDs and the Date."""

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
from datetime import UTC, datetime, timedelta, timezone

from mailparser.dates import parse_mail_date

from mailbot.mail.charsets import decode_bytes as decode_bytes
from mailbot.mail.charsets import decode_words as decode_words
from mailbot.mail.htmltext import html_to_text as html_to_text

MAX_HEADER_CHARS = 16_384  # decode at most this much of one header value


MAX_ADDRESSES = 500


_ANGLE_ID = re.compile(r"<([^<>\s]{1,998})>")


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:", re.MULTILINE)


_CHINA_CST = re.compile(r"\bCST\b|\(CST\)|\bBJT\b", re.IGNORECASE)


# A Date: outside these bounds is a lie or an attack (``Fri, 31 Dec 9999 23:59:59 -2359`` cannot even be
# converted to UTC): it becomes None plus the defect ``date_out_of_range``.
EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=366)  # beyond ``now`` (the arrival time)
LATEST_DATE = datetime(2200, 1, 1, tzinfo=UTC)  # when no ``now`` is given


def date_in_range(value: datetime | None, now: datetime | None = None) -> datetime | None:
    """``value`` when it can be converted to UTC and lies in 1990 … now + 1 year (else None)."""
    if value is None:
        return None
    try:
        utc = value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)
        latest = LATEST_DATE if now is None else now.astimezone(UTC) + LATEST_AHEAD
    except (OverflowError, ValueError):
        return None
    return value if EARLIEST_DATE <= utc <= latest else None


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


def _parse_date(value: str | None, defects: list[str], now: datetime | None = None) -> datetime | None:
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
    if date_in_range(stdlib, now) is None:
        defects.append("date_out_of_range")
        return None
    return stdlib
