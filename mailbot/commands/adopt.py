"""``mailbot adopt`` and ``mailbot adoptions list/remove/import/history``: the adoption ledger by hand.

Each returns the text to print and whether something was refused (cli.py prints and exits)."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from mailbot.adoption.importing import import_adoptions
from mailbot.adoption.kinds import ALL_KEYS, label, parse_issue, parse_outlet
from mailbot.adoption.records import AdoptionInput, add_adoption, history, list_adoptions, remove_adoption
from mailbot.errors import MailbotError
from mailbot.notices.quarter import parse_quarter, year_span

if TYPE_CHECKING:
    from mailbot.app import App

KINDS_HELP = "kind.level: " + ", ".join(f"{k} ({label(k)})" for k in ALL_KEYS)


def actor(by: str | None) -> str:
    """Who made a change from the command line: --by, else the login name."""
    if by:
        return f"cli:{by}"
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def adopt(
    app: App,
    number: str,
    *,
    kind: str,
    level: str | None = None,
    outlet: str = "",
    issue: str | None = None,
    day: str | None = None,
    note: str | None = None,
    by: str | None = None,
) -> tuple[str, bool]:
    try:
        where = parse_outlet(kind, level)
        adopted_on = date.fromisoformat(day) if day else app.now().astimezone(app.config.timezone).date()
    except ValueError as exc:
        raise MailbotError(f"adopt: {exc}") from None
    inp = AdoptionInput(
        tracking_no=number,
        outlet=where,
        adopted_on=adopted_on,
        outlet_name=outlet,
        issue=(parse_issue(issue) or issue) if issue else "",
        note=note,
    )
    with app.db.session() as session:
        outcome = add_adoption(session, inp, actor=actor(by), source="cli", now=app.now())
    return f"{outcome.action}: {outcome.detail}", outcome.action == "rejected"


def remove(app: App, adoption_id: int, *, reason: str | None, by: str | None = None) -> tuple[str, bool]:
    with app.db.session() as session:
        outcome = remove_adoption(session, adoption_id, actor=actor(by), now=app.now(), reason=reason)
    return f"{outcome.action}: {outcome.detail}", outcome.action == "rejected"


def list_text(
    app: App,
    *,
    number: str | None = None,
    quarter: str | None = None,
    year: int | None = None,
    include_removed: bool = False,
) -> str:
    tz = app.config.timezone
    first = last = None
    if quarter or year:
        try:
            span = parse_quarter(quarter, tz) if quarter else year_span(int(year or 0), tz)
        except ValueError as exc:
            raise MailbotError(f"adoptions list: {exc}") from None
        first, last = span.first_day, span.last_day
    with app.db.session() as session:
        rows = list_adoptions(
            session, tracking_no=number, first_day=first, last_day=last, include_removed=include_removed
        )
    lines = [
        f"#{r.id:<5} {r.adopted_on.isoformat()}  {r.tracking_no:<16} {r.unit:<14} "
        f"{' '.join(x for x in (label(r.key), r.outlet, r.issue) if x)}"
        f"{'（已撤销）' if r.removed else ''}  [{r.source} {r.created_by}]  {r.subject[:30]}"
        for r in rows
    ]
    return "\n".join(lines) or "no adoption recorded (mailbot adopt NUMBER --as KIND)"


def history_text(app: App, adoption_id: int) -> str:
    tz = app.config.timezone
    with app.db.session() as session:
        changes = history(session, adoption_id)
    if not changes:
        raise MailbotError(f"no adoption #{adoption_id}")
    lines = []
    for c in changes:
        lines.append(
            f"{c.at.astimezone(tz):%Y-%m-%d %H:%M} {c.action} by {c.actor}"
            + (f": {c.note}" if c.note else "")
        )
        if c.before is not None:
            lines.append(f"    before: {c.before}")
        if c.after is not None:
            lines.append(f"    after:  {c.after}")
    return "\n".join(lines)


def import_text(app: App, path: Path, *, by: str | None = None) -> tuple[str, bool]:
    if not path.is_file():
        raise MailbotError(f"{path}: no such file")
    who = actor(by).replace("cli:", "import:", 1) + f":{path.name}"
    with app.db.session() as session:
        reports, unknown = import_adoptions(session, path, actor=who, now=app.now())
    lines = [str(r) for r in reports]
    if unknown:
        lines.append(f"ignored column(s): {', '.join(unknown)}")
    counts = {a: sum(1 for r in reports if r.action == a) for a in ("added", "unchanged", "rejected")}
    lines.append(", ".join(f"{k} {v}" for k, v in counts.items()))
    return "\n".join(lines), counts["rejected"] > 0


def mail_text(app: App) -> tuple[str, bool]:
    """Apply the office's ``采用：`` mails now and send the confirmations; refused ones make exit 1."""
    from mailbot.adoption.bymail import apply_office_mail
    from mailbot.adoption.mailcmd import REFUSAL_LABELS
    from mailbot.intake.runner import flush_outbox

    outcomes = apply_office_mail(app)
    flush_outbox(app)
    lines = []
    for o in outcomes:
        if o.status == "refused":
            lines.append(
                f"submission {o.submission_id}: REFUSED ({REFUSAL_LABELS.get(o.reason or '', o.reason)})"
            )
        else:
            lines.append(f"submission {o.submission_id}: {'; '.join(o.results) or 'nothing to record'}")
    return "\n".join(lines) or "no adoption command by mail waiting", any(
        o.status == "refused" for o in outcomes
    )
