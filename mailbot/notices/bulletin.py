"""An issue of the office's bulletin (《质监信息》): chosen reports by section → a .docx, and an adoption
(``office.bulletin`` with the issue) recorded for every item in it, in one transaction.

Items are named ``NUMBER`` or ``栏目:NUMBER`` (section; default 工作动态). Every item must be a report
in the register, else nothing is written or recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from mailbot.adoption.kinds import Outlet
from mailbot.adoption.records import AdoptionInput, RecordOutcome, add_adoption, find_report
from mailbot.errors import MailbotError
from mailbot.notices.word import bulletin_docx
from mailbot.store.models import Unit

if TYPE_CHECKING:
    from mailbot.app import App

DEFAULT_SECTION = "工作动态"
BULLETIN = Outlet("office", "bulletin")


@dataclass(frozen=True)
class Issue:
    docx: bytes
    outcomes: list[tuple[str, RecordOutcome]]  # tracking number, recorded adoption


def parse_items(items: list[str]) -> list[tuple[str, list[str]]]:
    """``["JB-1", "基层信息:JB-2", "JB-3"]`` → [("工作动态", [JB-1, JB-3]), ("基层信息", [JB-2])] in first-seen order."""
    sections: dict[str, list[str]] = {}
    for item in items:
        name, sep, number = item.replace("：", ":").rpartition(":")
        sections.setdefault(name.strip() if sep and name.strip() else DEFAULT_SECTION, []).append(
            number.strip().upper()
        )
    return list(sections.items())


def _contents(
    session: Session, sections: list[tuple[str, list[str]]]
) -> list[tuple[str, list[tuple[str, str, str]]]]:
    out = []
    missing = []
    for name, numbers in sections:
        items = []
        for number in numbers:
            sub = find_report(session, number)
            if sub is None or not sub.tracking_no:
                missing.append(number)
                continue
            unit = session.get(Unit, sub.unit_id) if sub.unit_id else None
            source = unit.name if unit else (sub.unit_name or sub.from_name or sub.from_addr)
            items.append((sub.subject, sub.body_text, source))
        out.append((name, items))
    if missing:
        raise MailbotError(f"bulletin: no report {', '.join(missing)} in the register; nothing written")
    return out


def make_issue(
    app: App,
    items: list[str],
    *,
    issue: str,
    title: str = "质监信息",
    day: date | None = None,
    actor: str,
) -> Issue:
    sections = parse_items(items)
    when = app.now()
    day = day or when.astimezone(app.config.timezone).date()
    stamp = datetime(day.year, day.month, day.day, tzinfo=app.config.timezone)
    with app.db.session() as session:
        docx = bulletin_docx(
            title=title,
            issue=issue,
            office=app.config.office.name,
            date=stamp,
            sections=_contents(session, sections),
        )
        outcomes = [
            (
                number,
                add_adoption(
                    session,
                    AdoptionInput(number, BULLETIN, day, issue=issue),
                    actor=actor,
                    source="bulletin",
                    now=when,
                ),
            )
            for _, numbers in sections
            for number in numbers
        ]
    return Issue(docx, outcomes)
