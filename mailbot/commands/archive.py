"""Data safety: every stored raw message can be written back to a Maildir, so the archive outlives the tool."""

from __future__ import annotations

import mailbox
import os
import socket
import time
from pathlib import Path

from sqlalchemy import select

from mailbot.app import App
from mailbot.store import queries
from mailbot.store.models import RawMessage, Submission


def _write_raw(directory: Path, sid: int, raw: bytes) -> None:
    """The raw bytes exactly as stored (no parsing, no line-ending change): tmp/ then rename into cur/ (Seen)."""
    name = f"{time.time_ns()}.M{sid}P{os.getpid()}.{socket.gethostname().replace('/', '_').replace(':', '_')}"
    tmp = directory / "tmp" / name
    with open(tmp, "wb") as fh:
        fh.write(raw)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, directory / "cur" / f"{name}:2,S")


def export_maildir(app: App, directory: Path) -> int:
    mailbox.Maildir(str(directory), create=True)  # tmp/, new/, cur/
    count = 0
    with app.db.session() as session:
        ids = list(session.scalars(select(Submission.id).order_by(Submission.id)))
        for sid in ids:
            row = session.get(RawMessage, sid)
            if row is None:
                continue
            _write_raw(directory, sid, queries.unpack_raw(row))
            count += 1
            session.expunge(row)
    return count
