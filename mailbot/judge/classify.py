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
urgent / routine    the urgency score against ``urgent_threshold`` (``threshold:`` reason)
==================  ===============================================================================

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
防止, 确保不), by a routine context in the same sentence (演练, 培训, 同比, 共发生, 35起, 一旦, 外省,
教训, 能力, 上月/去年 as background, 明确了 for a document's content …), inside a 《title》, or as a
condition (发生事故时).  Generic terms (事故隐患, 突发事件信息报送, 舆情监测) are kinds of events, not events.

Pure: no I/O, no clock.  Patterns are compiled once per :class:`ClassifyRules` value (cached).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mailbot.judge.classify_keywords import DEFAULT_RULES, ClassifyRules
from mailbot.model import Category, Classification, ParsedMail

__all__ = ["CHAIN", "DEFAULT_RULES", "ClassifyRules", "Hit", "classify", "classify_text"]

_CN_NUM = "〇零一二三四五六七八九十两百几数多"


@dataclass(frozen=True)
class Hit:
    """One fired rule: its stable name, what it matched, and its weight in the urgency score."""

    rule: str
    text: str
    weight: float = 0.0

    @property
    def reason(self) -> str:
        return f"{self.rule}:{self.text}"


# --------------------------------------------------------------------------------------------------
# compiled patterns


_FULL_WIDTH = re.compile("[\uff01-\uff5e\u3000]")


def _fold(text: str) -> str:
    """Full-width ASCII forms (，：（１） and the ideographic space) to their ASCII twins."""
    for ch in set(_FULL_WIDTH.findall(text)):  # a few distinct characters: str.replace is fastest
        text = text.replace(ch, " " if ch == "\u3000" else chr(ord(ch) - 0xFEE0))
    return text


def _words(words: Iterable[str]) -> list[str]:
    """The escaped, folded words, longest first (so the longest keyword wins)."""
    unique = sorted({_fold(w) for w in words if w}, key=lambda w: (-len(w), w))
    return [re.escape(w) for w in unique]


def _alt(words: Iterable[str]) -> str:
    """A group matching any of ``words``."""
    escaped = _words(words)
    return "(?:" + "|".join(escaped) + ")" if escaped else "(?!)"


def _heads(heads: Iterable[str], tail: str = "") -> list[str]:
    """One alternative per head word, each followed by ``tail``.

    Python's ``re`` skips quickly through text only when every top-level alternative starts with a
    literal character, so composite patterns are spelled out head by head rather than as
    ``(?:head1|head2)tail``; this keeps classification well above 2,000 mails/s.
    """
    return [f"{h}{tail}" for h in _words(heads)]


def _flat(*parts: str | list[str]) -> str:
    alternatives = [p for part in parts for p in ([part] if isinstance(part, str) else part)]
    return "|".join(alternatives) if alternatives else "(?!)"


_GAP = r"[^，,。；;！!？?\n]"
_NUM_START = "0123456789" + _CN_NUM
_NUM_REST = rf"[0-9{_CN_NUM}]*"
_COUNTED = (
    rf"{_NUM_REST}(?:余|多)?起(?!火|重)(?<!一起)"  # 35起, 三起: counted events (not 一起, 起火, 起重机)
)
_INCIDENT_HEADS = ("发生", "突发", "引发", "导致", "酿成", "出现")
_NOT_CASE = "方预档备提议草图答教法个专立结办查报文"  # 方案, 预案, 档案, 备案, 提案 …: not a case


@dataclass(frozen=True)
class _Compiled:
    rules: ClassifyRules
    bounce_subject: re.Pattern[str]
    bounce_sender: re.Pattern[str]
    auto_reply_subject: re.Pattern[str]
    registration: re.Pattern[str]
    registration_form: re.Pattern[str]
    registration_subject: re.Pattern[str]
    publicity: re.Pattern[str]
    test: re.Pattern[str]
    thanks: re.Pattern[str]
    request: re.Pattern[str]
    attachment_problem: re.Pattern[str]
    question: re.Pattern[str]
    followup: re.Pattern[str]
    followup_body: re.Pattern[str]
    followup_weak: re.Pattern[str]
    final: re.Pattern[str]
    research: re.Pattern[str]
    marker: re.Pattern[str]
    incident: re.Pattern[str]
    incident_head: re.Pattern[str]  # for showing a hit as head…tail
    incident_tail: re.Pattern[str]
    casualty: re.Pattern[str]
    response: re.Pattern[str]
    public_opinion: re.Pattern[str]
    major_event: re.Pattern[str]
    leader: re.Pattern[str]
    regional_leader: re.Pattern[str]
    time: re.Pattern[str]
    sentence_context: re.Pattern[str]
    negation: re.Pattern[str]
    no_casualty: re.Pattern[str]
    drill: re.Pattern[str]
    training: re.Pattern[str]
    meeting: re.Pattern[str]
    plan: re.Pattern[str]
    inspection: re.Pattern[str]
    summary: re.Pattern[str]
    publicity_ctx: re.Pattern[str]
    document: re.Pattern[str]
    enforcement: re.Pattern[str]
    warning: re.Pattern[str]
    routine_topic: re.Pattern[str]
    conversational: re.Pattern[str]
    mailbox: re.Pattern[str]
    circular_salutation: re.Pattern[str]
    circular: re.Pattern[str]
    submission: re.Pattern[str]
    incident_title: re.Pattern[str]
    thanks_letter: re.Pattern[str]
    petition: re.Pattern[str]
    petition_body: re.Pattern[str]
    inquiry: re.Pattern[str]
    reply_prefix: re.Pattern[str]
    own_question: re.Pattern[str]
    major_case: re.Pattern[str]
    case_amount: re.Pattern[str]
    case_scale: re.Pattern[str]
    spread: re.Pattern[str]
    extra_urgent: tuple[re.Pattern[str], ...]
    extra_routine: tuple[re.Pattern[str], ...]
    progress_subject: re.Pattern[str]
    routine_progress: re.Pattern[str]
    publicity_subject: re.Pattern[str]
    forwarded_notice: re.Pattern[str]
    research_activity: re.Pattern[str]


_BY_ID: dict[int, tuple[ClassifyRules, _Compiled]] = {}


def _compiled(r: ClassifyRules) -> _Compiled:
    """The compiled patterns of ``r``, found by identity first (hashing 80 fields costs more)."""
    entry = _BY_ID.get(id(r))
    if entry is not None and entry[0] is r:
        return entry[1]
    c = _compile(r)
    if len(_BY_ID) >= 32:
        _BY_ID.clear()
    _BY_ID[id(r)] = (r, c)
    return c


@functools.lru_cache(maxsize=32)
def _compile(r: ClassifyRules) -> _Compiled:
    def rx(pattern: str, flags: int = 0) -> re.Pattern[str]:
        return re.compile(pattern, flags)

    gap = _GAP
    nouns, verbs, cas = _alt(r.incident_nouns), _alt(r.event_verbs), _alt(r.casualty_words)
    n_tail = _NUM_REST  # a number: its first character is spelled out as a head
    not_after = "(?!" + "|".join(("时", *_words(r.generic_after))) + ")"  # 事故隐患, 事故应急 …: not events
    incident = _flat(
        _heads(_INCIDENT_HEADS, rf"{gap}{{0,14}}?{nouns}{not_after}"),
        _heads(r.equipment_words, rf"{gap}{{0,10}}?(?:{verbs}|事故){not_after}"),
        _heads(
            r.equipment_words, rf"{gap}{{0,10}}?{_alt(r.injury_verbs)}了?{gap}{{0,4}}?{_alt(r.victim_words)}"
        ),
        _heads(r.victim_words, rf"{gap}{{0,12}}?被{gap}{{0,6}}?(?:卷入|夹入|夹住|绞入|卷进|夹进)"),
        _heads((*r.event_verbs, "火灾", "中毒", "质量安全", "群体"), f"(?:事故|事件){not_after}"),
        _heads(("事故", "事件", "险情", "火灾", "火情"), "发生后(?=[,，])"),
        _heads(r.narrated_verbs, r"(?=[,。;]|了|造成|致|导致|引燃|引发|砸|的(?:情况)?报告)"),
    )
    casualty = _flat(
        _heads(("造成", "致使", "导致", "致"), rf"{gap}{{0,20}}?{cas}"),
        _heads(_NUM_START, rf"{n_tail}(?:人|(?:余|多)?名{gap}{{0,16}}?)(?:当场)?{cas}"),
        _heads(r.casualty_words, rf"[0-9{_CN_NUM}]+(?:人|名)"),
    )
    d = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
    clock = (
        rf"(?:{d}(?:时|点|:\d\d)|凌晨|清晨|早晨|早上|上午|中午|午后|下午|傍晚|晚上|晚|深夜|夜间|夜里|晨|许)"
    )
    time = _flat(
        _heads(
            "0123456789一二三四五六七八九十",
            rf"[0-9一二三四五六七八九十]{{0,2}}(?:月{d})?日{gap}{{0,6}}?{clock}",
        ),
        _heads("0123456789一二三四五六七八九十", rf"[0-9一二三四五六七八九十]{{0,2}}(?:时|点){d}?分?许"),
        _heads(("今天", "今日", "昨天", "昨日", "当日", "当天", "今晨", "今早", "昨晚", "昨夜")),
    )
    context_words = (
        *r.drill_words, *r.training_words, *r.statistics_words,
        *r.hypothetical_words, *r.warning_words, *r.capacity_words, *r.background_words,
    )  # fmt: skip
    elsewhere = _heads(
        r.elsewhere_words, r"(?![东西南北中]?(?:路|街|大道|大街|巷|村|小区|公司|商城))"
    )  # 北京路
    plan = _flat(
        _heads(r.plan_words, rf"{gap}{{0,12}}?预案"),
        rf"预案(?:的)?{_alt(r.plan_words)}",
    )
    ordinal = r"第(?:[二三四五六七八九十]|[2-9]|\d\d)次(?:报告|报送)"
    nth = rf"第[0-9{_CN_NUM}]+次续报"
    return _Compiled(
        rules=r,
        bounce_subject=rx(_alt(r.bounce_subjects), re.I),
        bounce_sender=rx(rf"(?<![\w.-]){_alt(r.bounce_senders)}@", re.I),
        auto_reply_subject=rx(_alt(r.auto_reply_subjects), re.I),
        registration=rx(_alt(r.registration_markers)),
        registration_form=rx(
            _flat(
                _heads(r.liaison_words, rf"{gap}{{0,8}}?{_alt(r.registration_after)}"),
                _heads(r.registration_before, rf"{gap}{{0,12}}?{_alt(r.liaison_words)}"),
            )
        ),
        # subject "报送我队信息宣传联络员", "关于上报2027年度信息员的函": the mail names the liaison
        registration_subject=rx(
            rf"(?:报送|上报|推荐|确定|更新|报备){gap}{{0,14}}?{_alt(r.liaison_words)}"
            r"(?:名单|信息|人选)?(?:的?(?:函|报告|通知))?\W*$"
        ),
        publicity=rx(
            _flat(
                _words(r.publicity_markers),
                _heads(("申请",), rf"{gap}{{0,20}}?(?:采访报道|宣传报道|媒体采访|进行采访|进行报道)"),
            )
        ),
        test=rx(rf"^\W*{_alt(r.test_markers)}(?:邮件|一下|一封|\W|\d|$)", re.I),
        thanks=rx(_alt(r.thanks_markers), re.I),
        request=rx(_flat(_heads(r.request_verbs, rf".{{0,20}}?{_alt(r.request_objects)}")), re.I),
        attachment_problem=rx(_alt(r.attachment_problems)),
        question=rx(_alt(r.question_markers)),
        followup=rx(_flat(_words(r.followup_markers), ordinal, nth)),
        followup_body=rx(
            _flat(
                "续报如下(?<![将及随另再待继会予以后需]续报如下)",
                _heads(("现将", "现就", "现对"), rf"{gap}{{0,24}}?续报"),
                _heads(("现续报", "特此续报", "进行续报", "终报如下", "结报如下")),
                _heads(("现将", "现就", "现对"), rf"{gap}{{0,24}}?{_alt(r.followup_body_markers)}"),
                _heads(
                    ("继", "在"),
                    rf"{gap}{{0,30}}?(?:首报|初报|首次报告|报送|上报)(?:后|之后|的基础上|基础上)",
                ),
                ordinal,
                nth,
            )
        ),
        followup_weak=rx(_alt(r.followup_weak_markers)),
        final=rx(_alt(r.final_markers)),
        research=rx(
            _flat(
                _words(r.research_markers),
                r"调研(?:报告|信息)?\s*$",
                # 状况分析及提升建议, 风险分析与防范对策: an analysis piece; 统计分析报告 is statistics
                rf"分析(?:及|与|和){gap}{{0,8}}?(?:建议|对策)",
                r"(?<!统计)分析报告",
                # 从近三年事故数据看我区…形势: an analysis of what the figures show
                rf"^\W*(?:关于)?从{gap}{{2,24}}?看{gap}{{0,24}}?(?:形势|问题|趋势|变化|短板|差距|风险)",
                rf"现状{gap}{{0,2}}?问题(?:与|和|及){gap}{{0,2}}?(?:对策|建议)",
            )
        ),
        marker=rx(_alt(r.urgent_markers)),
        incident=rx(incident),
        incident_head=rx(rf"^{_alt((*_INCIDENT_HEADS, *r.equipment_words))}"),
        incident_tail=rx(rf"{_alt((*r.incident_nouns, *r.event_verbs))}$"),
        casualty=rx(casualty),
        response=rx(
            _flat(
                _words(r.response_phrases),
                _heads(("启动",), rf"{gap}{{0,15}}?应急(?:预案|响应)"),
                _heads(
                    ("立即", "迅速", "连夜", "紧急"),
                    rf"{gap}{{0,4}}?(?:派员|派出|赶赴|组织|部署|调集|召开|成立|开展|启动|对)",
                ),
            )
        ),
        public_opinion=rx(
            _flat(
                _heads(
                    r.public_opinion_phrases,
                    "(?!"
                    + "|".join(_words(r.opinion_generic_after) or ["(?!)"])
                    + ")"
                    + "".join(f"(?<!{w})" for w in _words(r.opinion_self_words)),
                ),
                _heads(("引发", "引起", "出现", "形成", "造成"), rf"{gap}{{0,8}}?舆情"),
                _heads(r.crowd_words, rf"{gap}{{0,6}}?(?:聚集|围堵|上访|堵门)"),
                _heads(r.online_channels, rf"{gap}{{0,8}}?{_alt(r.spread_verbs)}"),
                _heads(r.netizen_words, rf"{gap}{{0,10}}?{_alt(r.netizen_verbs)}"),
            )
        ),
        major_event=rx(_flat(_heads(r.major_event_phrases, not_after))),
        leader=rx(
            _flat(
                _heads(r.leader_words, rf"{gap}{{0,30}}?{_alt(r.visit_words)}"),
                _heads(
                    r.national_bodies,
                    rf"{gap}{{0,14}}?{_alt(r.national_roles)}{gap}{{0,30}}?{_alt(r.visit_words)}",
                ),
            )
        ),
        regional_leader=rx(_flat(_heads(r.regional_leader_words, rf"{gap}{{0,30}}?{_alt(r.visit_words)}"))),
        time=rx(time),
        sentence_context=rx(_flat(_words(context_words), elsewhere, plan, _heads(_NUM_START, _COUNTED))),
        negation=rx(rf"(?!{_alt(r.negation_exceptions)}){_alt(r.negation_words)}"),
        no_casualty=rx(_alt(r.no_casualty_phrases)),
        drill=rx(_alt(r.drill_words)),
        training=rx(_alt(r.training_words)),
        meeting=rx(_alt(r.meeting_words)),
        plan=rx(plan),
        inspection=rx(_alt(r.inspection_words)),
        summary=rx(_alt(r.summary_words)),
        publicity_ctx=rx(_flat(_heads(r.publicity_words, r"(?![\"“”]?晚会)"))),  # 3·15晚会曝光 is news
        document=rx(_flat(_heads(r.publish_verbs, rf"{gap}{{0,12}}?(?:《|{_alt(r.document_kinds)})"))),
        warning=rx(_alt(r.warning_words)),
        enforcement=rx(_alt(r.enforcement_words)),
        routine_topic=rx(_alt(r.routine_topic_verbs)),
        conversational=rx(_alt(r.conversational_markers), re.I),
        mailbox=rx(_alt(r.mailbox_words)),
        circular_salutation=rx(rf"^\s*{_alt(r.circular_salutations)}"),
        circular=rx(_alt(r.circular_markers)),
        submission=rx(_alt(r.submission_markers)),
        incident_title=rx(
            _flat(
                _words(r.incident_title_words),
                # 假冒化肥案的进展, 某某一案: a case (not 方案, 预案, 档案, 备案 …)
                rf"(?<![{_NOT_CASE}])案(?=的|[,，:：\s]|$)",
                "一案",
            )
        ),
        thanks_letter=rx(
            r"^(?:致[^,，。\s]{0,20}?的?)?(?:感谢信|感谢函|致谢信|致谢函|表扬信)$|^(?:感谢|致谢|谢谢)"
        ),
        petition=rx(_alt(r.petition_subject_markers)),
        petition_body=rx(_alt(r.petition_body_markers)),
        inquiry=rx(_alt(r.inquiry_subject_markers)),
        reply_prefix=rx(r"^\W*(?:回复|答复|回覆|re|aw)\s*[:：]", re.I),
        own_question=rx(r"\?|请问|是否|吗|请帮忙|请核实|核实一下|怎么|如何"),
        major_case=rx(_alt(r.major_case_phrases)),
        case_scale=rx(_alt(r.case_scale_phrases)),
        case_amount=rx(
            _flat(
                _heads(
                    r.case_amount_words,
                    rf"{gap}{{0,10}}?(?:\d+(?:\.\d+)?(?:余|多)?(?:万|亿)|(?:数|几|上)?(?:百万|千万|亿))元",
                )
            )
        ),
        spread=rx(
            _flat(
                _words(r.spread_phrases),
                _heads(("已",), rf"(?:在|向|经|被)?{gap}{{0,12}}?(?:销售|售出|流入)"),
            )
        ),
        progress_subject=rx(
            rf"(?:{_alt(r.progress_subject_objects)}|(?<![{_NOT_CASE}])案(?=的|[,，:：\s]|$))"
            rf"{gap}{{0,24}}?{_alt(r.progress_subject_words)}"
            rf"|{_alt((*r.incident_nouns, *r.event_verbs))}{gap}{{0,6}}?{_alt(r.progress_subject_words)}"
        ),
        routine_progress=rx(_alt(r.routine_progress_words)),
        publicity_subject=rx(
            rf"{_alt(r.publicity_request_verbs)}{gap}{{0,10}}?{_alt(r.publicity_media_words)}"
            rf"{gap}{{0,10}}?(?:报道|采访|宣传|拍摄)"
        ),
        # 转发：关于举办…培训班的通知: a forwarded notice, not a report
        forwarded_notice=rx(
            rf"^\W*(?:转发|fw|fwd)\W*{gap}{{0,80}}?通知\W*$|^\W*转发{gap}{{0,60}}?的?通知", re.I
        ),
        # 带队赴…开展走访调研: a trip, not a written analysis
        research_activity=rx(r"带队|率队|赴|前往|深入|走访|陪同"),
        extra_urgent=tuple(rx(p) for p in r.extra_urgent_patterns),
        extra_routine=tuple(rx(p) for p in r.extra_routine_patterns),
    )


# --------------------------------------------------------------------------------------------------
# the mail as the rules see it

_QUOTE_START = re.compile(
    r"^(?:-{2,}\s*(?:原始邮件|Original Message|转发邮件|Forwarded message)|>|在\s?.{0,60}写道[:：]|On .{0,80}wrote:"
    r"|发件人[:：]|From:\s)",
    re.I | re.M,
)
_WRAP_END = re.compile(r"[\u4e00-\u9fff,、]")
_SENTENCE = re.compile(r"[^。！!？?；;\n]+")
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
    """Fold full-width forms and re-join Chinese lines that a mail client hard-wrapped."""
    lines = _fold(text).replace("\r\n", "\n").split("\n")
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
    subject = " ".join(_norm(subject).split())
    own = _norm(body)
    quoted = _QUOTE_START.search(own)
    if quoted:
        own = own[: quoted.start()]
    att = _norm(attachments_text)
    body_size = _meaningful(own)
    title = subject
    if body_size < 40 and att.strip():
        first = att.strip().split("\n", 1)[0].strip()
        if len(first) <= 60 and "。" not in first:
            title = f"{subject} {first}".strip()
    sentences = [s.strip() for s in _SENTENCE.findall(own)]
    sentences = [s for s in sentences if _MEANINGFUL.search(s) and not _SALUTATION.search(s)]
    att_sentences = [s.strip() for s in _SENTENCE.findall(att) if _MEANINGFUL.search(s)]
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


# --------------------------------------------------------------------------------------------------
# rules: each answers one question and returns its hits

Rule = Callable[[_Doc, _Compiled], list[Hit]]


def _first(rule: str, pattern: re.Pattern[str], *texts: str, weight: float = 0.0) -> list[Hit]:
    for text in texts:
        m = pattern.search(text)
        if m:
            return [Hit(rule, m.group(0), weight)]
    return []


def _bounce_header(doc: _Doc, c: _Compiled) -> list[Hit]:
    ctype = doc.headers.get("content-type", "").lower()
    if "multipart/report" in ctype and "delivery-status" in ctype:
        return [Hit("bounce_header", "Content-Type=multipart/report; report-type=delivery-status")]
    if any(t in ("message/delivery-status", "message/global-delivery-status") for t in doc.attachment_types):
        return [Hit("bounce_header", "message/delivery-status part")]
    if doc.dsn_recipients:
        return [Hit("bounce_header", "dsn_recipients=" + ",".join(doc.dsn_recipients[:3]))]
    return []


def _bounce_sender(doc: _Doc, c: _Compiled) -> list[Hit]:
    return _first("bounce_sender", c.bounce_sender, doc.headers.get("from", ""))


def _bounce_subject(doc: _Doc, c: _Compiled) -> list[Hit]:
    return _first("bounce_subject", c.bounce_subject, doc.subject)


def _auto_reply_header(doc: _Doc, c: _Compiled) -> list[Hit]:
    h = doc.headers
    hits: list[Hit] = []
    auto = h.get("auto-submitted", "").strip().lower()
    if auto and not auto.startswith("no"):
        hits.append(Hit("auto_reply_header", f"Auto-Submitted={auto}"))
    for name in ("x-autoreply", "x-autorespond", "x-autoresponse"):
        if h.get(name, "").strip() and h[name].strip().lower() not in ("no", "false", "0"):
            hits.append(Hit("auto_reply_header", f"{name}={h[name].strip()}"))
    suppress = h.get("x-auto-response-suppress", "").lower()
    if re.search(r"\b(?:oof|all)\b", suppress):
        hits.append(Hit("auto_reply_header", f"X-Auto-Response-Suppress={suppress}"))
    if h.get("precedence", "").strip().lower() == "auto_reply":
        hits.append(Hit("auto_reply_header", "Precedence=auto_reply"))
    return hits


def _auto_reply_subject(doc: _Doc, c: _Compiled) -> list[Hit]:
    return _first("auto_reply_subject", c.auto_reply_subject, doc.subject)


def _short(doc: _Doc, limit: int) -> bool:
    return doc.body_size <= limit and not doc.attachments_text.strip()


def _document_request(doc: _Doc, c: _Compiled) -> list[Hit]:
    if not _short(doc, 120) or doc.attachment_names:
        return []
    return _first("document_request", c.attachment_problem, doc.subject, doc.own) or _first(
        "document_request", c.request, doc.own, doc.subject
    )


def _marked(rule: str, pattern: re.Pattern[str], doc: _Doc, lead_only: int = 300) -> list[Hit]:
    for name in doc.attachment_names:
        m = pattern.search(name)
        if m:
            return [Hit(f"{rule}_attachment", name)]
    body = doc.body if doc.body_size <= 500 else doc.body[:lead_only]
    return _first(rule, pattern, doc.subject, body, doc.attachments_text)


def _registration(doc: _Doc, c: _Compiled) -> list[Hit]:
    if _question(doc, c):
        return []  # 我是新任联络员，请问…? asks the office something: not a registration
    return (
        _marked("registration", c.registration, doc)
        or _marked("registration", c.registration_form, doc)
        or _first("registration", c.registration_subject, doc.subject)
    )


def _question(doc: _Doc, c: _Compiled) -> bool:
    """A short note whose subject is a question, with no form attached."""
    if doc.body_size > 200 or doc.attachment_names or doc.attachments_text.strip():
        return False
    return bool(c.question.search(doc.subject))


def _publicity_request(doc: _Doc, c: _Compiled) -> list[Hit]:
    hits = _marked("publicity_request", c.publicity, doc)
    # subject only: 申请媒体跟踪报道…, 请求安排记者采访; a body telling of a past interview is news
    return hits or _first("publicity_request", c.publicity_subject, doc.subject)


def _empty(doc: _Doc, c: _Compiled) -> list[Hit]:
    if doc.body_size == 0 and not doc.attachment_names and _meaningful(doc.subject) <= 4:
        return [Hit("no_content", "empty")]
    return []


def _test_mail(doc: _Doc, c: _Compiled) -> list[Hit]:
    if not _short(doc, 100):
        return []
    hits = _first("test_mail", c.test, doc.subject, doc.own.strip())
    return hits or _first("test_mail", _MAIL_TEST, doc.subject, doc.own)


def _mailbox_notice(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A short note about the unit's mailbox or contact details (e.g. the move to xjzj.gov.cn)."""
    if doc.body_size > 200 or doc.attachment_names:
        return []
    return _first("mailbox_notice", c.mailbox, doc.subject)


def _circular(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A circular to many units (各单位：现将…发送给你们) is not a report sent to the office."""
    salutation = c.circular_salutation.search(doc.own)
    if not salutation:
        return []
    marker = c.circular.search(f"{doc.subject}\n{doc.own[:200]}")
    if not marker or _live_matches(doc, c, c.incident)[0]:
        return []
    return [Hit("circular", f"{salutation.group(0).strip()}…{marker.group(0)}")]


def _correspondence(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A short personal note to the office (questions, thanks, requests): second person, no report."""
    if doc.body_size > 200 or doc.attachment_names or doc.attachments_text.strip():
        return []
    text = f"{doc.subject}\n{doc.own}"
    if c.submission.search(text) or c.marker.search(doc.subject):
        return []
    if _live_matches(doc, c, c.incident)[0] or _live_matches(doc, c, c.casualty)[0]:
        return []
    found = list(dict.fromkeys(m.group(0) for m in c.conversational.finditer(text)))
    return [Hit("correspondence", "+".join(found[:4]))] if len(found) >= 2 else []


def _question_note(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A short note whose subject asks the office a question (请问续报用什么格式？), written to a person."""
    if not _question(doc, c) or c.submission.search(doc.own):
        return []
    q = c.question.search(doc.subject)
    polite = c.conversational.search(doc.own)
    if q is None or polite is None:
        return []
    return [Hit("correspondence", f"{q.group(0)}+{polite.group(0)}")]


def _thanks(doc: _Doc, c: _Compiled) -> list[Hit]:
    if not _short(doc, 30) or doc.attachment_names:
        return []
    return _first("thanks", c.thanks, doc.own.strip(), doc.subject)


def _no_incident(doc: _Doc, c: _Compiled) -> bool:
    """No live incident or casualty anywhere: a note to the office, not an account of an event."""
    return not (_live_matches(doc, c, c.incident)[0] or _live_matches(doc, c, c.casualty)[0])


def _thanks_letter(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A letter thanking the office (subject 感谢信, 致…的感谢信, 感谢区局…): not a report of work.

    "某局收到群众感谢信" reports news and does not match: the subject must be the letter itself.
    """
    if doc.body_size > 600 or c.submission.search(doc.own[:200]):
        return []
    m = c.thanks_letter.search(doc.subject)
    if m is None or not _no_incident(doc, c):
        return []
    return [Hit("thanks", m.group(0))]


def _petition(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A 请示 or a request to the office (申请延期报送, 请予批准, 恳请; 妥否，请批示): not a report.

    A request that tells of an incident (请求技术支援 after an explosion) is left to the urgency rules.
    """
    if doc.body_size > 600:
        return []
    m = c.petition.search(doc.subject)
    if m is None and doc.body_size <= 300:
        m = c.petition_body.search(doc.own)
    if m is None or not _no_incident(doc, c):
        return []
    return [Hit("request", m.group(0))]


def _inquiry(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A question to the office (疑问, 请问, 咨询：…) or a reply (回复：…) that asks one, in a short note."""
    if doc.body_size > 300 or doc.attachment_names or c.submission.search(doc.own):
        return []
    m = c.inquiry.search(doc.subject)
    if m is None and c.reply_prefix.search(doc.subject):
        m = c.own_question.search(doc.own)
    if m is None or not _no_incident(doc, c):
        return []
    return [Hit("correspondence", m.group(0))]


def _followup_marker(doc: _Doc, c: _Compiled) -> list[Hit]:
    hits = _first("followup_marker", c.followup, doc.title)
    if not hits:
        hits = _first("followup_marker", c.followup_body, doc.lead, doc.body[:400])
    return hits


def _research_marker(doc: _Doc, c: _Compiled) -> list[Hit]:
    if c.leader.search(doc.title) or c.regional_leader.search(doc.title):
        return []  # 领导到我区调研 is a work development, not a 调研信息
    names = " ".join(doc.attachment_names)
    hits = _first("research_marker", c.research, doc.subject, doc.title, names)
    if hits and hits[0].text.strip() == "调研" and c.research_activity.search(doc.subject):
        return []  # 书记带队赴和田开展走访调研: a trip (work news), not an analytical write-up
    return hits


def _progress_followup(doc: _Doc, c: _Compiled) -> list[Hit]:
    """A subject naming an earlier event, case, recall or inspection plus a progress word.

    …召回进展情况, …爆管处置情况, …火灾的进一步情况, …暗访发现问题整改进展: the progress word wins
    over strong incident words.  Routine work going well (工作进展顺利, 取得阶段性成效) and summaries
    (今年以来…处置情况, 值班情况) do not count.
    """
    m = c.progress_subject.search(doc.subject)
    if m is None or c.routine_progress.search(doc.subject):
        return []
    if c.sentence_context.search(doc.subject) or c.summary.search(doc.subject):
        return []
    return [Hit("followup_marker", m.group(0))]


def _forwarded_notice(doc: _Doc, c: _Compiled) -> list[Hit]:
    """转发：关于…的通知 — a notice passed on, not a report (a forwarded incident report still counts)."""
    m = c.forwarded_notice.search(doc.subject)
    if m is None or c.marker.search(doc.subject) or c.followup.search(doc.subject):
        return []
    if _live_matches(doc, c, c.incident)[0] and not c.circular.search(doc.subject):
        return []
    return [Hit("forwarded_notice", m.group(0)[:24])]


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
    hits += _first("routine_topic", c.routine_topic, doc.subject, weight=r.weight_routine_topic)
    return hits


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


def _dedupe(hits: Iterable[Hit]) -> list[Hit]:
    """One hit per reason, in first-seen order, keeping the strongest weight."""
    out: dict[str, Hit] = {}
    for h in hits:
        prev = out.get(h.reason)
        if prev is None or abs(h.weight) > abs(prev.weight):
            out[h.reason] = h
    return list(out.values())


# --------------------------------------------------------------------------------------------------
# the chain: data, in order

CHAIN: tuple[tuple[Category, tuple[Rule, ...]], ...] = (
    (Category.BOUNCE, (_bounce_header, _bounce_sender, _bounce_subject)),
    (Category.AUTO_REPLY, (_auto_reply_header, _auto_reply_subject)),
    (Category.OTHER, (_document_request,)),
    (Category.REGISTRATION, (_registration,)),
    (Category.PUBLICITY_REQUEST, (_publicity_request,)),
    (
        Category.OTHER,
        (
            _empty,
            _test_mail,
            _thanks,
            _thanks_letter,
            _petition,
            _mailbox_notice,
            _forwarded_notice,
            _circular,
            _correspondence,
            _question_note,
            _inquiry,
        ),
    ),
    (Category.FOLLOWUP, (_followup_marker, _progress_followup)),
    (Category.RESEARCH, (_research_marker,)),
)
"""Gates tried in order: the first whose rules fire decides the category."""

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
    _extra_patterns,
)
"""Scored rules: their weights add up to the urgency score."""


def _fmt(x: float) -> str:
    return f"{x:g}"


def _decide(doc: _Doc, c: _Compiled) -> Classification:
    for category, rules in CHAIN:
        for rule in rules:
            hits = rule(doc, c)
            if hits:
                final = category is Category.FOLLOWUP and bool(c.final.search(f"{doc.title}\n{doc.body}"))
                reasons = [h.reason for h in _dedupe(hits)]
                if final:
                    reasons.append("final_report:" + c.final.findall(f"{doc.title}\n{doc.body}")[0])
                return Classification(category, tuple(reasons), 0.0, final)
    scored = _dedupe(h for rule in URGENCY_RULES for h in rule(doc, c))
    score = round(sum(h.weight for h in scored), 3)
    reasons = [h.reason for h in scored]
    weak = c.followup_weak.search(doc.title)
    evidence = bool(c.incident_title.search(doc.title)) or any(
        i == 0 for pattern in (c.incident, c.public_opinion) for i, _ in _live_matches(doc, c, pattern)[0]
    )
    evidence = evidence and not c.sentence_context.search(doc.title) and not c.summary.search(doc.title)
    if weak and evidence:
        final_m = c.final.search(f"{doc.title}\n{doc.body}")
        reasons.insert(0, f"followup_marker:{weak.group(0)}")
        if final_m:
            reasons.append(f"final_report:{final_m.group(0)}")
        return Classification(Category.FOLLOWUP, tuple(reasons), score, final_m is not None)
    threshold = c.rules.urgent_threshold
    if score >= threshold:
        final_m = c.final.search(doc.body)
        reasons.append(f"threshold:{_fmt(score)}>={_fmt(threshold)}")
        if final_m:
            reasons.append(f"final_report:{final_m.group(0)}")
        return Classification(Category.URGENT, tuple(reasons), score, final_m is not None)
    reasons.append(f"threshold:{_fmt(score)}<{_fmt(threshold)}")
    return Classification(Category.ROUTINE, tuple(reasons), score, False)


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
) -> Classification:
    """Classify plain texts (subject, body, optional headers and attachment text)."""
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
    return _decide(doc, c)


def classify(mail: ParsedMail, rules: ClassifyRules = DEFAULT_RULES) -> Classification:
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
    )
