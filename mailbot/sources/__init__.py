"""Where mail comes from: IMAP accounts (imap.py) and local Maildirs (maildir.py), behind one protocol."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from mailbot.model import FetchedMail

BATCH_BYTES = 32 * 1024 * 1024  # raw bytes fetched and held at once, whatever the message count


def byte_batches(
    keys: Sequence[str], sizes: Mapping[str, int], max_count: int, max_bytes: int = BATCH_BYTES
) -> Iterator[list[str]]:
    """``keys`` in order, cut into batches of at most ``max_count`` messages and ``max_bytes`` bytes
    (a message bigger than ``max_bytes`` is a batch of its own). A key of unknown size counts as 0:
    it vanished and the fetch skips it."""
    batch: list[str] = []
    held = 0
    for key in keys:
        size = max(0, sizes.get(key, 0))
        if batch and (len(batch) >= max(1, max_count) or held + size > max_bytes):
            yield batch
            batch, held = [], 0
        batch.append(key)
        held += size
    if batch:
        yield batch


class Source(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def batch_size(self) -> int: ...

    @property
    def archive_before(self) -> datetime | None: ...

    @property
    def archive_backlog(self) -> bool: ...

    @property
    def mailbox(self) -> str: ...

    @property
    def uidvalidity(self) -> int | None: ...

    def open(self) -> object: ...

    def close(self) -> None: ...

    def pending_keys(self) -> list[str]: ...

    def batches(self, keys: Sequence[str]) -> Iterator[list[str]]:
        """``keys`` cut into fetch batches bounded in count (``batch_size``) and in bytes."""
        ...

    def fetch(self, keys: Sequence[str]) -> list[FetchedMail]: ...

    def mark_done(self, keys: Sequence[str], *, seen: bool = True) -> None:
        """Handled: never pending again. ``seen=False``: left unread for the office (our own notices)."""
        ...

    def quarantine(self, keys: Sequence[str]) -> None: ...

    def wait(self, timeout: float) -> bool: ...
