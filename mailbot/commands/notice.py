"""``mailbot notice`` (the quarterly adoption notice: print, preview, write files, send once) and
``mailbot awards`` (the year's ranking as .docx/.xlsx). Each returns the lines to print and an exit code."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.errors import MailbotError
from mailbot.notices.awards import build_awards
from mailbot.notices.quarter import Span, parse_quarter, quarter_before
from mailbot.notices.quarterly import build, preview_html
from mailbot.notices.send import send_notice
from mailbot.notices.tables import summary

if TYPE_CHECKING:
    from mailbot.app import App


def choose_quarter(app: App, text: str | None) -> Span:
    if not text:
        return quarter_before(app.now(), app.config.timezone)
    try:
        return parse_quarter(text, app.config.timezone)
    except ValueError as exc:
        raise MailbotError(f"notice: {exc}") from None


def notice_command(
    app: App, span: Span, *, preview: Path | None, out: Path | None, send: bool
) -> tuple[list[str], int]:
    from mailbot.intake.runner import flush_outbox

    lines: list[str] = []
    code = 0
    built = build(app, span) if (preview or out or not send) else None
    if built is not None and preview is not None:
        preview.parent.mkdir(parents=True, exist_ok=True)
        preview.write_text(preview_html(app.renderer, built, app.config.office), encoding="utf-8")
        lines.append(f"preview of notice {span.key} written: {preview}")
    if built is not None and out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / built.docx_name).write_bytes(built.docx)
        (out / built.xlsx_name).write_bytes(built.xlsx)
        lines.append(f"notice {span.key} written: {out / built.docx_name}, {out / built.xlsx_name}")
    if send:
        outcome = send_notice(app, span)
        if outcome.status == "already_sent":
            lines.append(
                f"notice {span.key} was already sent ({outcome.detail or 'recorded'}); not sent again"
            )
            code = 1
        else:
            report = flush_outbox(app)
            lines.append(
                f"notice {span.key} queued ({outcome.mails} mail(s)); outbox: sent {report.sent}, written "
                f"{report.written}, deferred {report.deferred}, failed {report.failed}"
            )
            code = 1 if report.failed or report.deferred else 0
    if built is not None and not (preview or out or send):
        lines.append(summary(built.notice))
        for x in built.notice.units:
            lines.append(
                f"{x.rank:>3}. {x.name}  得分 {x.score.total:g}  报送 {x.submitted}  采用 {x.adopted_items}"
            )
    return lines, code


def awards_command(app: App, year: int, out: Path | None) -> list[str]:
    awards = build_awards(app, year)
    lines = []
    for title, cands in (("先进集体", awards.collectives), ("优秀信息联络员", awards.liaisons)):
        chosen = [c.line.name for c in cands if c.proposed]
        lines.append(f"{year} {title}（建议）: {', '.join(chosen) or '无符合条件者'}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / f"awards-{year}.docx").write_bytes(awards.docx)
        (out / f"awards-{year}.xlsx").write_bytes(awards.xlsx)
        lines.append(f"written: {out / f'awards-{year}.docx'}, {out / f'awards-{year}.xlsx'}")
    return lines


def bulletin_command(
    app: App, items: list[str], *, issue: str, out: Path, title: str, day: str | None, actor: str
) -> list[str]:
    from datetime import date

    from mailbot.notices.bulletin import make_issue

    if out.suffix.lower() != ".docx":
        raise MailbotError(f"bulletin: {out}: the output is a .docx file")
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError as exc:
        raise MailbotError(f"bulletin: --date: {exc}") from None
    made = make_issue(app, items, issue=issue, title=title, day=when, actor=actor)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(made.docx)
    lines = [f"{number}: adoption {o.action} ({o.detail})" for number, o in made.outcomes]
    lines.append(f"bulletin {title} {issue} written: {out} ({len(made.outcomes)} item(s))")
    return lines
