"""Per unit and per liaison figures of a span, ranked by score. Pure: values in, values out.

A report counts in the span of its ``reported_at``; an adoption in the span of its ``adopted_on``, for
the unit that sent the report and the liaison in office when it was sent. The adoption rate is adopted
items / reports of the span; the on-time rate on-time / (on-time + late), as in the digest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from mailbot.adoption.kinds import KINDS
from mailbot.adoption.scores import AdoptionValue, ItemScore, Score, Tally, item_score, score
from mailbot.config.settings import ScoreSettings


@dataclass(frozen=True)
class ReportFact:
    submission_id: int
    unit: str
    liaison: str  # "" when the unit had no liaison on record then
    category: str
    verdict: str | None
    reported_at: datetime


@dataclass(frozen=True)
class AdoptionFact:
    submission_id: int
    tracking_no: str
    subject: str
    unit: str
    liaison: str
    value: AdoptionValue


@dataclass(frozen=True)
class ItemLine:
    tracking_no: str
    subject: str
    points: float
    explanation: str


@dataclass(frozen=True)
class Line:
    name: str  # the unit, or the liaison
    unit: str
    liaison: str
    submitted: int = 0
    on_time: int = 0
    late: int = 0
    unknown: int = 0
    urgent: int = 0
    urgent_on_time: int = 0
    urgent_late: int = 0
    adopted_items: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)  # adoptions per kind (office, adopted …)
    requests_answered: int = 0  # 约稿 answered (on time or late)
    requests_late: int = 0  # … of which late
    requests_missed: int = 0  # 约稿 not answered by the deadline
    score: Score = field(default_factory=lambda: Score(0.0, 0.0, 0.0))
    items: tuple[ItemLine, ...] = ()
    rank: int = 0

    @property
    def adoption_rate(self) -> float | None:
        return self.adopted_items / self.submitted if self.submitted else None

    @property
    def on_time_rate(self) -> float | None:
        judged = self.on_time + self.late
        return self.on_time / judged if judged else None

    @property
    def urgent_on_time_rate(self) -> float | None:
        judged = self.urgent_on_time + self.urgent_late
        return self.urgent_on_time / judged if judged else None


def _line(
    name: str,
    unit: str,
    liaison: str,
    reports: Sequence[ReportFact],
    adoptions: Sequence[AdoptionFact],
    table: ScoreSettings,
    requests: Mapping[str, int] | None = None,
) -> Line:
    per_item: dict[int, list[AdoptionFact]] = defaultdict(list)
    for a in adoptions:
        per_item[a.submission_id].append(a)
    items = []
    for facts in per_item.values():
        s = item_score([f.value for f in facts], table)
        items.append(ItemLine(facts[0].tracking_no, facts[0].subject, s.points, s.explanation))
    items.sort(key=lambda i: (-i.points, i.tracking_no))
    by_kind = {k: sum(1 for a in adoptions if a.value.kind == k) for k in KINDS}
    urgent = [r for r in reports if r.category == "urgent"]
    urgent_late = sum(1 for r in urgent if r.verdict == "late")
    asked = requests or {}
    total = score(
        [(i.tracking_no, _as_score(i)) for i in items],
        Tally(
            reports=len(reports),
            urgent_late=urgent_late,
            requests_answered=asked.get("answered", 0),
            requests_late=asked.get("late", 0),
            requests_missed=asked.get("missed", 0),
        ),
        table,
    )
    return Line(
        name=name,
        unit=unit,
        liaison=liaison,
        submitted=len(reports),
        on_time=sum(1 for r in reports if r.verdict == "on_time"),
        late=sum(1 for r in reports if r.verdict == "late"),
        unknown=sum(1 for r in reports if r.verdict not in ("on_time", "late")),
        urgent=len(urgent),
        urgent_on_time=sum(1 for r in urgent if r.verdict == "on_time"),
        urgent_late=urgent_late,
        adopted_items=len(items),
        by_kind=by_kind,
        requests_answered=asked.get("answered", 0) + asked.get("late", 0),
        requests_late=asked.get("late", 0),
        requests_missed=asked.get("missed", 0),
        score=total,
        items=tuple(items),
    )


def _as_score(i: ItemLine) -> ItemScore:
    return ItemScore(i.points, 0.0, i.explanation)


def ranked(lines: Iterable[Line]) -> list[Line]:
    """By score, then adopted items, then reports; equal figures share a rank (1, 2, 2, 4)."""
    order = sorted(lines, key=lambda x: (-x.score.total, -x.adopted_items, -x.submitted, x.name))
    out: list[Line] = []
    for i, line in enumerate(order):
        prev = out[-1] if out else None
        same = prev is not None and (prev.score.total, prev.adopted_items, prev.submitted) == (
            line.score.total,
            line.adopted_items,
            line.submitted,
        )
        out.append(_with_rank(line, prev.rank if same and prev else i + 1))
    return out


def _with_rank(line: Line, rank: int) -> Line:
    return replace(line, rank=rank)


def standings(
    reports: Sequence[ReportFact],
    adoptions: Sequence[AdoptionFact],
    table: ScoreSettings,
    *,
    by: Callable[[ReportFact | AdoptionFact], str],
    units: Mapping[str, str] | None = None,
    requests: Mapping[str, Mapping[str, int]] | None = None,
) -> list[Line]:
    """One ranked line per group (``by``: the unit, or the liaison); ``units`` (name → its liaison at the
    end of the span) gives every unit a line, silent ones too."""
    groups: dict[str, tuple[list[ReportFact], list[AdoptionFact], str, str]] = {}
    for name, liaison in (units or {}).items():
        groups.setdefault(name, ([], [], name, liaison))
    for r in reports:
        if key := by(r):
            groups.setdefault(key, ([], [], r.unit, r.liaison))[0].append(r)
    for a in adoptions:
        if key := by(a):
            groups.setdefault(key, ([], [], a.unit, a.liaison))[1].append(a)
    for name in requests or {}:  # a unit asked for a report that sent nothing else still has a line
        groups.setdefault(name, ([], [], name, ""))
    lines = [
        _line(k, unit, liaison, r, a, table, (requests or {}).get(k))
        for k, (r, a, unit, liaison) in groups.items()
    ]
    return ranked(lines)


def by_unit(fact: ReportFact | AdoptionFact) -> str:
    return fact.unit


def by_liaison(fact: ReportFact | AdoptionFact) -> str:
    return f"{fact.liaison}（{fact.unit}）" if fact.liaison else ""


def total_line(lines: Sequence[Line], name: str = "合计") -> Line:
    """The sum of the lines (for the comparison with the previous span)."""
    return Line(
        name=name,
        unit="",
        liaison="",
        submitted=sum(x.submitted for x in lines),
        on_time=sum(x.on_time for x in lines),
        late=sum(x.late for x in lines),
        unknown=sum(x.unknown for x in lines),
        urgent=sum(x.urgent for x in lines),
        urgent_on_time=sum(x.urgent_on_time for x in lines),
        urgent_late=sum(x.urgent_late for x in lines),
        adopted_items=sum(x.adopted_items for x in lines),
        by_kind={k: sum(x.by_kind.get(k, 0) for x in lines) for k in KINDS},
        score=Score(sum(x.score.total for x in lines), sum(x.score.adoption_points for x in lines), 0.0),
    )
