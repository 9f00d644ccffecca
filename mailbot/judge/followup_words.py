"""The follow-up (续报) vocabulary that the classifier and the time extractor share.

A news follow-up rarely says 续报: its headline names the new development of an event already
reported (责任人被刑拘, 原因查明, 调查报告公布, 伤者病情平稳, 死亡人数升至…). The classifier
(:func:`mailbot.judge.classify._news_followup`) reads such a headline about an incident as a follow-up,
and the time extractor (:data:`mailbot.judge.timephrase.scoring._FOLLOWUP_RE`) then takes the time of
the development, not of the original event. One pattern, so that both agree on what a follow-up is.

Pure data: regular-expression sources, compiled where they are used.
"""

from __future__ import annotations

__all__ = ["NEWS_DEVELOPMENT"]

# What happened after the event, as a headline names it. Bare 平稳 (安全形势平稳) and bare 升至 (升降机
# 升至100米处) are not developments; 名单 and 处分 alone name routine publications.
NEWS_DEVELOPMENT = (
    r"后续|事件续|(?<![继持陆连])续(?=[:：\s]|$)"
    # the people responsible
    r"|刑拘|被拘|拘留|被控制|批捕|获刑|判刑|宣判|一审|被判(?![定断])|被处分|人被?问责|追责|被免(?![费检税责])|停职"
    # the cause and the investigation
    r"|原因(?:已经?|初步|基本)?查明|元凶|调查结果|调查报告|调查出炉|报告出炉|告破"
    # the injured and the dead
    r"|(?:情况|病情|伤情)[^，,。\n]{0,2}(?:好转|稳定)|(?:伤员|伤者|患者|病情|生命体征)[^，,。\n]{0,4}平稳"
    r"|脱离(?:生命)?危险|仍未脱险|无生命危险|無生命危險|出院|转出ICU|转入普通病房|身份(?:已)?确认|死伤者名单"
    r"|(?:死亡|遇难|伤亡|中毒|受伤)(?:人数)?[^，,。\n]{0,4}?(?:增|升)(?:至|加|到)"
    r"|(?:增|升)至\s*[\d一二三四五六七八九十百]+\s*(?:人|名)?(?:死亡|遇难|受伤|死)"
    # what is done afterwards
    r"|善后|获赔|赔偿|复课|复产|搜救结束|已全?部?销毁"
)
