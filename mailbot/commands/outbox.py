"""``mailbot outbox list / retry / release``: the office's hands on replies that failed or are held.

- ``list [--status failed|held|pending]``: one line per reply (id, status, kind, recipient, attempts,
  why), and the SMTP session state when the last session failed (``smtp_health``);
- ``retry ID | --all-failed``: failed → pending, attempts reset, due now;
- ``release ID | --all-held``: held → pending, due now, recording who released it and when.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from mailbot.commands.terminal import printable as clean
from mailbot.config import Config
from mailbot.errors import MailbotError
from mailbot.model import OutboxStatus
from mailbot.replies.outbox import session_health
from mailbot.store.models import OutboxItem

if TYPE_CHECKING:
    from mailbot.app import App

LISTED = (OutboxStatus.FAILED, OutboxStatus.HELD, OutboxStatus.PENDING)


def list_text(app: App, status: str | None = None, limit: int = 500) -> str:
    statuses = [status] if status else list(LISTED)
    tz = app.config.timezone
    lines: list[str] = []
    with app.db.session() as session:
        health = session_health(session)
        if health is not None and health.failing_since is not None:
            nxt = (
                health.next_try_at.astimezone(tz).isoformat(timespec="seconds") if health.next_try_at else "—"
            )
            lines.append(
                f"SMTP session FAILING since {health.failing_since.astimezone(tz).isoformat(timespec='seconds')} "
                f"({health.failures} run(s); next try {nxt}; office told: {'yes' if health.alerted else 'no'}): "
                f"{clean(health.last_error or '')}"
            )
        rows = session.scalars(
            select(OutboxItem).where(OutboxItem.status.in_(statuses)).order_by(OutboxItem.id).limit(limit)
        ).all()
        for r in rows:
            why = r.held_reason if r.status == OutboxStatus.HELD else r.last_error
            released = f" released by {r.released_by} {r.released_at:%Y-%m-%d %H:%M}" if r.released_at else ""
            lines.append(
                f"{r.id:>6} {r.status:<8} {r.kind:<20} {clean(', '.join(r.to_addrs))[:60]:<30} "
                f"attempts {r.attempts}  {clean(why or '')[:300]}{released}  [{clean(r.subject)[:60]}]"
            )
    if len(lines) == (1 if health is not None else 0):
        lines.append(f"no {status or 'failed, held or pending'} replies")
    return "\n".join(lines)


def retry(app: App, item_id: int | None, *, all_failed: bool = False) -> tuple[str, bool]:
    """failed → pending (attempts 0, due now). Returns (text, refused)."""
    return _move(app, item_id, all_=all_failed, source=OutboxStatus.FAILED, verb="retry")


def release(
    app: App, item_id: int | None, *, all_held: bool = False, by: str | None = None
) -> tuple[str, bool]:
    """held → pending (due now), noting who and when. Returns (text, refused)."""
    return _move(app, item_id, all_=all_held, source=OutboxStatus.HELD, verb="release", by=by)


def _move(
    app: App, item_id: int | None, *, all_: bool, source: OutboxStatus, verb: str, by: str | None = None
) -> tuple[str, bool]:
    now = app.now()
    who = (by or _login())[:100]
    with app.db.session() as session:
        if all_:
            rows = list(session.scalars(select(OutboxItem).where(OutboxItem.status == source)))
        else:
            row = session.get(OutboxItem, item_id) if item_id is not None else None
            if row is None:
                return f"outbox {item_id}: no such reply", True
            if row.status != source:
                return f"outbox {row.id} is {row.status}, not {source}: nothing to {verb}", True
            rows = [row]
        for row in rows:
            row.status = OutboxStatus.PENDING
            row.next_attempt_at = now
            if verb == "retry":
                row.attempts = 0
                row.last_error = (
                    f"retried by {who} at {now.isoformat(timespec='seconds')}; was: {row.last_error}"[:2000]
                )
            else:
                row.released_by, row.released_at = who, now
        ids = [r.id for r in rows]
    done = "retried" if verb == "retry" else "released"
    if not ids:
        return f"no {source} replies", False
    return (
        f"{done} {len(ids)} repl{'y' if len(ids) == 1 else 'ies'} (now pending): {', '.join(map(str, ids))}",
        False,
    )


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def health_line(config: Config) -> str | None:
    """``check-config``: the remembered SMTP session failure, if the database has one (else None)."""
    from mailbot.store.db import Database

    try:
        db = Database(config.database_url, migrate_schema=False)
    except MailbotError:
        return None
    try:
        with db.session() as session:
            health = session_health(session)
            if health is None or health.failing_since is None:
                return None
            return (
                f"the daemon's last session FAILED (since {health.failing_since.isoformat(timespec='seconds')}, "
                f"{health.failures} run(s)): {clean(health.last_error or '')}"
            )
    except SQLAlchemyError:
        return None  # no schema yet
    finally:
        db.dispose()
