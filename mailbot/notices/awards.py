"""The annual awards: 先进集体 (units) and 优秀信息联络员 (liaison officers), ranked from the year's scores.

Criteria (``[notices]``): at least ``award_min_adoptions`` adopted items, and with
``award_no_late_urgent`` no urgent report late. The first ``award_collectives`` / ``award_liaisons``
eligible lines are proposed; every line says which items and points made its score, and why a line is
not eligible. The office decides: this is a proposal, as .docx and .xlsx.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailbot.adoption.scores import fmt
from mailbot.config.settings import NoticeSettings, OfficeSettings
from mailbot.notices.gather import Notice, gather
from mailbot.notices.quarter import year_span
from mailbot.notices.sheet import tables_xlsx
from mailbot.notices.standing import Line
from mailbot.notices.tables import RULE_LABELS, Table, percent
from mailbot.notices.word import official_docx

if TYPE_CHECKING:
    from mailbot.app import App


@dataclass(frozen=True)
class Candidate:
    line: Line
    proposed: bool
    shortfalls: tuple[str, ...]  # why it is not eligible (empty: eligible)


@dataclass(frozen=True)
class Awards:
    notice: Notice
    collectives: list[Candidate]
    liaisons: list[Candidate]
    tables: list[Table]
    docx: bytes
    xlsx: bytes


def shortfalls(line: Line, settings: NoticeSettings) -> tuple[str, ...]:
    out = []
    if line.adopted_items < settings.award_min_adoptions:
        out.append(f"采用{line.adopted_items}件，少于{settings.award_min_adoptions}件")
    if settings.award_no_late_urgent and line.urgent_late:
        out.append(f"紧急信息超时{line.urgent_late}件")
    return tuple(out)


def candidates(lines: Sequence[Line], settings: NoticeSettings, places: int) -> list[Candidate]:
    """Every line in rank order; the first ``places`` eligible ones are proposed."""
    out = []
    proposed = 0
    for line in lines:
        missing = shortfalls(line, settings)
        chosen = not missing and proposed < places
        proposed += chosen
        out.append(Candidate(line, chosen, missing))
    return out


def _table(title: str, who: str, cands: Sequence[Candidate]) -> Table:
    header = ("名次", who, "得分", "采用", "报送", "采用率", "按时率", "紧急超时", "建议", "说明", "计分明细")
    rows = [
        (
            str(c.line.rank),
            c.line.name,
            fmt(c.line.score.total),
            str(c.line.adopted_items),
            str(c.line.submitted),
            percent(c.line.adoption_rate),
            percent(c.line.on_time_rate),
            str(c.line.urgent_late),
            "建议" if c.proposed else "",
            "；".join(c.shortfalls) or "符合条件",
            "；".join(c.line.score.parts) or "无计分项",
        )
        for c in cands
    ]
    return Table(title, header, rows)


def render_awards(notice: Notice, settings: NoticeSettings, office: OfficeSettings) -> Awards:
    collectives = candidates(notice.units, settings, settings.award_collectives)
    liaisons = candidates(notice.liaisons, settings, settings.award_liaisons)
    year = notice.span.label
    tables = [
        _table(f"{year}信息宣传工作先进集体（建议）", "单位", collectives),
        _table(f"{year}优秀信息联络员（建议）", "联络员", liaisons),
    ]
    criteria = (
        f"评选条件：全年采用信息不少于{settings.award_min_adoptions}件"
        + ("，无紧急信息超时" if settings.award_no_late_urgent else "")
        + f"；按得分排序（{RULE_LABELS.get(notice.rule, notice.rule)}），建议先进集体{settings.award_collectives}个、"
        f"优秀信息联络员{settings.award_liaisons}名，供办公室研究确定。"
    )
    docx = official_docx(
        office=office.name,
        title=f"{year}信息宣传工作先进集体和优秀信息联络员评选（建议名单）",
        subtitle=f"年度评选（{year}）",
        paragraphs=[criteria],
        tables=tables,
        date=notice.generated_at,
    )
    xlsx = tables_xlsx(f"{year}评选", [("先进集体", tables[0]), ("优秀信息联络员", tables[1])])
    return Awards(notice, collectives, liaisons, tables, docx, xlsx)


def build_awards(app: App, year: int) -> Awards:
    span = year_span(year, app.config.timezone)
    with app.db.session() as session:
        notice = gather(session, span, app.config.scores, now=app.now())
    return render_awards(notice, app.config.notices, app.config.office)
