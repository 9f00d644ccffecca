"""``mailbot request new/list/check``: 约稿 by hand. Each returns the lines to print."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from mailbot.errors import MailbotError
from mailbot.notices.requests import check_requests, new_request, targets

if TYPE_CHECKING:
    from mailbot.app import App

STATUS_LABELS = {"pending": "待报", "answered": "已报送", "late": "逾期报送", "missed": "未报送"}


def parse_deadline(app: App, text: str) -> datetime:
    """``2026-12-20 18:00`` or ``2026-12-20`` (that day's end, 23:59) in the configured zone."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise MailbotError(f"request: --deadline {text!r}: use YYYY-MM-DD or 'YYYY-MM-DD HH:MM'") from None
    if len(text.strip()) <= 10:
        value = datetime.combine(value.date(), time(23, 59))
    return value if value.tzinfo else value.replace(tzinfo=app.config.timezone)


def new_command(
    app: App, *, topic: str, deadline: str, units: list[str], keywords: list[str], text: str, actor: str
) -> list[str]:
    from mailbot.intake.runner import flush_outbox

    number, lines = new_request(
        app,
        topic=topic,
        deadline=parse_deadline(app, deadline),
        units=units or None,
        keywords=keywords,
        text=text,
        actor=actor,
    )
    report = flush_outbox(app)
    return [
        f"request {number} «{topic}»",
        *(f"  {line}" for line in lines),
        f"outbox: sent {report.sent}, written {report.written}, deferred {report.deferred}, failed {report.failed}",
    ]


def list_command(app: App, number: str | None) -> list[str]:
    tz = app.config.timezone
    with app.db.session() as session:
        rows = targets(session, now=app.now(), number=number)
    return [
        f"{r.number}  {r.deadline.astimezone(tz):%Y-%m-%d %H:%M}  {r.unit:<14} {STATUS_LABELS.get(r.status, r.status)}"
        + (f"  {r.tracking_no} ({r.matched_by})" if r.tracking_no else "")
        + f"  {r.topic}"
        for r in rows
    ] or ["no request (mailbot request new --topic … --deadline …)"]


def check_command(app: App) -> list[str]:
    from mailbot.intake.runner import flush_outbox
    from mailbot.notices.quotas import remind_quota

    linked, reminded = check_requests(app)
    quota = remind_quota(app)
    flush_outbox(app)
    return [f"answers linked {linked}, reminders queued {reminded}, quota reminders (催报) queued {quota}"]
