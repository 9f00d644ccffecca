"""A local Maildir as a source (Python's ``mailbox``): for hosts where mail is delivered locally,
and the embedded default of the demo. Processed messages move from new/ to cur/ with the Seen flag;
quarantined ones move to the ``.mailbot.failed`` sub-folder. Nothing is deleted."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.utils import parsedate_to_datetime
from mailbox import Maildir
from pathlib import Path

from mailbot.config.settings import MaildirSettings
from mailbot.errors import SourceError
from mailbot.model import FetchedMail

log = logging.getLogger(__name__)
POLL_SECONDS = 10.0


def received_time(raw: bytes) -> datetime | None:
    """The arrival time from the topmost ``Received:`` header (what the delivering MTA stamped)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        msg = BytesHeaderParser().parsebytes(head + b"\n\n")
        received = msg.get("Received")
        if not received or ";" not in str(received):
            return None
        when = parsedate_to_datetime(str(received).rsplit(";", 1)[1].strip())
    except (ValueError, TypeError, IndexError, LookupError):
        return None
    return when if when.tzinfo else None


class MaildirSource:
    def __init__(self, settings: MaildirSettings) -> None:
        self.settings = settings
        self.name = settings.name
        self.batch_size = settings.batch_size
        self.archive_before = settings.archive_before
        self.archive_backlog = settings.archive_backlog
        self.stop_event = threading.Event()
        self._box: Maildir | None = None

    @property
    def mailbox(self) -> str:
        return str(self.settings.path)

    @property
    def uidvalidity(self) -> int | None:
        return None

    @property
    def box(self) -> Maildir:
        if self._box is None:
            raise SourceError(f"Maildir {self.settings.path} is not open")
        return self._box

    def open(self) -> None:
        path = Path(self.settings.path)
        if not (path / "cur").is_dir() or not (path / "new").is_dir():
            raise SourceError(f"{path} is not a Maildir (it needs cur/, new/ and tmp/ folders)")
        self._box = Maildir(str(path), factory=None, create=False)

    def close(self) -> None:
        self._box = None

    def pending_keys(self) -> list[str]:
        box = self.box
        box.clean()
        keys = []
        for key in box.iterkeys():
            msg = box.get_message(key)
            if "S" not in msg.get_flags() or msg.get_subdir() == "new":
                keys.append(key)
        return sorted(keys, key=lambda k: (self._mtime(k), k))

    def _mtime(self, key: str) -> float:
        """The file's modification time (Maildir messages carry it as their "date")."""
        try:
            return float(self.box.get_message(key).get_date())
        except (KeyError, OSError):
            return 0.0

    def fetch(self, keys: Sequence[str]) -> list[FetchedMail]:
        out = []
        for key in keys:
            try:
                raw = self.box.get_bytes(key)
            except KeyError:
                continue
            arrived = received_time(raw) or datetime.fromtimestamp(self._mtime(key), UTC)
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

    def mark_done(self, keys: Sequence[str]) -> None:
        self._flag(keys, "S")

    def quarantine(self, keys: Sequence[str]) -> None:
        """Mark as handled and flagged for a person (the raw bytes are kept in the database too)."""
        self._flag(keys, "SF")

    def _flag(self, keys: Sequence[str], flags: str) -> None:
        """Move to cur/ with these Maildir flags; the file itself is kept."""
        for key in keys:
            try:
                msg = self.box.get_message(key)
            except KeyError:
                continue
            msg.set_subdir("cur")
            msg.add_flag(flags)
            self.box[key] = msg

    def wait(self, timeout: float) -> bool:
        self.stop_event.wait(min(timeout, POLL_SECONDS))
        return True
