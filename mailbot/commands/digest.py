"""``mailbot digest``: choose the period, then print the text, write a preview page, or send it now."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.digest.mail import preview_html, text_digest
from mailbot.digest.period import Period, day_range, parse_week, period_before
from mailbot.digest.send import build, send_digest
from mailbot.errors import MailbotError

if TYPE_CHECKING:
    from mailbot.app import App


@dataclass
class CommandResult:
    lines: list[str] = field(default_factory=list)
    exit_code: int = 0


def choose_period(app: App, week: str | None, date_from: str | None, date_to: str | None) -> Period:
    tz = app.config.timezone
    try:
        if week:
            return parse_week(week, tz)
        if date_from or date_to:
            if not (date_from and date_to):
                raise MailbotError("give both --from DATE and --to DATE (YYYY-MM-DD, both days included)")
            return day_range(date.fromisoformat(date_from), date.fromisoformat(date_to), tz)
    except ValueError as exc:
        raise MailbotError(f"digest period: {exc}") from None
    return period_before(app.now(), app.config.digest.period, tz)


def digest_command(app: App, *, period: Period, preview: Path | None, send: bool) -> CommandResult:
    from mailbot.intake.runner import flush_outbox

    result = CommandResult()
    cfg = app.config
    if preview is not None:
        built = build(app, period, register=False)
        preview.parent.mkdir(parents=True, exist_ok=True)
        preview.write_text(
            preview_html(app.renderer, built.digest, office=cfg.office, chart=built.chart), encoding="utf-8"
        )
        chart = "with its chart" if built.chart is not None else "no chart (no reports in the period)"
        result.lines.append(f"preview of digest {period.key} written: {preview} ({chart})")
    if send:
        outcome = send_digest(app, period)
        if outcome.status == "already_sent":
            result.lines.append(
                f"digest {period.key} was already sent ({outcome.detail or 'recorded'}); not sent again"
            )
            result.exit_code = 1
        else:
            report = flush_outbox(app)
            result.lines.append(
                f"digest {period.key} queued (outbox {outcome.outbox_id}) to "
                f"{', '.join(cfg.digest.recipients)}; outbox: sent {report.sent}, written "
                f"{report.written}, deferred {report.deferred}, failed {report.failed}"
            )
            if report.failed or report.deferred:
                result.exit_code = 1
    if preview is None and not send:
        built = build(app, period, register=False, chart=False)
        result.lines.append(text_digest(app.renderer, built.digest, office=cfg.office).rstrip("\n"))
    return result
