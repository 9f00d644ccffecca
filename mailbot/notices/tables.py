"""The notice's and the ranking's tables as rows of text: one definition for .docx, .xlsx and HTML. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mailbot.adoption.kinds import KINDS
from mailbot.adoption.scores import fmt
from mailbot.notices.gather import Notice
from mailbot.notices.standing import Line

RULE_LABELS = {"sum": "多家采用累计计分", "max": "多家采用取最高分", "top_award": "多家采用按奖励上限计分"}


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def change(now: float, before: float) -> str:
    if now == before:
        return "持平"
    return f"+{fmt(now - before)}" if now > before else f"−{fmt(before - now)}"


def rate_change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "—"
    points = (now - before) * 100
    if abs(points) < 0.05:
        return "持平"
    return f"{'+' if points > 0 else '−'}{abs(points):.1f}个百分点"


def places(before: int, now: int) -> str:
    """A rank against the previous one: 上升2位, 下降1位, 持平."""
    if before == now:
        return "持平"
    return f"上升{before - now}位" if now < before else f"下降{now - before}位"


def _requests(x: Line) -> str:
    """约稿: answered (of which late), missed."""
    text = str(x.requests_answered)
    if x.requests_late:
        text += f"（逾期{x.requests_late}）"
    if x.requests_missed:
        text += f"，未报{x.requests_missed}"
    return text


def _urgent(x: Line) -> str:
    return f"{x.urgent}（按时{x.urgent_on_time}）" if x.urgent else "0"


def unit_table(n: Notice) -> Table:
    header = (
        "名次",
        "单位",
        "联络员",
        "报送",
        "采用",
        *KINDS.values(),
        "采用率",
        "按时率",
        "紧急信息",
        "约稿",
        "得分",
        "较上季度",
    )
    rows = []
    for x in n.units:
        before = n.previous_units.get(x.name)
        rank_change = "—" if before is None or not before.submitted else places(before.rank, x.rank)
        rows.append(
            (
                str(x.rank),
                x.name,
                x.liaison or "—",
                str(x.submitted),
                str(x.adopted_items),
                *(str(x.by_kind.get(k, 0)) for k in KINDS),
                percent(x.adoption_rate),
                percent(x.on_time_rate),
                _urgent(x),
                _requests(x),
                fmt(x.score.total),
                f"得分{change(x.score.total, before.score.total if before else 0)}，名次{rank_change}",
            )
        )
    return Table("各单位信息报送采用情况", header, rows)


def liaison_table(n: Notice) -> Table:
    header = ("名次", "联络员", "单位", "报送", "采用", "采用率", "按时率", "紧急信息", "约稿", "得分")
    rows = [
        (
            str(x.rank),
            x.liaison,
            x.unit,
            str(x.submitted),
            str(x.adopted_items),
            percent(x.adoption_rate),
            percent(x.on_time_rate),
            _urgent(x),
            str(x.requests_answered),
            fmt(x.score.total),
        )
        for x in n.liaisons
    ]
    return Table("信息联络员报送采用情况", header, rows)


def comparison_table(n: Notice) -> Table:
    t, p = n.total, n.previous_total
    rows = [
        ("报送信息", str(t.submitted), str(p.submitted), change(t.submitted, p.submitted)),
        ("采用信息", str(t.adopted_items), str(p.adopted_items), change(t.adopted_items, p.adopted_items)),
        (
            "采用率",
            percent(t.adoption_rate),
            percent(p.adoption_rate),
            rate_change(t.adoption_rate, p.adoption_rate),
        ),
        (
            "按时率",
            percent(t.on_time_rate),
            percent(p.on_time_rate),
            rate_change(t.on_time_rate, p.on_time_rate),
        ),
        ("紧急信息", str(t.urgent), str(p.urgent), change(t.urgent, p.urgent)),
        (
            "紧急信息按时率",
            percent(t.urgent_on_time_rate),
            percent(p.urgent_on_time_rate),
            rate_change(t.urgent_on_time_rate, p.urgent_on_time_rate),
        ),
        ("得分合计", fmt(t.score.total), fmt(p.score.total), change(t.score.total, p.score.total)),
    ]
    return Table(f"与上季度（{n.span.previous().label}）对比", ("指标", "本季度", "上季度", "变化"), rows)


def items_table(lines: Sequence[Line], title: str = "采用信息明细") -> Table:
    rows = [(x.name, i.tracking_no, i.subject, i.explanation, fmt(i.points)) for x in lines for i in x.items]
    return Table(title, ("单位", "登记编号", "标题", "采用情况", "得分"), rows)


def summary(n: Notice) -> str:
    t, p = n.total, n.previous_total
    return (
        f"{n.span.label}，全系统共报送信息{t.submitted}件（上季度{p.submitted}件），被采用{t.adopted_items}件，"
        f"采用率{percent(t.adoption_rate)}，按时报送率{percent(t.on_time_rate)}；紧急信息{t.urgent}件，"
        f"按时{t.urgent_on_time}件。计分规则：{RULE_LABELS.get(n.rule, n.rule)}。"
    )


def notice_tables(n: Notice) -> list[Table]:
    return [unit_table(n), liaison_table(n), comparison_table(n), items_table(n.units)]
