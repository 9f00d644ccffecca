"""Delivery-status notifications (RFC 3464): the failed recipients and the original Message-ID."""

from __future__ import annotations

import email
import email._encoded_words
import email.feedparser
import email.header
import email.message
import email.parser
import email.policy
import email.utils

from mailbot.mail.charsets import decode_bytes as decode_bytes
from mailbot.mail.charsets import decode_words as decode_words
from mailbot.mail.headers import _header_str, _msgid, _unique
from mailbot.mail.htmltext import html_to_text as html_to_text

MAX_RECIPIENTS = 500


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
        for value in (msg.get_all("x-failed-recipients") or [])[:20]:
            failed.extend(a.strip().lower() for a in str(value).split(",") if "@" in a)
    # counts and lengths from mail are bounded: a report names at most MAX_RECIPIENTS real addresses
    return _unique([a for a in failed if len(a) <= 320][:MAX_RECIPIENTS]), original_id
