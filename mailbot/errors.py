"""The one exception root of mailbot and its few semantic subclasses.

Library errors are wrapped at the boundary with ``raise ... from``; per-message
outcomes are values (see :class:`mailbot.model.Outcome`), not exceptions.
"""

from __future__ import annotations


class MailbotError(Exception):
    """Root of every error mailbot raises on purpose."""


class ConfigError(MailbotError):
    """The configuration file or environment is wrong; the message says where and what."""


class SourceError(MailbotError):
    """A mailbox (IMAP server or Maildir) could not be reached or used."""


class AuthError(SourceError):
    """The server refused our credentials."""


class TLSError(SourceError):
    """TLS could not be established or the certificate did not verify (we never fall back)."""


class SendError(MailbotError):
    """An SMTP submission failed. ``permanent`` is true for 5xx answers."""

    def __init__(self, message: str, *, permanent: bool = False, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


class StoreError(MailbotError):
    """The database could not be reached or refused a write."""
