"""Recognising mailbot's own mail when it comes back in (pure).

Office notices go to ``office.notify``, which is often the watched mailbox itself (the default). Such a
mail carries our ``X-Mailbot-Kind`` header, a Message-ID in ``office.message_id_domain`` and an own
address as From: :mod:`mailbot.intake.finalize` stores it as ``other`` (``own_address``), nothing
replies to it, and the runner marks it done without ``\\Seen``, so the office still sees it unread.

Only the header block is read. A forgery gains nothing: the mail is still stored (as ``other``), and
being left unread is what the office wants for anything that looks like a notice.
"""

from __future__ import annotations

import email.parser
import email.policy
import email.utils
from collections.abc import Collection

HEADER_LIMIT = 64 * 1024


def is_own_notice(raw: bytes, own_addresses: Collection[str], message_id_domain: str) -> bool:
    """Whether ``raw`` is a mail mailbot sent (a notice, alert or receipt) that came back in."""
    end = raw.find(b"\r\n\r\n", 0, HEADER_LIMIT)
    if end < 0:
        end = raw.find(b"\n\n", 0, HEADER_LIMIT)
    head = raw[: end if end >= 0 else HEADER_LIMIT]
    msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(head)
    if not msg.get("X-Mailbot-Kind"):
        return False
    _name, sender = email.utils.parseaddr(str(msg.get("From", "")))
    msgid = str(msg.get("Message-ID", "")).strip().strip("<>")
    own = {a.lower() for a in own_addresses}
    return sender.lower() in own and msgid.lower().endswith("@" + message_id_domain.lower())
