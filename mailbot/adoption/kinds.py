"""Where an item was used: kinds (采用方式) and their levels, with the office's words for them. Pure.

An adoption is named ``kind.level`` (``adopted.central``: adopted by 中办/国办); that name is the key of
the score table (``[scores.points]``) and of the reward table. This module is the one place the
vocabulary lives; the configuration is checked against it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS: dict[str, str] = {
    "office": "区局采用",
    "upward": "上报",
    "adopted": "上级采用",
    "media": "媒体刊载",
    "instruction": "领导批示",
}

LEVELS: dict[str, dict[str, str]] = {
    "office": {"bulletin": "《质监信息》", "special": "信息专报", "brief": "简报"},
    "upward": {
        "region": "报自治区党委、政府",
        "ministry": "报国家市场监管总局",
        "other": "报其他部门",
    },
    "adopted": {
        "central": "中办、国办采用",
        "ministry": "总局（部委）采用",
        "region": "自治区党委、政府采用",
        "other": "其他单位采用",
    },
    "media": {"national": "中央媒体", "region": "自治区媒体", "local": "地州媒体"},
    "instruction": {
        "central": "中央领导批示",
        "region": "自治区领导批示",
        "ministry": "总局领导批示",
        "bureau": "区局领导批示",
    },
}

ALL_KEYS: tuple[str, ...] = tuple(f"{k}.{lv}" for k, levels in LEVELS.items() for lv in levels)

# The office's words (spreadsheet cells, the mail command) → kind.level; longest match wins.
_WORDS: dict[str, str] = {
    "质监信息": "office.bulletin",
    "《质监信息》": "office.bulletin",
    "区局简报": "office.brief",
    "简报": "office.brief",
    "信息专报": "office.special",
    "专报": "office.special",
    "中办": "adopted.central",
    "国办": "adopted.central",
    "中办国办": "adopted.central",
    "中办、国办": "adopted.central",
    "中共中央办公厅": "adopted.central",
    "国务院办公厅": "adopted.central",
    "总局": "adopted.ministry",
    "市场监管总局": "adopted.ministry",
    "国家市场监管总局": "adopted.ministry",
    "质检总局": "adopted.ministry",
    "国家质检总局": "adopted.ministry",
    "自治区党委": "adopted.region",
    "自治区政府": "adopted.region",
    "自治区党委政府": "adopted.region",
    "自治区党委、政府": "adopted.region",
    "报自治区": "upward.region",
    "报总局": "upward.ministry",
    "中央媒体": "media.national",
    "自治区媒体": "media.region",
    "地州媒体": "media.local",
    "中央领导批示": "instruction.central",
    "自治区领导批示": "instruction.region",
    "总局领导批示": "instruction.ministry",
    "区局领导批示": "instruction.bureau",
}
for _key in ALL_KEYS:
    _k, _lv = _key.split(".")
    _WORDS.setdefault(LEVELS[_k][_lv], _key)
    _WORDS.setdefault(_key, _key)

_KIND_NAMES = {name: key for key, name in KINDS.items()}
_ISSUE = re.compile(r"(\d{4})\s*年\s*第\s*(\d{1,4})\s*期|第\s*(\d{1,4})\s*期")


@dataclass(frozen=True)
class Outlet:
    kind: str
    level: str

    @property
    def key(self) -> str:
        return f"{self.kind}.{self.level}"

    @property
    def label(self) -> str:
        return LEVELS[self.kind][self.level]


def label(key: str) -> str:
    kind, _, level = key.partition(".")
    return LEVELS.get(kind, {}).get(level, key)


def parse_outlet(kind: str, level: str | None = None) -> Outlet:
    """``adopted`` + ``central``, ``adopted.central``, or the office's words (信息专报, 中办 …) → an outlet.

    Raises ValueError naming the choices when nothing fits."""
    text = re.sub(r"[\s\u3000]+", "", kind or "")
    if level:
        k = _KIND_NAMES.get(text, text)
        lv = re.sub(r"[\s\u3000]+", "", level)
        lv = next((key for key, name in LEVELS.get(k, {}).items() if lv in (name, key)), lv)
        text = f"{k}.{lv}"
    key = _WORDS.get(text) or _WORDS.get(text.lower())
    if key is None and "." not in text:
        key = next((k for w, k in sorted(_WORDS.items(), key=lambda x: -len(x[0])) if w in text), None)
    if key is None:
        if text.partition(".")[0] in KINDS:
            k = text.partition(".")[0]
            raise ValueError(f"{text!r}: unknown level of {k}; use one of {', '.join(LEVELS[k])}")
        raise ValueError(
            f"{kind!r} names no adoption kind; use kind.level ({', '.join(ALL_KEYS)}) or 信息专报, 中办 …"
        )
    k, _, lv = key.partition(".")
    return Outlet(k, lv)


def parse_issue(text: str) -> str | None:
    """``2026年第12期`` (also ``2026 年 第 12 期``, ``第12期``) in ``text`` → ``2026年第12期`` / ``第12期``."""
    m = _ISSUE.search(text or "")
    if m is None:
        return None
    if m.group(1):
        return f"{m.group(1)}年第{int(m.group(2))}期"
    return f"第{int(m.group(3))}期"
