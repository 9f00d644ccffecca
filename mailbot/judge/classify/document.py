"""The document model the rules read: subject, lead and body normalised, sentences, and the
"live" matches of a pattern (not negated, not in a routine context, not inside a 《title》).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailbot.judge.classify.patterns import _Compiled, _fold
from mailbot.judge.hanzi import simplified, without_pinyin


@dataclass(frozen=True)
class Hit:
    """One fired rule: its stable name, what it matched, and its weight in the urgency score."""

    rule: str
    text: str
    weight: float = 0.0

    @property
    def reason(self) -> str:
        return f"{self.rule}:{self.text}"


_QUOTE_START = re.compile(
    r"^(?:-{2,}\s*(?:原始邮件|Original Message|转发邮件|Forwarded message)|>|在\s?.{0,60}写道[:：]|On .{0,80}wrote:"
    r"|发件人[:：]|From:\s)",
    re.I | re.M,
)


_WRAP_END = re.compile(r"[\u4e00-\u9fff,、]")


_SENTENCE = re.compile(r"[^。！!？?；;\n]+")


_MAX_CHARS = 200_000  # the rules read this much of the body and of the attachments' text

_LONG_SENTENCE = 200  # a "sentence" longer than this is cut at its commas
_RUN_ON = 60  # ... or this, in a text without any 。


_COMMA_PIECE = re.compile(r"[^，,]{1,60}(?:[，,]|$)|[^，,]{61,}(?:[，,]|$)")


# a news dateline or byline before the account: 新华社乌鲁木齐1月3日电, 本报讯（记者 …）, 【财新网】
_DATELINE = re.compile(
    r"^\s*(?:【[^】\n]{1,20}】|\[[^\]\n]{1,20}\])?\s*(?:\([^)\n]{0,20}\)\s*)?"
    r"(?:本报讯|本报[^，,。\n]{0,10}讯|[^，,。\s]{1,16}?(?:社|网|报|台|日报|晚报)[^，,。\s]{0,12}?"
    r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})日(?:电|讯))"
    r"\s*(?:\([^)\n]{0,30}\)|（[^）\n]{0,30}）)?\s*"
)


_MEANINGFUL = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")


_NOT_MEANINGFUL = re.compile(r"[^\u4e00-\u9fffA-Za-z0-9]+")


_MAIL_TEST = re.compile(
    r"(?:邮件|邮箱|收发)[^，。,\n]{0,8}测试|测试[^，。,\n]{0,4}(?:邮件|邮箱)|\btest\b", re.I
)


_SALUTATION = re.compile(r"^.{0,20}[:：]$|^(?:您好|你好|各位领导|领导好)")


@dataclass(frozen=True)
class _Doc:
    subject: str
    title: str  # subject plus the attachment's title line when the body only points to it
    own: str  # the sender's own body text, without quoted text
    body: str  # ``own``, then attachment text
    lead: str  # the first sentences of the report
    first: str  # the first sentence of the report
    sentences: tuple[str, ...]  # the report's sentences (body, attachments); the title is index 0
    lead_count: int  # how many of ``sentences`` (after the title) form the lead
    body_size: int  # meaningful characters of the own body (not quoted, no attachments)
    headers: Mapping[str, str]
    attachment_names: tuple[str, ...]
    attachment_types: tuple[str, ...]
    attachments_text: str
    dsn_recipients: tuple[str, ...]
    joined: str  # ``sentences`` joined by newlines: patterns run once over it
    starts: tuple[int, ...]  # offset of each sentence in ``joined``
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


def _norm(text: str) -> str:
    """Fold full-width forms, traditional characters and pinyin glosses (:mod:`mailbot.judge.hanzi`), and
    re-join Chinese lines that a mail client hard-wrapped."""
    lines = simplified(without_pinyin(_fold(text))).replace("\r\n", "\n").split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        prev, cur = out[-1].rstrip(" \t"), line.lstrip(" \t")
        if prev and cur and _WRAP_END.match(prev[-1]) and _WRAP_END.match(cur[0]):
            out[-1] = prev + cur
        else:
            out.append(line)
    return "\n".join(out)


def _meaningful(text: str) -> int:
    return len(_NOT_MEANINGFUL.sub("", text))


def _sentences(text: str) -> list[str]:
    """Sentences at 。！？； and line ends; a run-on one (a text without 。) cut into comma pieces."""
    out: list[str] = []
    longest = _LONG_SENTENCE if "。" in text else _RUN_ON  # no 。 at all: commas end the clauses
    for s in _SENTENCE.findall(text):
        s = s.strip()
        if len(s) <= longest:
            out.append(s)
            continue
        piece = ""
        parts = (
            p[k : k + _LONG_SENTENCE]
            for p in _COMMA_PIECE.findall(s)
            for k in range(0, len(p), _LONG_SENTENCE)
        )
        for part in parts:
            if piece and len(piece) + len(part) > 60:
                out.append(piece.rstrip("，,"))
                piece = ""
            piece += part
        if piece:
            out.append(piece.rstrip("，,"))
    return out


def _prepare(
    subject: str,
    body: str,
    headers: Mapping[str, str] | None,
    attachments_text: str,
    attachment_names: Sequence[str],
    attachment_types: Sequence[str],
    dsn_recipients: Sequence[str],
    lead_chars: int,
) -> _Doc:
    subject = " ".join(_norm(subject[:_MAX_CHARS]).split())
    own = _norm(body[:_MAX_CHARS])
    quoted = _QUOTE_START.search(own)
    if quoted:
        own = own[: quoted.start()]
    att = _norm(attachments_text[:_MAX_CHARS])
    body_size = _meaningful(own)
    title = subject
    if body_size < 40 and att.strip():
        first = att.strip().split("\n", 1)[0].strip()
        if len(first) <= 60 and "。" not in first:
            title = f"{subject} {first}".strip()
    sentences = _sentences(_DATELINE.sub("", own, count=1))
    sentences = [s for s in sentences if _MEANINGFUL.search(s) and not _SALUTATION.search(s)]
    att_sentences = [s for s in _sentences(att) if _MEANINGFUL.search(s)]
    report = sentences if body_size >= 40 or not att_sentences else att_sentences
    lead_count, size = 0, 0
    for s in report:
        if size >= lead_chars:
            break
        lead_count += 1
        size += len(s)
    all_sentences = att_sentences + sentences if report is att_sentences else sentences + att_sentences
    sentences_all = (title, *all_sentences)
    starts, offset = [], 0
    for sentence in sentences_all:
        starts.append(offset)
        offset += len(sentence) + 1
    return _Doc(
        subject=subject,
        title=title,
        own=own,
        body="\n".join((own, att)),
        lead="。".join(report[:lead_count]),
        first=report[0] if report else "",
        sentences=sentences_all,
        lead_count=lead_count,
        body_size=body_size,
        headers={k.lower(): _fold(v) for k, v in (headers or {}).items()},
        attachment_names=tuple(_fold(a) for a in attachment_names),
        attachment_types=tuple(t.lower() for t in attachment_types),
        attachments_text=att,
        dsn_recipients=tuple(dsn_recipients),
        joined="\n".join(sentences_all),
        starts=tuple(starts),
    )


Rule = Callable[[_Doc, _Compiled], list[Hit]]


def _first(rule: str, pattern: re.Pattern[str], *texts: str, weight: float = 0.0) -> list[Hit]:
    for text in texts:
        m = pattern.search(text)
        if m:
            return [Hit(rule, m.group(0), weight)]
    return []


def _where(doc: _Doc, index: int) -> str:
    return "title" if index == 0 else ("lead" if index <= doc.lead_count else "body")


_CLAUSE = re.compile(r"[，,、]")


_COMMA = re.compile(r"[，,]")


_LIST_NEGATION = re.compile(r"(?:未|没有|无|杜绝)(?:发生|出现)[^，,。;；]*?(?:和|及|或|、)")


def _live_matches(
    doc: _Doc, c: _Compiled, pattern: re.Pattern[str]
) -> tuple[list[tuple[int, re.Match[str]]], list[Hit]]:
    """Matches of ``pattern`` per sentence that no context cancels, and the contexts that cancelled.

    A match is cancelled by a negation just before it in its clause (未发生, 防止…) or by a routine
    context anywhere in its sentence (演练, 培训, 同比, 一旦, 外省 …).  Memoised per mail.
    """
    cached = doc.memo.get(pattern.pattern)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    live: list[tuple[int, re.Match[str]]] = []
    cancels: list[Hit] = []
    contexts: dict[int, re.Match[str] | None] = doc.memo.setdefault("", {})
    for m in pattern.finditer(doc.joined):
        i = bisect.bisect_right(doc.starts, m.start()) - 1
        start = doc.starts[i]
        before = _CLAUSE.split(doc.joined[max(start, m.start() - 8) : m.start()])[-1]
        negated = c.negation.search(before) if before else None
        if not negated:  # 未发生特种设备事故和质量安全突发事件: the negation covers the whole list
            wide = _COMMA.split(doc.joined[max(start, m.start() - 30) : m.start()])[-1]
            negated = _LIST_NEGATION.search(wide)
        if negated:
            cancels.append(Hit("negation", negated.group(0) + m.group(0)))
            continue
        opened = doc.joined.rfind("《", start, m.start())
        if opened >= 0 and doc.joined.find("》", opened, m.start()) < 0:
            cancels.append(Hit("routine_context", "《》"))  # a title: a standard, a film, a rule
            continue
        if doc.joined.startswith("时", m.end()):
            cancels.append(Hit("routine_context", m.group(0) + "时"))  # 发生事故时: a condition
            continue
        if i not in contexts:
            contexts[i] = c.sentence_context.search(doc.sentences[i])
        context = contexts[i]
        if context:
            cancels.append(Hit("routine_context", context.group(0)))
            continue
        live.append((i, m))
    doc.memo[pattern.pattern] = (live, cancels)
    return live, cancels


def _show(m: re.Match[str], c: _Compiled) -> str:
    """An incident hit as ``head…tail`` (发生…爆炸, 锅炉…爆炸) so the reason is stable across texts."""
    text = m.group(0)
    head, tail = c.incident_head.search(text), c.incident_tail.search(text)
    if head and tail and head.end() <= tail.start():
        return f"{head.group(0)}…{tail.group(0)}"
    return text[:24]


def _dedupe(hits: Iterable[Hit]) -> list[Hit]:
    """One hit per reason, in first-seen order, keeping the strongest weight."""
    out: dict[str, Hit] = {}
    for h in hits:
        prev = out.get(h.reason)
        if prev is None or abs(h.weight) > abs(prev.weight):
            out[h.reason] = h
    return list(out.values())
