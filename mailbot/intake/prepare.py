"""Prepare: the pure part of processing one message — raw bytes → parsed and assessed (or the reason
it cannot be). No database, no servers: the prepare worker (:mod:`~mailbot.intake.parallel`) runs this
in a second process and imports nothing of the store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailbot.intake.errortext import error_text
from mailbot.judge.assess import Assessment, assess
from mailbot.mail.parse import parse_mail
from mailbot.model import FetchedMail, ParsedMail

if TYPE_CHECKING:
    from mailbot.app import App


@dataclass(frozen=True)
class Prepared:
    """The pure part of processing one message: parsed and assessed, or the reason it could not be."""

    fetched: FetchedMail
    sha256: str
    archive: bool
    parsed: ParsedMail | None = None
    assessment: Assessment | None = None
    error: str | None = None  # set when the message must be quarantined
    packed: tuple[str, bytes] | None = None  # the raw bytes as stored (compressed by the prepare worker)


@dataclass(frozen=True)
class PrepareSettings:
    """What the pure part needs of the App (picklable: the prepare worker gets a copy)."""

    max_message_bytes: int
    max_attachment_text: int
    max_parts: int
    extra_headers: tuple[str, ...]
    rules: Any
    policy: Any
    domains: Any

    @classmethod
    def of(cls, app: App) -> PrepareSettings:
        limits = app.config.limits
        return cls(
            limits.max_message_bytes,
            limits.max_attachment_text,
            limits.max_parts,
            tuple(app.config.spam.headers),
            app.rules,
            app.policy,
            app.domains,
        )


def prepare(app: App, fetched: FetchedMail, *, archive: bool = False) -> Prepared:
    """Parse and assess (no database). Never raises: problems become ``error``."""
    return prepare_with(PrepareSettings.of(app), fetched, archive, fetched.internaldate or app.now())


def prepare_with(s: PrepareSettings, fetched: FetchedMail, archive: bool, now: datetime) -> Prepared:
    """:func:`prepare` from settings and ``now`` alone (what the prepare worker runs)."""
    sha = hashlib.sha256(fetched.raw).hexdigest()
    parsed: ParsedMail | None = None
    try:
        if len(fetched.raw) > s.max_message_bytes:
            return Prepared(
                fetched,
                sha,
                archive,
                error=(
                    f"message of {len(fetched.raw)} bytes exceeds limits.max_message_bytes "
                    f"({s.max_message_bytes})"
                ),
            )
        parsed = parse_mail(
            fetched.raw,
            max_attachment_text=s.max_attachment_text,
            max_parts=s.max_parts,
            now=now,
            extra_headers=s.extra_headers,
        )
        assessment = assess(
            parsed, internaldate=fetched.internaldate, rules=s.rules, policy=s.policy, domains=s.domains
        )
        return Prepared(fetched, sha, archive, parsed, assessment)
    except Exception as exc:  # anything the pure core cannot take is quarantined, never lost
        return Prepared(fetched, sha, archive, parsed, error=error_text(exc, fetched.raw, parsed))
