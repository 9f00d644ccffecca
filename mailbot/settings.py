"""Frozen, validated settings objects. Built by :mod:`mailbot.config` from TOML + MAILBOT_* env."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

TLSMode = Literal["implicit", "starttls", "none"]


@dataclass(frozen=True)
class ImapSettings:
    name: str  # account name, e.g. "main", "old-domain"
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    tls: TLSMode = "implicit"  # imaps:// → implicit, imap:// → starttls, ?tls=none → none
    ca_file: Path | None = None
    timeout: float = 60.0  # socket timeout, seconds
    mark: Literal["flag", "move"] = "flag"  # after the DB commit: add \Seen + keyword, or move
    done_keyword: str = "$MailbotDone"
    done_folder: str = "mailbot/done"  # used when mark == "move"
    failed_folder: str = "mailbot/failed"  # quarantined messages are moved here
    idle: bool = True  # use IDLE when the server offers it
    idle_renew_seconds: float = 5 * 60  # re-issue IDLE well before 29 minutes (RFC 2177); also detects dead links
    poll_interval: float = 60.0  # seconds, when IDLE is not available or disabled
    batch_size: int = 100  # messages per FETCH and per DB transaction
    archive_before: datetime | None = None  # backlog before this instant is archived without replies
    archive_backlog: bool = False  # archive what the folder held when first seen (when archive_before is None)


@dataclass(frozen=True)
class MaildirSettings:
    name: str
    path: Path
    batch_size: int = 100
    archive_before: datetime | None = None
    archive_backlog: bool = False


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None = field(repr=False)
    tls: TLSMode = "starttls"
    ca_file: Path | None = None
    timeout: float = 30.0
    helo: str | None = None
