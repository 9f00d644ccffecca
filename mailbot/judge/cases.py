"""Urgent cases and their follow-ups (续报): the pure parts — matching a report to a case."""

from __future__ import annotations

import re

_MARKERS = re.compile(
    r"【[^】]{0,8}】|\[[^\]]{0,8}\]|（[^）]{0,6}续报[^）]{0,6}）|\([^)]{0,6}续报[^)]{0,6}\)"
    r"|^(re|fw|fwd|回复|答复|转发)\s*[:：]\s*"
    r"|第[一二三四五六七八九十\d]+次|的?(续报|终报|结报|进展情况|最新进展|情况报告|报告)|关于|紧急|特急|突发|信息",
    re.IGNORECASE,
)
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def core_subject(subject: str) -> str:
    """The subject without markers such as 【续报】, Re:, 第二次, 关于 … 的报告."""
    previous = None
    text = subject.strip()
    while previous != text:
        previous = text
        text = _MARKERS.sub("", text).strip()
    return _NOISE.sub("", text)


def _bigrams(text: str) -> set[str]:
    text = _NOISE.sub("", text)
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (robust for Chinese, which has no spaces)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return len(x & y) / len(x | y)


def matter_similarity(subject_a: str, body_a: str, subject_b: str, body_b: str) -> float:
    """How likely two reports are about the same matter: subjects first, the opening of the bodies next."""
    subj = similarity(core_subject(subject_a), core_subject(subject_b))
    body = similarity(body_a[:300], body_b[:300])
    return max(subj, 0.6 * subj + 0.4 * body, body * 0.8)


def tracking_numbers_in(text: str, prefix: str) -> list[str]:
    return re.findall(rf"\b{re.escape(prefix)}-\d{{4}}-\d{{6}}\b", text)
