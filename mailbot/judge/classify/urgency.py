"""Urgency evidence: scored rules whose weights add up to the urgency score (incident language,
casualties, response, public opinion, important work, major cases …) and the routine context against it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

from mailbot.judge.classify.document import Hit, Rule, _dedupe, _Doc, _first, _live_matches, _show, _where
from mailbot.judge.classify.patterns import _Compiled


def _subject_marker(doc: _Doc, c: _Compiled) -> list[Hit]:
    return _first("subject_marker", c.marker, doc.subject, weight=c.rules.weight_subject_marker)


def _priority_headers(doc: _Doc, c: _Compiled) -> list[Hit]:
    h, w = doc.headers, c.rules.weight_header
    hits: list[Hit] = []
    prio = h.get("x-priority", "").strip()
    if prio[:1] in ("1", "2"):
        hits.append(Hit("header", f"X-Priority={prio[:1]}", w))
    for name, values in (
        ("importance", ("high",)),
        ("priority", ("urgent",)),
        ("x-msmail-priority", ("high",)),
    ):
        value = h.get(name, "").strip().lower()
        if value in values:
            hits.append(Hit("header", f"{name.title()}={value}", w))
    total = 0.0
    capped: list[Hit] = []
    for hit in hits:
        weight = max(0.0, min(hit.weight, c.rules.weight_header_max - total))
        total += weight
        capped.append(Hit(hit.rule, hit.text, weight))
    return capped


def _incident_language(doc: _Doc, c: _Compiled) -> list[Hit]:
    r = c.rules
    live, cancels = _live_matches(doc, c, c.incident)
    hits: list[Hit] = []
    seen: set[str] = set()
    extra = 0.0
    for i, m in live:
        text = _show(m, c)
        if text in seen:
            continue
        seen.add(text)
        if not hits:
            where = _where(doc, i)
            weight = {"title": r.weight_incident_subject, "lead": r.weight_incident_lead}.get(
                where, r.weight_incident_body
            )
            hits.append(Hit("incident_language", text, weight))
        else:
            w = max(0.0, min(r.weight_incident_extra, r.weight_incident_extra_max - extra))
            extra += w
            hits.append(Hit("incident_language", text, w))
    return hits + _dedupe(cancels)


def _incident_time(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A concrete time (5月3日14时, 今日上午 …) in a sentence of the body that tells of an incident."""
    for pattern in (c.incident, c.casualty):
        live, _ = _live_matches(doc, c, pattern)
        for i, _m in live:
            t = c.time.search(doc.sentences[i]) if i > 0 else None
            if t:
                return [Hit("incident_time", t.group(0), c.rules.weight_incident_time)]
    return []


def _casualty(doc: _Doc, c: _Compiled) -> list[Hit]:
    live, _ = _live_matches(doc, c, c.casualty)
    if not live:
        return []
    i, m = live[0]
    return [Hit("casualty", m.group(0), c.rules.weight_casualty_title if i == 0 else c.rules.weight_casualty)]


def _response(doc: _Doc, c: _Compiled) -> list[Hit]:
    live, _ = _live_matches(doc, c, c.response)
    return _capped("response", (m for _, m in live), c.rules.weight_response, c.rules.weight_response_max)


def _public_opinion(doc: _Doc, c: _Compiled) -> list[Hit]:
    """Media exposure, online opinion, crowds: the first sign counts fully, further distinct ones a little."""
    r = c.rules
    live, _ = _live_matches(doc, c, c.public_opinion)
    if not live:
        return []
    i, first = live[0]
    hits = [
        Hit(
            "public_opinion",
            first.group(0),
            r.weight_public_opinion_title if i == 0 else r.weight_public_opinion,
        )
    ]
    extra = _capped(
        "public_opinion",
        (m for _, m in live if m.group(0) != hits[0].text),
        r.weight_public_opinion_extra,
        max(0.0, r.weight_public_opinion_max - hits[0].weight),
    )
    return hits + extra


def _major_event(doc: _Doc, c: _Compiled) -> list[Hit]:
    live, _ = _live_matches(doc, c, c.major_event)
    return [Hit("major_event", live[0][1].group(0), c.rules.weight_major_event)] if live else []


def _important_work(doc: _Doc, c: _Compiled) -> list[Hit]:
    r = c.rules
    top = f"{doc.title}\n{doc.lead}"
    m = c.leader.search(top)
    if m:
        return [Hit("important_work", m.group(0)[:30], r.weight_important_work)]
    m = c.leader.search(doc.body)
    if m:
        return [Hit("important_work", m.group(0)[:30], r.weight_important_work_body)]
    return _first("important_work", c.regional_leader, top, weight=r.weight_regional_leader)


def _capped(rule: str, matches: Iterable[re.Match[str]], weight: float, cap: float) -> list[Hit]:
    hits: list[Hit] = []
    total = 0.0
    for m in matches:
        if any(h.text == m.group(0) for h in hits):
            continue
        w = max(0.0, min(weight, cap - total))
        total += w
        hits.append(Hit(rule, m.group(0), w))
    return hits


def _major_case(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A major enforcement case (窝点, 犯罪嫌疑人, 最大一起 …) is an important work development."""
    live, _ = _live_matches(doc, c, c.major_case)
    return _capped(
        "major_case", (m for _, m in live), c.rules.weight_major_case, c.rules.weight_major_case_max
    )


_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)(?:余|多)?(万|亿)元|(百万|千万|亿)元")


_AMOUNT_UNITS = {"万": 1.0, "亿": 10000.0, "百万": 100.0, "千万": 1000.0}


def _case_scale(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A large case (涉案金额达300余万元, 货值约1200万元, 特大假冒…案) is an important work development.

    Sums over many cases (共计, 累计 …, or statistics before the amount in its sentence) do not count.
    """
    r = c.rules
    for m in c.case_amount.finditer(doc.joined):
        i = bisect.bisect_right(doc.starts, m.start()) - 1
        if c.sentence_context.search(doc.joined, doc.starts[i], m.start()):
            continue  # 全年共查处…23起，涉案金额…: a total; "…，是近年来最大一起" after it is not
        text = m.group(0)
        if any(t in text for t in r.case_amount_totals):
            continue
        a = _AMOUNT.search(text)
        if a is None:
            continue
        value = float(a.group(1)) * _AMOUNT_UNITS[a.group(2)] if a.group(1) else _AMOUNT_UNITS[a.group(3)]
        if value >= r.major_case_amount:
            return [Hit("major_case", text, r.weight_major_scale)]
    live, _ = _live_matches(doc, c, c.case_scale)
    return [Hit("major_case", live[0][1].group(0), r.weight_major_scale)] if live else []


def _marker_narrative(doc: _Doc, c: _Compiled) -> list[Hit]:
    """An urgency marker in the subject and a dated account in the lead (今天上午9时30分，…).

    The marker alone is weak (a circular may carry 【紧急】); together with an account of what happened
    at a concrete time it reaches the threshold unless the topic is routine work.
    """
    if not c.marker.search(doc.subject):
        return []
    for i in range(1, doc.lead_count + 1):
        if i >= len(doc.sentences):
            break
        sentence = doc.sentences[i]
        t = c.time.search(sentence)
        if t and not c.sentence_context.search(sentence):
            return [Hit("marker_narrative", t.group(0), c.rules.weight_marker_narrative)]
    return []


def _spread(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A problem product already sold or on the market: a quality-safety risk that is happening."""
    live, _ = _live_matches(doc, c, c.spread)
    return _capped("spread", (m for _, m in live), c.rules.weight_spread, c.rules.weight_spread_max)


def _no_casualty(doc: _Doc, c: _Compiled) -> list[Hit]:
    return _first("negation", c.no_casualty, doc.body, weight=c.rules.weight_no_casualty)


def _topic_context(doc: _Doc, c: _Compiled) -> list[Hit]:
    """Routine work as the topic of the report: the title and the lead say what the mail is about."""
    r = c.rules
    topic = f"{doc.title}\n{doc.first}"
    hits: list[Hit] = []
    for pattern, weight in (
        (c.drill, r.weight_drill),
        (c.training, r.weight_training),
        (c.meeting, r.weight_meeting),
        (c.plan, r.weight_plan),
        (c.inspection, r.weight_inspection),
        (c.summary, r.weight_summary),
        (c.publicity_ctx, r.weight_publicity),
        (c.document, r.weight_document),
        (c.enforcement, r.weight_enforcement),
    ):
        hits += _first("routine_context", pattern, topic, weight=weight)
    hits += _first("routine_context", c.warning, f"{doc.title}\n{doc.lead}", weight=r.weight_warning)
    event = any(_live_matches(doc, c, p)[0] for p in (c.public_opinion, c.incident))
    if event and any(i == 0 for i, _ in _live_matches(doc, c, c.response)[0]):
        # 召开紧急会议 after an exposure: a crisis response in the subject, not routine work
        hits = [h for h in hits if not c.meeting.search(h.text)]
    else:
        hits += _first("routine_topic", c.routine_topic, doc.subject, weight=r.weight_routine_topic)
    return hits


def _statistics_summary(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A whole text of figures (a holiday period's count of entrapments, 同比, 累计 …) is a summary."""
    found = {m.group(0) for m in c.statistics.finditer(doc.joined, 0, 4000)}
    if len(found) < c.rules.statistics_summary_min:
        return []
    return [Hit("statistics_summary", "、".join(sorted(found)[:4]), c.rules.weight_statistics_summary)]


def _extra_patterns(doc: _Doc, c: _Compiled) -> list[Hit]:
    text = f"{doc.subject}\n{doc.body}"
    hits: list[Hit] = []
    for patterns, rule, weight in (
        (c.extra_urgent, "extra_urgent", c.rules.weight_extra_urgent),
        (c.extra_routine, "extra_routine", c.rules.weight_extra_routine),
    ):
        for p in patterns:
            hits += _first(rule, p, text, weight=weight)
    return hits


URGENCY_RULES: tuple[Rule, ...] = (
    _subject_marker,
    _priority_headers,
    _incident_language,
    _incident_time,
    _casualty,
    _response,
    _public_opinion,
    _major_event,
    _important_work,
    _major_case,
    _case_scale,
    _marker_narrative,
    _spread,
    _no_casualty,
    _topic_context,
    _statistics_summary,
    _extra_patterns,
)
