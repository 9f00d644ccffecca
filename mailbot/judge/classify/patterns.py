"""Compiled patterns of the classifier: built once per :class:`~mailbot.judge.classify.keywords.ClassifyRules`
value from its keyword lists (cached), plus the small regex helpers that build them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailbot.judge.classify.keywords import ClassifyRules
from mailbot.judge.followup_words import NEWS_DEVELOPMENT

_CN_NUM = "〇零一二三四五六七八九十两百几数多"


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


_NUM_REST = rf"[0-9{_CN_NUM}]{{0,8}}"  # bounded: a run of digits must not make matching quadratic


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
    news_development: re.Pattern[str]  # mailbot.judge.followup_words.NEWS_DEVELOPMENT
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
    statistics: re.Pattern[str]
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
        _heads(r.casualty_words, rf"[0-9{_CN_NUM}]{{1,9}}(?:人|名)"),
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
    plan = _flat(
        _heads(r.plan_words, rf"{gap}{{0,12}}?预案"),
        rf"预案(?:的)?{_alt(r.plan_words)}",
    )
    ordinal = r"第(?:[二三四五六七八九十]|[2-9]|\d\d)次(?:报告|报送)"
    nth = rf"第[0-9{_CN_NUM}]{{1,9}}次续报"
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
        # 续 closing a news headline (…重伤续, …事件续:): a follow-up story, not 继续/手续/持续
        followup=rx(
            _flat(
                _words(r.followup_markers),
                ordinal,
                nth,
                r"(?<![继手持陆连延存后])续(?=[:：\s]|$)",
                # …电梯“卷人”事故 形成调查报告: the investigation report of a named accident or event
                r"(?:事故|事件)(?!隐患|预防|防范|应急|多发|风险)[^，,。；;:：的]{0,12}?调查报告(?!范本|模板|格式)",
            )
        ),
        followup_body=rx(
            _flat(
                "续报如下(?<![将及随另再待继会予以后需]续报如下)",
                _heads(("现将", "现就", "现对"), rf"{gap}{{0,24}}?续报"),
                _heads(("现续报", "特此续报", "进行续报", "终报如下", "结报如下")),
                _heads(("现将", "现就", "现对"), rf"{gap}{{0,24}}?{_alt(r.followup_body_markers)}"),
                _heads(
                    ("继", "在"),
                    # not 在接到市医院上报后 (someone else's report reaching us: the incident's news)
                    rf"(?!接到|收到|接获|得到|接报){gap}{{0,30}}?(?:首报|初报|首次报告|报送|上报)(?:后|之后|的基础上|基础上)",
                ),
                ordinal,
                nth,
            )
        ),
        followup_weak=rx(_alt(r.followup_weak_markers)),
        news_development=rx(NEWS_DEVELOPMENT),
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
        sentence_context=rx(_flat(_words(context_words), plan, _heads(_NUM_START, _COUNTED))),
        negation=rx(rf"(?!{_alt(r.negation_exceptions)}){_alt(r.negation_words)}"),
        no_casualty=rx(_alt(r.no_casualty_phrases)),
        drill=rx(_alt(r.drill_words)),
        training=rx(_alt(r.training_words)),
        meeting=rx(_alt(r.meeting_words)),
        plan=rx(plan),
        inspection=rx(_alt(r.inspection_words)),
        summary=rx(_alt(r.summary_words)),
        statistics=rx(_flat(_words(r.statistics_words), _heads(_NUM_START, _COUNTED))),
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
                    rf"{gap}{{0,10}}?(?:\d{{1,12}}(?:\.\d{{1,6}})?(?:余|多)?(?:万|亿)|(?:数|几|上)?(?:百万|千万|亿))元",
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
