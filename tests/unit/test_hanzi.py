"""Traditional characters and pinyin glosses are read as the simplified text they stand for (issue #12)."""

from __future__ import annotations

from mailbot.judge.classify import classify_text
from mailbot.judge.hanzi import simplified, without_pinyin


def test_simplified_keeps_the_length_and_maps_one_for_one() -> None:
    text = "國務院督查組抵達現場，發生爆炸事故"
    out = simplified(text)
    assert out == "国务院督查组抵达现场，发生爆炸事故"
    assert len(out) == len(text)
    assert simplified("发生爆炸") == "发生爆炸"  # simplified text is left alone


def test_pinyin_glosses_of_mirror_sites_are_dropped_but_not_other_brackets() -> None:
    assert without_pinyin("國(guó)務(wù)院食安委對(duì)浙江") == "國務院食安委對浙江"
    assert without_pinyin("昨日（14日）上午") == "昨日（14日）上午"
    assert without_pinyin("检测(PM2.5)超标") == "检测(PM2.5)超标"


def test_the_rules_read_a_traditional_incident_as_its_simplified_twin() -> None:
    trad = classify_text(
        "某商場電梯發生故障 3名群眾被困", "11月25日14時30分，某商場一部電梯發生故障，造成3名群眾被困。"
    )
    simp = classify_text(
        "某商场电梯发生故障 3名群众被困", "11月25日14时30分，某商场一部电梯发生故障，造成3名群众被困。"
    )
    assert trad.category == simp.category
    assert trad.score == simp.score > 0
    names = {r.partition(":")[0] for r in trad.reasons}
    assert {"incident_language", "casualty"} <= names


def test_a_national_team_with_pinyin_glosses_is_important_work() -> None:
    c = classify_text(
        "國(guó)務(wù)院食安委對(duì)浙江省開展食品安全督查",
        "9月2日至4日,國(guó)務(wù)院食品安全委員會(huì)第四督查組抵浙開展為期3天的食品安全工作實(shí)地督查。",
    )
    assert any(r.startswith("important_work:") for r in c.reasons), c.reasons
