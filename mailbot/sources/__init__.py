"""Where mail comes from: IMAP accounts (imap.py) and local Maildirs (maildir.py), behind one protocol."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from ..model import FetchedMail


class Source(Protocol):
    name: str
    batch_size: int
    archive_before: datetime | None
    archive_backlog: bool

    @property
    def mailbox(self) -> str: ...

    @property
    def uidvalidity(self) -> int | None: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def pending_keys(self) -> list[str]: ...

    def fetch(self, keys: Sequence[str]) -> list[FetchedMail]: ...

    def mark_done(self, keys: Sequence[str]) -> None: ...

    def quarantine(self, keys: Sequence[str]) -> None: ...

    def wait(self, timeout: float) -> bool: ...
