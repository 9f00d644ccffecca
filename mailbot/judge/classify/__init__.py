"""Classify an incoming mail: a table of small named rules, then a chain that decides.

Each rule answers one question about the mail and returns :class:`Hit` values (a stable rule name,
the text it matched and a weight).  Every fired rule is kept in
:attr:`~mailbot.model.Classification.reasons` as ``"name:matched text"`` so the office can see why.

The chain (:data:`CHAIN`, data, tried in order; the first gate whose rule fires decides):

==================  ===============================================================================
bounce              ``bounce_header`` (multipart/report; delivery-status, DSN part, dsn_recipients),
                    ``bounce_sender`` (MAILER-DAEMON@, postmaster@), ``bounce_subject`` (退信 …)
auto_reply          ``auto_reply_header`` (Auto-Submitted ≠ no, X-Autoreply, X-Autorespond,
                    X-Auto-Response-Suppress OOF/All, Precedence auto_reply), ``auto_reply_subject``
other               ``document_request`` (short note asking for a file, 附件打不开)
registration        ``registration`` / ``registration_attachment`` (联络员登记表, 变更联络员, 联络员名单;
                    a subject 报送…联络员)
publicity_request   ``publicity_request`` / ``publicity_request_attachment`` (宣传报道申报单 …)
other               ``no_content``, ``test_mail``, ``thanks``, ``mailbox_notice``, ``circular``
                    (各单位：…通知), ``correspondence`` (a short second-person note: 老师/您/请问/谢谢;
                    also a short note whose subject is a question, 请问…？, even if it names 续报, or
                    names a 疑问/咨询：, or a 回复：… that asks one), ``thanks`` (also a letter whose
                    subject is 感谢信/致…的感谢信/感谢…), ``request`` (a 请示 or request to the office:
                    申请延期报送, 请予批准, 恳请, 妥否，请批示) — none of them with a live incident
followup            ``followup_marker`` (续报, 终报, 结报, 第N次报告, 现将…续报如下, 现将…最新进展,
                    继/在…首报后)
research            ``research_marker`` (调研报告, 调查与思考, 关于…的调研, 状况分析及提升建议,
                    …分析报告 but not 统计分析报告 …)
followup            a weak marker in the subject (进展, 处置情况, 最新情况, 后续 …) about an incident or a
                    public-opinion event (曝光, 舆情) or a named case (…假冒化肥案的进展情况报告; not
                    方案/预案), unless the subject is a summary (总结, 全年)
followup            a news headline naming what happened after an incident (责任人被刑拘, 原因查明,
                    调查报告出炉, 伤者情况稳定, 死亡人数升至; :mod:`mailbot.judge.followup_words`, shared
                    with the time extractor) about an incident in the title or the lead
report kind         the n-gram model (:mod:`.textmodel`, ``model:``/``model_terms:`` reasons: its
                    strongest n-grams), see "The final call" below; without a model, or for a text
                    shorter than the model's ``min_chars``, the urgency score against
                    ``urgent_threshold`` (``threshold:`` reason) decides urgent/routine
==================  ===============================================================================

The final call (after the gates): a linear model over character 1–3-grams, trained offline by
``scripts/train_classifier.py`` on the real dev texts and the synthetic sets and shipped as
``weights.json``, picks urgent, routine, followup or research.  Its blend with the rules was chosen by
cross-validation on the dev texts: the rule score is not added linearly (that cost urgent recall on real
text), but a score at least ``rule_override_margin`` above the threshold, a decisive rule
(``decisive_rules``: 重要工作动态) reaching the threshold, or the office's own ``extra_*_patterns``
decide over the model.

Urgency rules (:data:`URGENCY_RULES`, weights in :class:`ClassifyRules`): ``subject_marker``
(【紧急】…), ``header`` (X-Priority 1/2, Importance high; weak, capped), ``incident_language``
(发生…爆炸, 锅炉…泄漏, 起火，…; more in the subject and first sentences), ``incident_time`` (a
concrete time in an incident sentence), ``casualty`` (造成2人受伤, 3名…被困), ``response``
(接报, 赶赴现场, 启动…应急预案), ``public_opinion`` (曝光, 舆情, 群众聚集), ``major_event``,
``important_work`` (national or regional leaders or a national 检查组/暗访组 visiting or arriving), ``major_case`` (窝点, 犯罪嫌疑人; and
strongly a case of at least ``major_case_amount`` 万元 or called 特大/最大一起 — sums such as 共计 or a
statistics sentence do not count), ``marker_narrative`` (a 【紧急】 marker plus a dated account in the
lead), ``spread`` (problem products already sold), and the negative ``negation`` (无人员伤亡 lowers the
score but does not erase the accident), ``routine_context`` (drill, training, meeting, plan,
inspection, summary, publicity, warning education, publishing a standard, a penalty — judged on the
subject and first sentence), ``routine_topic`` (召开/开展… in the subject) and the configurable
``extra_urgent`` / ``extra_routine`` patterns.

Urgency follows 新质监办发〔2012〕24号 三: 突发事件、重大事故、重要工作动态 *that have happened* are
紧急信息 (2-hour rule).  Words such as 事故 or 突发事件 are not enough: every incident, casualty
and response match is checked in its sentence and cancelled by a negation just before it (未发生,
防止, 确保不), by a routine context in the same sentence (演练, 培训, 同比, 共发生, 35起, 一旦,
教训, 能力, 上月/去年 as background, 明确了 for a document's content …), inside a 《title》, or as a
condition (发生事故时).  Generic terms (事故隐患, 突发事件信息报送, 舆情监测) are kinds of events, not events.
A place name is not a context (there is no geography rule: a report about an accident elsewhere that
triggers action here is still urgent).  A text without 。 is cut into its comma clauses, and a news
dateline (新华社乌鲁木齐…电, 本报讯) is not the first sentence.  ``statistics_summary`` marks a text
full of figures (同比, 累计, 15起 …); a meeting called in response to a live event is not routine work.
Number patterns are bounded, so matching stays linear in the text size (the rules read the first
200,000 characters of the body and of the attachments' text).

Pure: no I/O, no clock.  Patterns are compiled once per :class:`ClassifyRules` value (cached).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mailbot.judge.classify.document import Hit, _dedupe, _Doc, _live_matches, _prepare
from mailbot.judge.classify.gates import CHAIN
from mailbot.judge.classify.keywords import DEFAULT_RULES, ClassifyRules
from mailbot.judge.classify.patterns import _Compiled, _compiled
from mailbot.judge.classify.textmodel import TextModel, load_model, top_features
from mailbot.judge.classify.urgency import URGENCY_RULES
from mailbot.model import Category, Classification, ParsedMail

__all__ = [
    "CHAIN",
    "DEFAULT_RULES",
    "SHIPPED",
    "ClassifyRules",
    "Hit",
    "TextModel",
    "classify",
    "classify_text",
]


def _fmt(x: float) -> str:
    return f"{x:g}"


def _gate(doc: _Doc, c: _Compiled) -> Classification | None:
    """The structural kinds: the first gate of :data:`CHAIN` whose rule fires decides."""
    for category, rules in CHAIN:
        for rule in rules:
            hits = rule(doc, c)
            if hits:
                final = category is Category.FOLLOWUP and bool(c.final.search(f"{doc.title}\n{doc.body}"))
                reasons = [h.reason for h in _dedupe(hits)]
                if final:
                    reasons.append("final_report:" + c.final.findall(f"{doc.title}\n{doc.body}")[0])
                return Classification(category, tuple(reasons), 0.0, final)
    return None


def _weak_followup(doc: _Doc, c: _Compiled, reasons: list[str], score: float) -> Classification | None:
    weak = c.followup_weak.search(doc.title)
    if weak is None:
        return None
    evidence = bool(c.incident_title.search(doc.title)) or any(
        i == 0 for pattern in (c.incident, c.public_opinion) for i, _ in _live_matches(doc, c, pattern)[0]
    )
    if not evidence or c.sentence_context.search(doc.title) or c.summary.search(doc.title):
        return None
    final_m = c.final.search(f"{doc.title}\n{doc.body}")
    out = [f"followup_marker:{weak.group(0)}", *reasons]
    if final_m:
        out.append(f"final_report:{final_m.group(0)}")
    return Classification(Category.FOLLOWUP, tuple(out), score, final_m is not None)


def _news_followup(doc: _Doc, c: _Compiled, reasons: list[str], score: float) -> Classification | None:
    """A headline naming what happened after an incident (责任人被刑拘, 原因查明, 伤者病情平稳; the shared
    :data:`mailbot.judge.followup_words.NEWS_DEVELOPMENT`) about an incident: a news follow-up."""
    dev = c.news_development.search(doc.title)
    if dev is None or c.summary.search(doc.title):
        return None
    if not (
        c.incident_title.search(doc.title)
        or any(
            i <= 1
            for pattern in (c.incident, c.public_opinion, c.casualty)
            for i, _ in _live_matches(doc, c, pattern)[0]
        )
    ):
        return None
    final_m = c.final.search(f"{doc.title}\n{doc.body}")
    out = [f"followup_marker:{dev.group(0)}", *reasons]
    if final_m:
        out.append(f"final_report:{final_m.group(0)}")
    return Classification(Category.FOLLOWUP, tuple(out), score, final_m is not None)


def _blend(
    doc: _Doc, c: _Compiled, model: TextModel, score: float, reasons: list[str], decisive: bool = False
) -> Classification:
    """The model's call over the report kinds, its urgent logit moved by the rule score (clipped)."""
    threshold = c.rules.urgent_threshold
    logits, present, scale = model.contributions(f"{doc.subject}\n{doc.own}\n{doc.attachments_text}")
    names = list(model.classes)
    u = names.index(Category.URGENT.value)
    margin = max(-model.rule_clip, min(model.rule_clip, score - threshold))
    logits[u] += model.urgent_bias + model.rule_weight * margin
    for kind in (Category.FOLLOWUP, Category.RESEARCH):
        if kind.value in names:
            logits[names.index(kind.value)] += model.kind_bias
    k = max(range(len(logits)), key=lambda j: logits[j])
    r = u if score >= threshold else names.index(Category.ROUTINE.value)
    if logits[k] - logits[r] < model.model_margin:
        k = r  # the model is not sure enough (a short note, few known n-grams): the rule score decides
    if score - threshold >= model.rule_override_margin:
        # strong rule evidence (a leader's visit, an explosion with casualties) is urgent, also when the
        # model reads a follow-up or a commentary: a missed urgent report (no 2-hour rule, no duty alert)
        # costs more than an urgent call on a 续报
        k = u
    fired = {r.partition(":")[0] for r in reasons}
    if decisive or (score >= threshold and fired & set(c.rules.decisive_rules)):
        k = u
    office = fired & {"extra_urgent", "extra_routine"}
    if office:  # the office's own patterns ([classify] extra_*_patterns) decide over the model
        urgent = score >= threshold if len(office) == 2 else "extra_urgent" in office
        k = u if urgent else names.index(Category.ROUTINE.value)
    category = Category(names[k])
    top = top_features(present, k, scale)
    out = list(reasons)
    if top:
        out.append("model:" + ",".join(f"{g}{w:+.2f}" for g, w in top))
        out.append("model_terms:" + "、".join(g for g, _ in top))
    out.append(f"threshold:{_fmt(score)}{'>=' if score >= threshold else '<'}{_fmt(threshold)}")
    final_m = c.final.search(doc.body) if category in (Category.URGENT, Category.FOLLOWUP) else None
    if final_m:
        out.append(f"final_report:{final_m.group(0)}")
    return Classification(category, tuple(out), score, final_m is not None)


def _decide(doc: _Doc, c: _Compiled, model: TextModel | None) -> Classification:
    gated = _gate(doc, c)
    if gated is not None:
        return gated
    scored = _dedupe(h for rule in URGENCY_RULES for h in rule(doc, c))
    score = round(sum(h.weight for h in scored), 3)
    reasons = [h.reason for h in scored]
    weak = _weak_followup(doc, c, reasons, score) or _news_followup(doc, c, reasons, score)
    if weak is not None:
        return weak
    # a decisive rule at full weight (a national team or leader arriving, told in the subject or lead) is
    # urgent even when the visit's own words (督查, 检查) read as routine context
    decisive = any(
        h.rule in c.rules.decisive_rules and h.weight >= c.rules.weight_important_work for h in scored
    )
    if model is not None and len(doc.subject) + doc.body_size + len(doc.attachments_text) >= model.min_chars:
        return _blend(doc, c, model, score, reasons, decisive)
    threshold = c.rules.urgent_threshold
    if score >= threshold or decisive:
        final_m = c.final.search(doc.body)
        reasons.append(f"threshold:{_fmt(score)}{'>=' if score >= threshold else '<'}{_fmt(threshold)}")
        if final_m:
            reasons.append(f"final_report:{final_m.group(0)}")
        return Classification(Category.URGENT, tuple(reasons), score, final_m is not None)
    reasons.append(f"threshold:{_fmt(score)}<{_fmt(threshold)}")
    return Classification(Category.ROUTINE, tuple(reasons), score, False)


class _Shipped:
    """Marker for "the model shipped with the package" (the default of ``model=``)."""


SHIPPED = _Shipped()


def _model(model: TextModel | _Shipped | None) -> TextModel | None:
    return load_model() if isinstance(model, _Shipped) else model


def classify_text(
    subject: str,
    body: str,
    headers: Mapping[str, str] | None = None,
    attachments_text: str = "",
    rules: ClassifyRules = DEFAULT_RULES,
    *,
    attachment_names: Sequence[str] = (),
    attachment_types: Sequence[str] = (),
    dsn_recipients: Sequence[str] = (),
    model: TextModel | _Shipped | None = SHIPPED,
) -> Classification:
    """Classify plain texts (subject, body, optional headers and attachment text).

    ``model`` is the n-gram model that makes the final report-kind call after the gates (the shipped
    weights by default); ``None`` lets the rule score decide alone.
    """
    c = _compiled(rules)
    doc = _prepare(
        subject,
        body,
        headers,
        attachments_text,
        attachment_names,
        attachment_types,
        dsn_recipients,
        rules.lead_chars,
    )
    return _decide(doc, c, _model(model))


def classify(
    mail: ParsedMail, rules: ClassifyRules = DEFAULT_RULES, model: TextModel | _Shipped | None = SHIPPED
) -> Classification:
    """Classify a parsed mail: subject, body, headers, sender and attachments (names and text)."""
    headers = {k.lower(): v for k, v in mail.headers.items()}
    if mail.from_addr and "from" not in headers:
        headers["from"] = mail.from_addr
    return classify_text(
        mail.subject,
        mail.text,
        headers,
        "\n".join(a.text for a in mail.attachments if a.text),
        rules,
        attachment_names=[a.filename for a in mail.attachments],
        attachment_types=[a.content_type for a in mail.attachments],
        dsn_recipients=mail.dsn_recipients,
        model=model,
    )
