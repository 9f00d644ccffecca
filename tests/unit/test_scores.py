"""The score table against hand-computed tables: the three multi-adoption rules, instructions on top,
rewards, penalties, the vocabulary of kinds and levels, and the [scores] configuration."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mailbot.adoption.kinds import ALL_KEYS, parse_issue, parse_outlet
from mailbot.adoption.scores import AdoptionValue, ItemScore, Tally, item_score, score
from mailbot.config import build_config
from mailbot.config.settings import EXAMPLE_POINTS, ScoreSettings
from mailbot.errors import ConfigError

A = AdoptionValue
DEFAULT = ScoreSettings()  # the shipped example points: central 20, region/ministry 10, bulletin 6 …
TOP30 = replace(DEFAULT, top_award=30.0)

# (adoptions of one item, table, {rule: points}) — every figure computed by hand from EXAMPLE_POINTS
CASES: list[tuple[str, list[AdoptionValue], ScoreSettings, dict[str, float]]] = [
    ("nothing", [], DEFAULT, {"sum": 0, "max": 0, "top_award": 0}),
    (
        "one 信息专报",
        [A("office.special", issue="2026年第12期")],
        DEFAULT,
        {"sum": 8, "max": 8, "top_award": 8},
    ),
    (
        "bulletin + 中办: two outlets, the top award set to 30",
        [A("office.bulletin", issue="第3期"), A("adopted.central")],
        TOP30,
        {"sum": 26, "max": 20, "top_award": 30},
    ),
    (
        "bulletin + 中办: two outlets, top award = highest of the table (20)",
        [A("office.bulletin"), A("adopted.central")],
        DEFAULT,
        {"sum": 26, "max": 20, "top_award": 20},
    ),
    (
        "专报 + forwarded upward: forwarding is not an outlet",
        [A("office.special"), A("upward.region")],
        TOP30,
        {"sum": 11, "max": 8, "top_award": 8},
    ),
    (
        "two national media by name: two outlets",
        [A("media.national", outlet="人民网"), A("media.national", outlet="新华网")],
        TOP30,
        {"sum": 16, "max": 8, "top_award": 30},
    ),
    (
        "the bulletin named or not: one outlet (only media and outside adopters count by name)",
        [A("office.bulletin", outlet="《质监信息》"), A("office.bulletin", issue="第5期")],
        TOP30,
        {"sum": 12, "max": 6, "top_award": 6},
    ),
    (
        "the same bulletin in two issues: one outlet",
        [A("office.bulletin", issue="第3期"), A("office.bulletin", issue="第5期")],
        TOP30,
        {"sum": 12, "max": 6, "top_award": 6},
    ),
    (
        "adopted by the region with the region's instruction: the instruction is added",
        [A("adopted.region"), A("instruction.region")],
        TOP30,
        {"sum": 25, "max": 25, "top_award": 25},
    ),
    (
        "two outlets and an instruction: top award + instruction",
        [A("adopted.region"), A("adopted.ministry"), A("instruction.bureau")],
        TOP30,
        {"sum": 28, "max": 18, "top_award": 38},
    ),
]


@pytest.mark.parametrize(("name", "adoptions", "table", "expected"), CASES, ids=[c[0] for c in CASES])
def test_item_points_by_rule(
    name: str, adoptions: list[AdoptionValue], table: ScoreSettings, expected: dict[str, float]
) -> None:
    got = {rule: item_score(adoptions, replace(table, multiple=rule)).points for rule in expected}  # type: ignore[arg-type]
    assert got == expected, name


def test_rewards_follow_the_same_rule() -> None:
    table = replace(
        DEFAULT, rewards={"adopted.central": 500.0, "office.bulletin": 100.0, "instruction.bureau": 50.0}
    )
    two = [A("office.bulletin"), A("adopted.central"), A("instruction.bureau")]
    assert item_score(two, replace(table, multiple="top_award")).reward == 550
    assert item_score(two, replace(table, multiple="sum")).reward == 650
    assert item_score([A("office.bulletin")], table).reward == 100
    assert item_score([A("media.local")], table).reward == 0


def test_explanation_names_every_adoption_and_the_rule() -> None:
    s = item_score([A("office.bulletin", issue="2026年第3期"), A("adopted.central")], TOP30)
    assert s.explanation == "《质监信息》 2026年第3期 6分；中办、国办采用 20分（2家采用，按奖励上限 30分）"
    assert item_score([A("office.special")], DEFAULT).explanation == "信息专报 8分"


def test_unit_score_adds_reports_and_penalties() -> None:
    table = replace(DEFAULT, per_report=0.5, urgent_late=-2.0, request_answered=2.0, request_missed=-3.0)
    items = [("JB-2026-000001", ItemScore(26.0, 0.0, "x")), ("JB-2026-000002", ItemScore(8.0, 100.0, "y"))]
    tally = Tally(reports=10, urgent_late=2, requests_answered=1, requests_missed=1)
    s = score(items, tally, table)
    # 26 + 8 + 10 × 0.5 − 2 × 2 + 1 × 2 − 1 × 3 = 34
    assert (s.total, s.adoption_points, s.reward) == (34.0, 34.0, 100.0)
    assert s.parts[0] == "JB-2026-000001：x，计 26分"
    assert "紧急信息超时 2件 × -2分 = -4分" in s.parts
    assert score([], Tally(), table).total == 0


def test_vocabulary_reads_the_office_words() -> None:
    assert parse_outlet("信息专报").key == "office.special"
    assert parse_outlet("《质监信息》").key == "office.bulletin"
    assert parse_outlet("中办").key == "adopted.central"
    assert parse_outlet("adopted", "region").key == "adopted.region"
    assert parse_outlet("media.local").key == "media.local"
    assert parse_outlet("媒体刊载", "national").key == "media.national"
    assert parse_outlet("领导批示", "区局领导批示").key == "instruction.bureau"
    assert parse_outlet("被自治区党委、政府采用").key == "adopted.region"
    with pytest.raises(ValueError, match="unknown level of adopted"):
        parse_outlet("adopted", "moon")
    with pytest.raises(ValueError, match="names no adoption kind"):
        parse_outlet("天气")
    assert parse_issue("信息专报 2026 年第 12 期") == "2026年第12期"
    assert parse_issue("第07期") == "第7期" and parse_issue("无期号") is None
    assert set(EXAMPLE_POINTS) == set(ALL_KEYS), "the example table prices every kind.level"


def test_scores_configuration() -> None:
    cfg = build_config(
        {"scores": {"multiple": "sum", "top_award": 25, "points": {"office.bulletin": 7}}}, env={}
    )
    assert cfg.scores.multiple == "sum" and cfg.scores.top_award == 25
    assert cfg.scores.points["office.bulletin"] == 7 and cfg.scores.points["adopted.central"] == 20
    assert build_config({}, env={}).scores.top_award is None
    with pytest.raises(ConfigError, match=r"scores\.points\.office\.moon: unknown adoption kind\.level"):
        build_config({"scores": {"points": {"office.moon": 1}}}, env={})
    with pytest.raises(ConfigError, match=r"scores\.multiple: must be one of sum, max, top_award"):
        build_config({"scores": {"multiple": "avg"}}, env={})
    with pytest.raises(ConfigError, match=r"notices\.subject: must contain"):
        build_config({"notices": {"subject": "通报"}}, env={})
    with pytest.raises(ConfigError, match=r"notices\.schedule: not a crontab"):
        build_config({"notices": {"schedule": "soon"}}, env={})
