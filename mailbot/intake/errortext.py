"""Error texts for a message that cannot be processed: short, and free of the mail's text (pure).

Kept apart from :mod:`~mailbot.intake.quarantine` (which stores) so that the prepare worker, which
quarantines nothing itself, imports no database code.
"""

from __future__ import annotations

import os
import traceback

from mailbot.model import FetchedMail, ParsedMail

MAX_MESSAGE_CHARS = 300  # of an exception's text
QUOTE_WINDOW = 16  # an exception text sharing this many characters with the mail is withheld
WITHHELD = "（异常说明引用了邮件内容，已略去）"


def describe(fetched: FetchedMail, message_id: str | None = None) -> str:
    """``[source/folder uid=… message-id=<…>]``: how every log line names a message."""
    where = f"uid={fetched.uid}" if fetched.uid is not None else f"key={fetched.key}"
    mid = (message_id or "?")[:200]
    return f"[{fetched.source}/{fetched.mailbox} {where} message-id=<{mid}>]"


def plain(value: object) -> str:
    """Text of an exception argument: bytes decoded (never a ``b'…'`` repr), other values as str()."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    if (
        isinstance(value, tuple | list)
        and value
        and all(isinstance(v, bytes | bytearray | str | int) for v in value)
    ):
        return " ".join(plain(v) for v in value)
    return str(value)


def _quotes(message: str, haystacks: list[str]) -> bool:
    if len(message) < QUOTE_WINDOW:
        return any(message and message in h for h in haystacks) and not message.isascii()
    step = QUOTE_WINDOW // 2
    for start in range(0, len(message) - QUOTE_WINDOW + 1, step):
        window = message[start : start + QUOTE_WINDOW]
        if window.strip() and any(window in h for h in haystacks):
            return True
    return False


def error_text(exc: BaseException, raw: bytes = b"", parsed: ParsedMail | None = None) -> str:
    """``Type: message (at file:line in function ← …)`` — short, and free of the mail's text."""
    message = " ".join(plain(a) for a in exc.args) if exc.args else ""
    message = " ".join(message.split())[:MAX_MESSAGE_CHARS]
    haystacks = [raw.decode("utf-8", "replace"), raw.decode("latin-1")]
    if parsed is not None:
        haystacks += [parsed.text, parsed.subject, parsed.html or ""]
    if message and _quotes(message, haystacks):
        message = WITHHELD
    frames = traceback.extract_tb(exc.__traceback__)[-6:]
    where = " ← ".join(f"{_short_path(f.filename)}:{f.lineno} in {f.name}" for f in reversed(frames))
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        text += f" (from {type(cause).__name__})"
    return f"{text} (at {where})" if where else text


def _short_path(filename: str) -> str:
    parts = filename.replace(os.sep, "/").split("/")
    if "mailbot" in parts:
        return "/".join(parts[len(parts) - 1 - parts[::-1].index("mailbot") :])
    return "/".join(parts[-2:])
