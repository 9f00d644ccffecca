"""A local Maildir as a source: for hosts where mail is delivered locally, and the embedded default of
the demo. Processed messages move from new/ to cur/ with the Seen flag; quarantined ones get the
Seen and Flagged flags. Nothing is deleted.

The folder is read as files, never as parsed messages: a poll lists new/ and cur/ (name, flags and
mtime from the directory entries), a fetch reads the bytes of the batch's files, and flagging is a
rename (``key:2,FLAGS``, the Maildir convention). No message is parsed here beyond the top of its
header (the arrival time), so a hostile message cannot slow down or stop a poll.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from pathlib import Path

from mailbot.config.settings import MaildirSettings
from mailbot.errors import SourceError
from mailbot.mail.headers import date_in_range
from mailbot.model import FetchedMail
from mailbot.sources import byte_batches

log = logging.getLogger(__name__)
POLL_SECONDS = 10.0
INFO_SEP = ":"  # key:2,FLAGS
HEAD_BYTES = 64 * 1024  # the part of a message read for its Received: header


def received_time(raw: bytes) -> datetime | None:
    """The arrival time from the topmost ``Received:`` header (what the delivering MTA stamped)."""
    head = raw[:HEAD_BYTES].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        msg = BytesHeaderParser().parsebytes(head + b"\n\n")
        received = msg.get("Received")
        if not received or ";" not in str(received):
            return None
        when = parsedate_to_datetime(str(received).rsplit(";", 1)[1].strip())
    except (ValueError, TypeError, IndexError, LookupError, OverflowError):
        return None
    if not when.tzinfo:
        return None
    return date_in_range(when, datetime.now(UTC))


def _flags(name: str) -> str:
    info = name.split(INFO_SEP, 1)[1] if INFO_SEP in name else ""
    return info[2:] if info.startswith("2,") else ""


class MaildirSource:
    def __init__(self, settings: MaildirSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self.batch_size = settings.batch_size
        self.archive_before = settings.archive_before
        self.archive_backlog = settings.archive_backlog
        self.stop_event = threading.Event()
        self._root: Path | None = None
        self._toc: dict[str, tuple[str, str, float, int]] = {}

    @property
    def mailbox(self) -> str:
        return str(self.settings.path)

    @property
    def uidvalidity(self) -> int | None:
        return None

    def open(self) -> None:
        path = Path(self.settings.path)
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise SourceError(f"{path} is not a Maildir (it needs cur/, new/ and tmp/ folders)")
        self._root = path
        self._toc = {}

    def close(self) -> None:
        self._root = None
        self._toc = {}

    @property
    def root(self) -> Path:
        if self._root is None:
            raise SourceError(f"Maildir {self.settings.path} is not open")
        return self._root

    def _scan(self) -> dict[str, tuple[str, str, float, int]]:
        """key → (subdir, file name, mtime, size), from the directory entries alone."""
        toc: dict[str, tuple[str, str, float, int]] = {}
        for subdir in ("new", "cur"):
            try:
                entries = list(os.scandir(self.root / subdir))
            except OSError as exc:
                raise SourceError(f"cannot list {self.root / subdir}: {exc.strerror}") from exc
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                try:
                    st = entry.stat()
                except OSError:  # moved meanwhile
                    continue
                if not os.path.isfile(entry.path):
                    continue
                key = entry.name.split(INFO_SEP, 1)[0]
                toc[key] = (subdir, entry.name, st.st_mtime, st.st_size)
        self._toc = toc
        return toc

    def _where(self, key: str) -> tuple[str, str, float, int] | None:
        found = self._toc.get(key)
        if found is None or not (self.root / found[0] / found[1]).exists():
            found = self._scan().get(key)
        return found

    def pending_keys(self) -> list[str]:
        toc = self._scan()
        keys = [k for k, (subdir, name, _m, _s) in toc.items() if subdir == "new" or "S" not in _flags(name)]
        return sorted(keys, key=lambda k: (toc[k][2], k))

    def batches(self, keys: Sequence[str]) -> Iterator[list[str]]:
        sizes = {k: self._toc[k][3] for k in keys if k in self._toc}
        return byte_batches(list(keys), sizes, self.batch_size)

    def fetch(self, keys: Sequence[str]) -> list[FetchedMail]:
        out = []
        for key in keys:
            where = self._where(key)
            if where is None:
                continue
            subdir, name, mtime, _size = where
            try:
                raw = (self.root / subdir / name).read_bytes()
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise SourceError(f"cannot read {self.root / subdir / name}: {exc.strerror}") from exc
            arrived = received_time(raw) or datetime.fromtimestamp(mtime, UTC)
            out.append(
                FetchedMail(
                    source=self.name,
                    mailbox=self.mailbox,
                    uidvalidity=None,
                    uid=None,
                    key=key,
                    raw=raw,
                    internaldate=arrived,
                )
            )
        return out

    def mark_done(self, keys: Sequence[str], *, seen: bool = True) -> None:
        self._flag(keys, "S")  # a Maildir has no keywords: "seen" (S) is what marks a message done

    def quarantine(self, keys: Sequence[str]) -> None:
        """Mark as handled and flagged for a person (the raw bytes are kept in the database too)."""
        self._flag(keys, "SF")

    def _flag(self, keys: Sequence[str], flags: str) -> None:
        """Move to cur/ with these Maildir flags added (a rename; the file itself is kept)."""
        for key in keys:
            where = self._where(key)
            if where is None:
                continue
            subdir, name, mtime, size = where
            merged = "".join(sorted(set(_flags(name)) | set(flags)))
            target = f"{key}{INFO_SEP}2,{merged}"
            if subdir == "cur" and name == target:
                continue
            try:
                os.rename(self.root / subdir / name, self.root / "cur" / target)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise SourceError(f"cannot flag {self.root / subdir / name}: {exc.strerror}") from exc
            self._toc[key] = ("cur", target, mtime, size)

    def wait(self, timeout: float) -> bool:
        self.stop_event.wait(min(timeout, POLL_SECONDS))
        return True
