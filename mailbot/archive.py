"""Data safety: every stored raw message can be written back to a Maildir, so the archive outlives the tool."""

from __future__ import annotations

import mailbox
from pathlib import Path

from sqlalchemy import select

from .app import App
from .store import queries
from .store.models import RawMessage, Submission


def export_maildir(app: App, directory: Path) -> int:
    box = mailbox.Maildir(str(directory), create=True)
    count = 0
    with app.db.session() as session:
        ids = list(session.scalars(select(Submission.id).order_by(Submission.id)))
        for sid in ids:
            row = session.get(RawMessage, sid)
            if row is None:
                continue
            msg = mailbox.MaildirMessage(queries.unpack_raw(row))
            msg.set_subdir("cur")
            msg.add_flag("S")
            box.add(msg)
            count += 1
            session.expunge(row)
    return count
