"""Scoring, pure: the adoptions of one item → its points (and reward), a unit's year or quarter → its score.

The score table is :class:`mailbot.config.settings.ScoreSettings`. For several adoptions of one item:

- ``sum``: every adoption counts;
- ``max``: the best adoption counts;
- ``top_award`` (the notice's rule, 一稿多投并被多家媒体转载和录用的，按奖励上限给予奖励): adopted by two
  or more outlets → the top award (``scores.top_award``, else the highest points of the table), else the
  best adoption. An outlet is a kind.level, for media and outside adopters with its name (人民网 and 新华网
  are two); the same bulletin in two issues is one outlet; forwarding upward (``upward``) is the office's
  act, not an outlet adopting it.

Leader instructions (``instruction``) are added on top whatever the rule. Rewards (yuan) follow the
same rule over ``scores.rewards``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mailbot.adoption.kinds import label
from mailbot.config.settings import ScoreSettings

INSTRUCTION = "instruction"
NOT_OUTLETS = ("upward", INSTRUCTION)
NAMED_OUTLETS = ("media", "adopted")


@dataclass(frozen=True)
class AdoptionValue:
    key: str  # kind.level, e.g. adopted.central
    outlet: str = ""  # the named publication or medium, when given
    issue: str = ""

    @property
    def kind(self) -> str:
        return self.key.partition(".")[0]

    @property
    def text(self) -> str:
        parts = [
            label(self.key),
            self.outlet if self.outlet and self.outlet != label(self.key) else "",
            self.issue,
        ]
        return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class ItemScore:
    points: float
    reward: float
    explanation: str  # 信息专报 2026年第12期 8分；… → 按奖励上限 20分


@dataclass(frozen=True)
class Tally:
    """What a unit (or liaison) did in the period besides adopted items."""

    reports: int = 0
    urgent_late: int = 0
    requests_answered: int = 0
    requests_late: int = 0
    requests_missed: int = 0


@dataclass(frozen=True)
class Score:
    total: float
    adoption_points: float
    reward: float
    parts: list[str] = field(default_factory=list)  # the explanation, one part per line item


def fmt(value: float) -> str:
    """8.0 → 8, 2.5 → 2.5, -2.0 → -2."""
    return f"{value:g}"


def _outlets(adoptions: Sequence[AdoptionValue]) -> set[tuple[str, str]]:
    """Distinct outlets: kind.level, and for media and outside adopters the named outlet too (人民网 and
    新华网 are two); the office's own publications are one outlet each whatever they are called."""
    return {
        (a.key, a.outlet.strip() if a.kind in NAMED_OUTLETS else "")
        for a in adoptions
        if a.kind not in NOT_OUTLETS
    }


def top_of(table: Mapping[str, float]) -> float:
    return max((v for k, v in table.items() if not k.startswith(INSTRUCTION + ".")), default=0.0)


def _combine(values: Sequence[float], outlets: int, rule: str, top: float) -> tuple[float, str]:
    if not values:
        return 0.0, ""
    if rule == "sum":
        return sum(values), "合计"
    if rule == "top_award" and outlets >= 2:
        return top, f"{outlets}家采用，按奖励上限"
    return max(values), "取最高" if len(values) > 1 else ""


def item_score(adoptions: Sequence[AdoptionValue], table: ScoreSettings) -> ItemScore:
    """The points and reward of one item from all its adoptions (in the period scored)."""
    counted = [a for a in adoptions if a.kind != INSTRUCTION]
    instructions = [a for a in adoptions if a.kind == INSTRUCTION]
    outlets = len(_outlets(counted))
    top = table.top_award if table.top_award is not None else top_of(table.points)
    points, how = _combine([table.points.get(a.key, 0.0) for a in counted], outlets, table.multiple, top)
    reward, _ = _combine(
        [table.rewards.get(a.key, 0.0) for a in counted], outlets, table.multiple, top_of(table.rewards)
    )
    extra = sum(table.points.get(a.key, 0.0) for a in instructions)
    reward += sum(table.rewards.get(a.key, 0.0) for a in instructions)
    lines = [f"{a.text} {fmt(table.points.get(a.key, 0.0))}分" for a in adoptions]
    text = "；".join(lines)
    if how and len(counted) > 1:
        text += f"（{how} {fmt(points)}分）"
    if instructions and counted:
        text += f"；批示另加 {fmt(extra)}分"
    return ItemScore(points + extra, reward, text)


def score(items: Sequence[tuple[str, ItemScore]], tally: Tally, table: ScoreSettings) -> Score:
    """A unit's score: its adopted items (name, score), then reports, late urgent reports and 约稿."""
    parts = [f"{name}：{s.explanation}，计 {fmt(s.points)}分" for name, s in items]
    adoption = sum(s.points for _, s in items)
    total = adoption
    for count, each, what in (
        (tally.reports, table.per_report, "报送信息"),
        (tally.urgent_late, table.urgent_late, "紧急信息超时"),
        (tally.requests_answered, table.request_answered, "约稿按时报送"),
        (tally.requests_late, table.request_late, "约稿逾期报送"),
        (tally.requests_missed, table.request_missed, "约稿未报送"),
    ):
        if count and each:
            total += count * each
            parts.append(f"{what} {count}件 × {fmt(each)}分 = {fmt(count * each)}分")
    return Score(total, adoption, sum(s.reward for _, s in items), parts)
