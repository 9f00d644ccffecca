"""Which phrase is the event: context scores around each candidate (event words, deadlines, plans,
background, headers, follow-up recaps) and the narrative/follow-up adjustments.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from mailbot.judge.followup_words import NEWS_DEVELOPMENT
from mailbot.model import EventTime, Granularity

# The scoring table: every weight a phrase can earn, by the name that appears in its reasons.
# A maintainer changes a weight here and runs scripts/eval_time.py to see what moved.
WEIGHTS: dict[str, float] = {
    # base score by granularity: finer phrases are more likely the event's own time
    "minute": 3.0,  # 14时30分, 14:30
    "hour": 2.8,  # 14时许, 下午3点
    "part_of_day": 2.3,  # 12月10日晚
    "day": 2.0,  # 12月10日, 昨日
    "month": 0.0,  # 10月份: an event time only when nothing finer is said
    "festival_period": -1.5,  # 春节期间, 国庆假期: a period; its first day only when nothing finer is said
    # evidence that the phrase is when something happened
    "event_word": 1.5,  # 发生, 接到报警, 召开, 检查 … right after (or just before) the phrase
    "report_word": 0.5,  # 通报, 发布, 反映 … right after the phrase: when it was told (an event only for a publication)
    "yu_before": 0.5,  # 于 before the phrase (我局于…)
    "no_event_evidence": -2.5,  # no event word, no 于, not at a clause start: a date in passing
    "first_phrase": 1.0,  # the first phrase of the text
    "second_phrase": 0.4,  # the second phrase of the text
    "opens_paragraph": 2.0,  # "11月25日14时30分许，…" opening the body or a paragraph
    "month_in_passing": -3.5,  # a month alone inside the body that does not open a paragraph
    "statistics_cutoff_month": 2.0,  # "截至6月底，全疆共…": a statistics report's month cut-off is its event
    "issued_on": 0.0,  # "现印发给你们 … 2024年11月13日": an issuing notice's signature date is the issuing
    "response": -2.0,  # 接报后/随后 before, 赶到/救出/扑灭 after: the response, not the event
    "response_in_followup": 0.5,  # …in a follow-up the response is the news
    "followup_original_event": -3.0,  # "…事故，" right after the phrase in a follow-up: the original event
    "attributive": -2.0,  # "…召开的会议": the date qualifies a noun
    "background": -1.5,  # 针对/按照/根据 … before it in the clause
    "parenthetical": -1.5,  # inside （…）
    "explains": 0.5,  # "元旦假期（12月31日至1月2日）": a bracketed date right after a phrase states it exactly
    "deadline": -5.0,  # 请于…前, …之前, 截止: a deadline
    "cumulative_until": -2.5,  # 截至 … inside a sentence: a cut-off of a count
    "since": -0.5,  # …以来, …至今, …起: the start of a period (自8月6日以来…普降暴雨: often the event's start)
    "future_plan": -4.0,  # 将于, 拟于, 计划, 下一步: a plan
    "schedule": -4.0,  # 春节临近, "8月1日至11月10日为集中排查整治阶段": the time ahead, a plan's phase
    "birth_or_founding": -4.0,  # 出生, 建成, 印发, 施行 …: not an event to report
    "in_title": -5.0,  # inside 《…》
    "after_reference": -5.0,  # more than a day after the sending time: not yet happened
    "long_before_reference": -2.5,  # more than 90 days before the sending time
    "month_before_reference": -1.5,  # more than 30 days before
    "week_before_reference": -0.8,  # more than 7 days before
    "header_or_document_date": -8.0,  # 发送时间：, 印发日期：, Date:
    "date_line": -6.0,  # a line holding only a date (a document date)
    "date_line_signature": -8.0,  # …at the end of the text or after a signer: a signature
    "earlier_report": -6.0,  # "已于11时首报": the first report, not the event
    "dateline": -6.0,  # 新华社乌鲁木齐4月27日电, 【大纪元11月19日报导】: when the news item was filed
    "reporter_learned": -3.0,  # 记者14日从公安部获悉, 26日，记者从…了解到: when the reporter heard of it
    "reporter_learned_in_followup": -1.0,  # …in a follow-up it may be the only dating of the new development
    "listed_case": -5.0,  # a publication of 典型案例: a date inside the listed (closed) cases is background
    # rules between phrases
    "after_opening_event": -1.0,  # later in the text and in time than the paragraph-opening event
    "refines": 0.3,  # a finer phrase inside a coarser, positive one scores at least that one + this
    "followup_subject": -10.0,  # a follow-up's subject names the original case
    "followup_recap": -10.0,  # the recap of the original event in a follow-up
    "followup_new": 4.0,  # the first acceptable phrase after the recap: the new development
    "followup_restates": -10.0,
    # a follow-up opening with "记者今日从…获悉，…调查报告已经出炉" and no recap: the day the development was
    # heard of dates it, unless the text states the development's own time
    "followup_heard": 3.0,  # after the recap, a phrase not later than the original event: background
}


# How far a line's head or tail is looked at for date lines and headers.
_LINE_REACH = 120


# How many later phrases a coarse phrase looks through for one that refines it (keeps scoring linear).
_REFINE_WINDOW = 40


_EVENT_WORDS_RE = re.compile(
    "发生|接到|接报|报警|报告称|突发|起火|着火|失火|火灾|爆炸|爆燃|泄漏|泄露|困人|倒塌|坍塌|坠落|"
    "出现|事故|伤亡|死亡|受伤|中毒|召开|举办|开展|组织|检查|抽查|举行|督查|查处|查获|约谈|调研|启动|"
    "停运|故障|冒顶|断裂|侧翻|追尾|曝光|播出|聚集|反映|冲顶|逆行|滞留|坠梯|失控|"
    "发布|公布|通报|回应|宣布|披露|查出|检出|拘捕|刑拘|逮捕|抓获|捣毁|判决|宣判"
)


# Of the event words, those that tell that someone told of an event.
_REPORT_WORDS_RE = re.compile("通报|发布|公布|回应|宣布|披露|反映|报告称")


# Follow-up actions: a time in such a clause is the response, not the event.
_RESPONSE_BEFORE_RE = re.compile("接报后|接到.{0,10}后|发生后|事发后|随后|之后|立即|迅速|随即|连夜|第一时间")


_RESPONSE_AFTER_RE = re.compile(
    "到达|赶到|赶赴|抵达|到场|救出|扑灭|解救|恢复|撤离|送医|处置完毕|结束"
    # traditional characters, and the reporter arriving (1月15日下午5時許，華商報記者來到…)
    "|到達|趕到|趕赴|抵達|撲滅|撤離|送醫|記者來到|记者来到"
)


# A date that only qualifies a noun (…发生的事故, …召开的会议) or sets the background (针对, 按照).
_ATTRIBUTIVE_AFTER_RE = re.compile(
    r"[^，,。；;、]{0,20}?(?:发生|召开|印发|下发|举办|部署|发布|开展|举行|出台)的"
)


_BACKGROUND_BEFORE_RE = re.compile("针对|按照|根据|依据|依照|鉴于|吸取|对照|贯彻|落实")


# A follow-up (续报) narrates what happened since the first report: the original event is background.
_FOLLOWUP_RE = re.compile(
    r"(?<!及时)(?<!随时)(?<!将)(?<!再)(?<!另行)(?<!做好)(?<!需要)(?<!如何)(?<!报送)(?<!上报)(?<!按时)续报|(?<![新得性极显要大著])进展|第[二三四五六七八九十\d]{1,2}次报告"
    r"|结报|终报|处置结束|处置完毕|处置情况|处置结果|处理结果|最新情况|后续处置|后续情况|善后处[置理]"
    r"|进一步情况|" + NEWS_DEVELOPMENT
    # news follow-ups name the development in the headline (shared with the classifier): 原因查明, 被刑拘
)


# …in the body only as a label or a transition (a training on 续报和终报 is no follow-up)
_FOLLOWUP_BODY_RE = re.compile(
    r"【续报[^】\n]{0,4}】|[（(]续报[^）)\n]{0,3}[）)]|续报如下|现续报|现将[^。\n]{0,24}?(?:续报|进展|最新情况|处置情况)"
    r"|第[二三四五六七八九十\d]{1,2}次报告|(?:此|本次|本报告)为终报|特此终报"
)


_FOLLOWUP_WINDOW = 200


_ORIGINAL_EVENT_RE = re.compile(r"(?:后|事件|事故|案件|一案)\s*$")


# The recap of the original event opening a follow-up: "11月20日14时许，某地发生…。", "…事故发生后，".
_RECAP_RE = re.compile(
    "发生|首报|已于[^。\n]{0,15}报|前期|此前|曝光|上访|聚集|传播|发文|爆料|引发|倒塌|爆炸|爆燃|泄漏|泄露|困人|"
    "起火|着火|失火|坍塌|垮塌|坠落|坠亡|遇难|伤亡|查获|事件|事故|案件|一案|一事|故障|中毒|传闻|网传"
)


_RECAP_STRONG_RE = re.compile("发生|首报|已于[^。\n]{0,15}报|前期|此前|曝光")


# …unless the phrase's own clause already tells a development (检验结果, 作出处罚, 完成, 恢复…).
_DEVELOPMENT_RE = re.compile(
    "通报|出具|检验|检测|结果|查明|确认|认定|处罚|立案|出院|完成|召开|追回|移送|恢复|成立|约谈|封存|控制|救出|"
    "扑灭|散去|平息|康复|抢救无效|达成|解除|撤销|复查|勘[查察]|进展"
    # the courts and accountability (12月29日上午，法院公开审理并当庭宣判…事故案)
    "|宣判|审理|判处|判决|刑拘|拘留|批捕|逮捕|起诉|问责|追责|处分|免职|出炉"
    # an announcement of the news (20日零时30分在新闻发布会上宣布)
    "|宣布|发布会|公布"
)


_SENTENCE_END_RE = re.compile(r"[。！？!?]")


# the recap also ends at its own label: "…泄漏事件续报：泄漏点于11:40封堵完毕"
_RECAP_STOP_RE = re.compile(
    r"[。！？；;!?\n]|(?:后|事件|事故|案件|一案|一事)[，,]|(?:续报|进展|最新情况)[：:]"
)


_TRANSITION_RE = re.compile(
    r"现将[^。\n]{0,24}?(?:续报|报告|报送|汇报|通报)如下[：:]?|现(?:续报|报告|报送|汇报)(?:如下)?[：:]|续报如下[：:]"
)


_COMMA_RE = re.compile(r"[，,。；;！？\n]")


# a paragraph's start, also after a news lead (本报讯, （记者 张三）): "本报讯 23日，…发生…"
_OPENING_BEFORE_RE = re.compile(
    r"(?:^|\n)[\s　]*(?:【[^】\n]{0,8}】)?[\s　]*(?:本报讯|本報訊)?[\s　]*(?:[（(]记者[^）)\n]{0,30}[）)])?[\s　]*$"
)


# "据《新快报》等媒体报道，本月初，…": a cited source's lead-in; the phrase after it opens the account
_SOURCE_LEAD_RE = re.compile(r"(?:^|[\n。])[\s　]*据[^，,。；;\n]{1,30}(?:报道|消息|介绍|通报)[，,][\s　]*$")


# "截至9月30日，全区共…" opening the body or a paragraph: a statistics report's cut-off is its event
_CUTOFF_OPENING_RE = re.compile(
    r"(?:^|\n)[\s　]*(?:【[^】\n]{0,8}】)?[\s　]*(?:据统计[，,]?|据不完全统计[，,]?)?[\s　]*(?:截至|截止到|截止)[\s　]*$"
    # …or a sentence, or what a spokesman states: "。截至6日19时，全国…", "马晓伟今天表示，截至9月15日早8时，…"
    r"|(?:[。！？!?]|(?:表示|获悉|了解到|介绍|通报|显示|指出)[，,：:])[\s　]*(?:据统计[，,]?)?[\s　]*(?:截至|截止到)[\s　]*$"
)


# An issuing notice (…办法》已经…同意，现印发给你们): its signature date is when the document was issued.
_ISSUING_RE = re.compile(r"现(?:将[^。\n]{0,40}?)?(?:印发|下发|发)给你们|现予(?:印发|公布)|现印发")


_CLAUSE_END_RE = re.compile(r"[。；;！!？?\n]")


_LAST_CLAUSE_END_RE = re.compile(r".*[。；;！!？?\n]", re.S)


_FUTURE_RE = re.compile("将于|将在|拟于|拟在|计划于|计划在|定于|预计于|预计在|准备于|下一步|即将|将要")


_FUTURE_SENTENCE_RE = re.compile("下一步|下阶段|今后")


# "春节临近", "国庆将至": the time ahead; "8月1日至11月10日为集中排查整治阶段": a work plan's phase
_SCHEDULE_AFTER_RE = re.compile(
    # 春节临近; 元旦、春节”来临之际 (the time ahead, also after a list of festivals); 8月1日至11月10日为…阶段
    r"(?:[、和与及][^，,。；;\n]{1,6}?)?[”\"’]?\s*(?:临近|将至|来临|即将到来|到来之际|为[^，,。；;\n]{0,14}阶段)"
)


_DEADLINE_BEFORE_RE = re.compile(
    "请于|请在|务必于|务必在|须于|需于|必须于|应于|应在|截止|最迟|不迟于|限于|要求于|并于"
)


_DEADLINE_AFTER_RE = re.compile(r"\s*(?:前(?!后)|之前|以前|为止|止(?!血)|截止|内(?!容))")


_SINCE_AFTER_RE = re.compile(r"\s*(?:以来|至今|起(?!火|重|步))")


_BIRTH_AFTER_RE = re.compile(
    r"\s*(?:出生|生人|生，|建成|始建|注册|颁布|印发|施行|起施行|起实施|投产|竣工|发布的|通过(?=[）)，,。的])|修订|修正|公布)"
)


_VAGUE_MONTH_AFTER_RE = re.compile(r"\s*(?:上旬|中旬|下旬|中下旬|初|底|末|中|以来|至今)")


# A research piece (调研信息) has no incident: its time is that of the research activity it reports
# ("10月22日至25日，区局调研组赴…", "5月中旬，我局…进行了入户调查"). A date whose sentence tells no
# such activity is the piece's material (an incident it discusses, a law's adoption, a publication):
# real research texts quote those and are labelled with no event time (70 of 72 in the corpora).
_RESEARCH_ACTIVITY_RE = re.compile(
    r"调研|(?<![的])调查(?!结果|报告|组(?:认定|查明|公布|通报))|走访|实地|座谈|问卷|抽样|入户|专题研究|摸底|评议"
)


def research_activity(text: str, span: tuple[int, int]) -> re.Match[str] | None:
    """The research activity told in the sentence of the phrase at ``span`` (normalised text), if any."""
    stop = _CLAUSE_END_RE.search(text, span[1], span[1] + 120)
    end = stop.start() if stop else min(len(text), span[1] + 120)
    last = _LAST_CLAUSE_END_RE.match(text, max(0, span[0] - 40), span[0])
    begin = last.end() if last else max(0, span[0] - 40)
    return _RESEARCH_ACTIVITY_RE.search(text, begin, end)


_OLD_DAYS = 90


_FESTIVAL_PERIOD_RE = re.compile("(?:期间|假期|长假|小长假|黄金周)$")


_YU_BEFORE_RE = re.compile(r"(?<![将拟定请须需应必并源由属对关基等])于\s*$")


_HOLIDAY_ANNOT_RE = re.compile(r"^\s*(?:到|至)")


_CLAUSE_START_CHARS = frozenset("，,。；;：:！？!?、\n \t\u3000（(【")


# "经查，", "据报，" … and "在"/"自" / a subject before the time ("我局于" is yu_before).
_LEAD_IN_RE = re.compile(r"(?:^|[，,。；;：:\n])[^，,。；;：:\n]{0,12}?(?:在|自|从|截至|截止到|截止)\s*$")


# Dates that are not the event: a forwarded mail's header, a document's date, a signature line.
_HEADER_BEFORE_RE = re.compile(
    r"(?:(?:发送|发件|收件|印发|成文|报送|填报|制表|签发|发文|打印)(?:时间|日期)|^\s*(?:Date|Sent|日期))\s*[:：]\s*$",
    re.I | re.M,
)


_BRACKETS_RE = re.compile(r"[\s（()）【】\[\]]*")


_SIGNER_BEFORE_RE = re.compile(
    r"\s*[^\s，,。；;：:！？]{2,30}?(?:局|处|室|办|院|所|中心|委|会|站|队|科|组|[\u4e00-\u9fff]{2,3})\s+"
)


# "（已于11时25分首报）", "已于当日报告": the first report, not a development.
_EARLIER_REPORT_BEFORE_RE = re.compile(r"(?:已于|已在|曾于|于)\s*$")


_EARLIER_REPORT_RE = re.compile(r"\s*(?:首报|初报|报告|上报|报送|电话报告|报区局|报告区局)")


# "记者14日从公安部获悉", "26日，记者从…了解到": the day the reporter heard, not the event
_REPORTER_BEFORE_RE = re.compile(r"记者\s*$")


_LEARNED = r"(?:获悉|了解到|得知|获知|证实)"


_REPORTER_LEARNED_RE = re.compile(rf"\s*(?:(?:从|在|向|自)[^，,。；;！？\n]{{0,30}}?)?{_LEARNED}")


_REPORTER_AFTER_RE = re.compile(rf"\s*[，,]\s*记者\s*(?:从|在|向|自)[^，,。；;！？\n]{{0,30}}?{_LEARNED}")


def _score(
    text: str,
    span: tuple[int, int],
    event: EventTime,
    reference: datetime,
    rank: int,
    followup: bool,
    info: TextInfo,
    explains: bool = False,
    dateline: bool = False,
    news_followup: bool = False,
) -> tuple[float, list[str], bool]:
    """Score one phrase → (score, reasons, opens a paragraph).

    A clause ends at 。；！？ or a newline.
    """
    start, end = span
    last = _LAST_CLAUSE_END_RE.match(text, max(0, start - 60), start)
    clause_start = last.end() if last else 0
    nxt = _CLAUSE_END_RE.search(text, end, end + 60)
    clause_end = nxt.start() if nxt else len(text)
    before = text[max(clause_start, start - 30) : start]
    sentence_before = text[max(clause_start, start - 60) : start]
    after = text[end : min(clause_end, end + 40)]
    sentence_after = text[end : min(clause_end, end + 60)]
    reasons: list[str] = []
    base = WEIGHTS[event.granularity.value]
    score = base
    reasons.append(f"{event.granularity.value}:+{base}")

    def add(name: str, detail: str = "") -> None:
        nonlocal score
        value = WEIGHTS[name]
        score += value
        reasons.append(f"{name}{':' + detail if detail else ''}:{value:+}")

    # "截至9月30日，全区共…" opening the body or a paragraph: the cut-off of a statistics report is
    # its event (no cumulative_until penalty), but the counted work after it (累计检查) is no event word
    cutoff_opening = bool(
        not followup
        and _CUTOFF_OPENING_RE.search(text, max(0, start - 20), start)
        and text[end : end + 1] in ("，", ",", " ", "")
    )
    # "记者14日从公安部获悉，…启动…": the event words after it tell what was heard, not when it happened
    reporter = not dateline and bool(
        (_REPORTER_BEFORE_RE.search(before) and _REPORTER_LEARNED_RE.match(text, end))
        or _REPORTER_AFTER_RE.match(text, end)
    )
    word = (
        None
        if cutoff_opening or reporter
        else _EVENT_WORDS_RE.search(after) or _EVENT_WORDS_RE.search(before[-15:])
    )
    if word:
        # 通报/反映/发布 …: someone told of it (an event for a publication, but the incident's own time,
        # when the text also gives one, wins: "3月12日上午，…监测到网帖反映，3月11日，…出现呕吐")
        add("report_word" if _REPORT_WORDS_RE.fullmatch(word.group()) else "event_word", word.group())
    yu = bool(_YU_BEFORE_RE.search(before))
    if yu:
        add("yu_before")
    if not (word or yu or start == 0 or text[start - 1] in _CLAUSE_START_CHARS or _LEAD_IN_RE.search(before)):
        # nothing says this is when something happened: a date in passing (会议精神, 文件, 报告日期…)
        add("no_event_evidence")
    if _FESTIVAL_PERIOD_RE.search(text, max(start, end - 6), end):
        add("festival_period")
    if rank == 0:
        add("first_phrase")
    elif rank == 1:
        add("second_phrase")
    lead = _OPENING_BEFORE_RE.search(text, max(0, start - 12), start)
    opening = bool(
        lead is not None
        and text[end : end + 1] in ("，", ",", " ", "")
        # "本报讯 5月14日，记者从…了解到": a news lead before the day the reporter heard opens nothing
        and not (reporter and lead.group().strip())
    )
    if opening:
        add("opens_paragraph")
    elif cutoff_opening:
        if event.granularity is Granularity.MONTH:  # a month scores 0: without this it never wins
            add("statistics_cutoff_month")
        else:
            reasons.append("statistics_cutoff")  # no cumulative_until penalty; an activity date still wins
    elif (
        event.granularity is Granularity.MONTH
        and 0 <= info.first_newline < start
        and not _SOURCE_LEAD_RE.search(text, max(0, start - 40), start)
    ):
        # "我处于今年7月组织调研", "6月至7月，调研组…": a month in passing in the body, not the reported
        # event; a report about a month's activity opens with it ("今年6月，哈密市局…") or names it in
        # the subject ("10月份行政审批工作情况")
        add("month_in_passing")
    own_clause = _COMMA_RE.split(after.lstrip("，, \t\u3000"), 1)[
        0
    ]  # "…许，某地发生…，10时40分救出": not 救出
    if _RESPONSE_BEFORE_RE.search(before) or _RESPONSE_AFTER_RE.search(own_clause):
        add("response_in_followup" if followup or news_followup else "response")
    if followup:
        comma = _COMMA_RE.search(text, end, end + 60)
        if _ORIGINAL_EVENT_RE.search(text[end : comma.start() if comma else end + 60]):
            add("followup_original_event")
    if _ATTRIBUTIVE_AFTER_RE.match(after):
        add("attributive")
    if _BACKGROUND_BEFORE_RE.search(before[max(before.rfind("，"), before.rfind(",")) + 1 :]):
        add("background")
    if explains:
        add("explains")
    elif start > 0 and text[start - 1] in "（(":
        add("parenthetical")
    if _DEADLINE_AFTER_RE.match(text, end) or _DEADLINE_BEFORE_RE.search(before):
        add("deadline")
    # 截至… in a follow-up (also one the classifier recognised by its headline): the toll as of then is the news
    if not followup and not news_followup and not cutoff_opening and ("截至" in before or "截止" in before):
        add("cumulative_until")
    if _SINCE_AFTER_RE.match(text, end):
        add("since")
    # 将于/拟于 bind the clause they stand in ("世界计量日即将来临，…，今天上午举办" is no plan); 下一步 the sentence
    clause_before = sentence_before[max(sentence_before.rfind("，"), sentence_before.rfind(",")) + 1 :]
    if (
        _FUTURE_RE.search(clause_before)
        or _FUTURE_SENTENCE_RE.search(sentence_before)
        or _FUTURE_RE.match(sentence_after)
    ):
        add("future_plan")
    elif _SCHEDULE_AFTER_RE.match(text, end):
        add("schedule")
    birth = _BIRTH_AFTER_RE.match(text, end)
    if birth and (followup or news_followup) and birth.group().strip() in ("公布", "发布的"):
        birth = None  # 纪委10月16日公布的信息: in a follow-up the publication is the news
    if birth or before.endswith("成立于"):
        add("birth_or_founding")
    if text.rfind("《", max(0, start - 80), start) > text.rfind("》", max(0, start - 80), start):
        add("in_title")
    age = reference - event.end
    if event.start > reference + timedelta(days=1):
        add("after_reference")
    elif any(r.startswith("statistics_cutoff_month") for r in reasons):
        pass  # "截至2021年年底，全国…" in an annual report published months later: the age is expected
    elif age > timedelta(days=_OLD_DAYS):
        add("long_before_reference")
    elif age > timedelta(days=30):
        add("month_before_reference")
    elif age > timedelta(days=7):
        add("week_before_reference")
    # a line head or tail longer than _LINE_REACH cannot be a date line's: look no further (linear time)
    line_start = text.rfind("\n", max(0, start - _LINE_REACH), start) + 1 or max(0, start - _LINE_REACH)
    line_end = text.find("\n", end, end + _LINE_REACH)
    if line_end < 0:
        line_end = min(len(text), end + _LINE_REACH)
    line_head = text[line_start:start]
    line_tail = text[end:line_end]
    if _HEADER_BEFORE_RE.search(text, max(line_start, start - 16), start):
        add("header_or_document_date")
    elif (
        not info.single_line()
        and event.granularity in (Granularity.DAY, Granularity.MONTH)  # "24日下午5点半左右" on its line: news
        and _BRACKETS_RE.fullmatch(line_tail)
        and (_BRACKETS_RE.fullmatch(line_head) or _SIGNER_BEFORE_RE.fullmatch(line_head))
    ):
        # a line holding only a date (or a signer and a date): a signature or a document date
        if info.issuing() and event.granularity is Granularity.DAY:
            add("issued_on")
            return score, reasons, opening
        add(
            "date_line_signature"
            if info.is_tail(line_end) or _SIGNER_BEFORE_RE.fullmatch(line_head)
            else "date_line"
        )
    if _EARLIER_REPORT_RE.match(text, end) and _EARLIER_REPORT_BEFORE_RE.search(before):
        add("earlier_report")
    if start >= info.cases_from():
        add("listed_case")
    if dateline:
        add("dateline")
    elif reporter:
        add("reporter_learned_in_followup" if followup or news_followup else "reporter_learned")
    return score, reasons, opening


# a subject publishing typical (closed) cases: 公布…典型案例, 典型案件, 案例选编
_CASES_SUBJECT_RE = re.compile("典型案[例件]|案例选编|案例汇编")


class TextInfo:
    """Facts about the whole text, computed once, so that scoring each phrase stays bounded."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.first_newline = text.find("\n")
        self._tail_from: int | None = None
        self._single: bool | None = None
        self._issuing: bool | None = None
        self._cases_from: int | None = None

    def cases_from(self) -> int:
        """Where the listed cases of a 典型案例 publication begin (after the body's first paragraph),
        or past the end when the subject publishes no cases."""
        if self._cases_from is None:
            subject = self.text[: self.first_newline] if self.first_newline >= 0 else ""
            self._cases_from = len(self.text) + 1
            if _CASES_SUBJECT_RE.search(subject):
                para = self.text.find("\n", self.first_newline + 1)
                if para >= 0:
                    self._cases_from = para
        return self._cases_from

    def single_line(self) -> bool:
        """The text holds one non-blank line only (a bare phrase is no signature)."""
        if self._single is None:
            self._single = "\n" not in self.text.strip()
        return self._single

    def issuing(self) -> bool:
        """The text issues a document (现印发给你们): its signature date is the issuing, the event."""
        if self._issuing is None:
            self._issuing = bool(_ISSUING_RE.search(self.text))
        return self._issuing

    def is_tail(self, pos: int) -> bool:
        """Only a few short lines (signature, contact) follow the line end ``pos``."""
        if self._tail_from is None:
            self._tail_from = _tail_start(self.text)
        return pos >= self._tail_from


def _tail_start(text: str) -> int:
    """The smallest line end after which at most 3 non-blank lines of at most 40 characters follow.

    Scans from the end only as far as the first line that blocks (a 4th non-blank line or a long one).
    """
    end = len(text)
    nonblank = 0
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end].strip()
        if line:
            nonblank += 1
            if nonblank > 3 or len(line) > 40:
                return start
        end = start - 1
    return 0


_FINENESS = {
    Granularity.MINUTE: 0,
    Granularity.HOUR: 1,
    Granularity.PART_OF_DAY: 2,
    Granularity.DAY: 3,
    Granularity.MONTH: 4,
}


# a phrase naming its day (14日下午5时30分, 昨天下午) restates the date it refines
_OWN_DAY_RE = re.compile("(?<!当)[日天]|[号昨今]|当[晚夜]")


# a headline's part of day with no day of its own (凌晨, 今日上午 is not): its day was only assumed
_BARE_POD_RE = re.compile(r"[凌清早上中午下傍晚夜深半间里晨]{1,3}(?:许|时分)?")


def _inside(fine: EventTime, coarse: EventTime) -> bool:
    """Whether ``fine`` lies in ``coarse``: within its span, a little before a part of day (上午 is 8-12
    for its gold time, but 7时49分 is still 上午), or at that part of day on a nearby day when the
    coarse phrase is a bare part of day (headline "凌晨", body "2日凌晨3时40分")."""
    if coarse.start <= fine.start and fine.end <= coarse.end:
        return True
    if coarse.granularity is not Granularity.PART_OF_DAY:
        return False
    if coarse.start - timedelta(hours=2) <= fine.start and fine.end <= coarse.end:
        return True
    if not _BARE_POD_RE.fullmatch(coarse.text.strip()):
        return False
    days = (coarse.start.date() - fine.start.date()).days
    f0, f1 = fine.start.time(), (fine.end - timedelta(seconds=1)).time()
    c0, c1 = coarse.start.time(), (coarse.end - timedelta(seconds=1)).time()
    return 0 < days <= 2 and c0 <= f0 and f1 <= c1


def _narrative(
    events: list[EventTime],
    scores: list[float],
    reasons: list[list[str]],
    openings: list[bool],
    followup: bool,
    text: str = "",
    spans: list[tuple[int, int]] | None = None,
) -> None:
    """Rules between phrases, in place.

    * A report opens with the event: a phrase later in the text whose time is after the
      paragraph-opening phrase's is a follow-up (-1).
    * A finer phrase inside a coarser, positively scored one refines it (subject "11月22日…",
      body "当日17时许…"): the earliest such phrase in time (the first in the text on a tie) scores at
      least the coarse one + 0.3. A clock time in a later paragraph refines only when it tells the
      event (an event word): "今天上午，…举行… \n 上午九点，不少市民…" and the rescue's "上午10点左右，…发现"
      narrate what followed.
    """
    first_open = None if followup else next((k for k, o in enumerate(openings) if o and scores[k] > 0), None)
    if first_open is not None:
        lead = events[first_open]
        for k in range(first_open + 1, len(events)):
            ev = events[k]
            if ev.start >= lead.end and not (lead.start <= ev.start and ev.end <= lead.end):
                scores[k] += WEIGHTS["after_opening_event"]
                reasons[k].append(f"after_opening_event:{WEIGHTS['after_opening_event']:+}")
    for a, coarse in enumerate(events):
        if scores[a] <= 0:
            continue
        best: int | None = None  # the earliest refining phrase in time (25日晚 … 22时10分起火, 22时40分爆炸)
        for b in range(a + 1, min(len(events), a + 1 + _REFINE_WINDOW)):
            fine = events[b]
            if (
                _FINENESS[fine.granularity] < _FINENESS[coarse.granularity]
                and not any(
                    r.startswith(("response", "date_line", "header_or_document_date")) for r in reasons[b]
                )
                and _inside(fine, coarse)
                and (best is None or fine.start < events[best].start)
                and (
                    spans is None
                    or "\n" not in text[spans[a][1] : spans[b][0]]
                    or any(r.startswith("event_word") for r in reasons[b])
                    or _OWN_DAY_RE.search(fine.text) is not None
                )
            ):
                best = b
        if best is not None and scores[a] + WEIGHTS["refines"] > scores[best]:
            scores[best] = scores[a] + WEIGHTS["refines"]
            reasons[best].append(f"refines:{coarse.text}")


def _recap_end(
    text: str, spans: list[tuple[int, int]], reasons: list[list[str]], body: int
) -> tuple[int, int | None] | None:
    """Where the recap of the original event ends in a follow-up, or None when there is none.

    An explicit transition (现将…续报如下：) ends what comes before it. The first usable phrase after
    it (or in the body) opens a recap when its sentence (up to 。 or "…事故，"/"…后，") tells the
    original event (发生, 事故, 曝光, 已于…报告…) and its own clause tells no development (检验结果,
    处罚, 完成, 恢复…); the recap must open the body, the transition or a paragraph. A news dateline
    (新华社…6日电) and the day the reporter heard (记者6日从…获悉) are passed over.

    Returns (where the recap ends, the rank of the recap's phrase or None).
    """
    transition = _TRANSITION_RE.search(text, body)
    begin = transition.end() if transition is not None else body
    fallback = (begin, None) if transition is not None else None
    for rank, ((start, end), why) in enumerate(zip(spans, reasons, strict=True)):
        if start < begin or any(
            r.startswith(("header_or_document_date", "date_line", "dateline", "reporter_learned"))
            for r in why
        ):
            continue
        if "截至" in text[max(begin, start - 3) : start] or "截止" in text[max(begin, start - 3) : start]:
            return fallback
        if not _OPENING_BEFORE_RE.search(text, max(0, start - 12), start) and _SENTENCE_END_RE.search(
            text, begin, start
        ):
            return fallback  # the recap opens the body or a paragraph, not the middle of the narrative
        stop = _RECAP_STOP_RE.search(text, end)
        stop_at = stop.end() if stop else len(text)
        region = text[end:stop_at]
        lead = region.lstrip("，,、 \t\u3000")
        clause = _COMMA_RE.split(lead, 1)[0]
        recap = _RECAP_RE if transition is None else _RECAP_STRONG_RE  # after 现将…如下 the recap says so
        if recap.search(region) and not _DEVELOPMENT_RE.search(clause):
            return stop_at, rank
        return fallback
    return fallback


# what keeps a phrase after a follow-up's recap from being the new development, whatever its score
_NOT_NEW = (
    "deadline",
    "future_plan",
    "in_title",
    "header_or_document_date",
    "date_line",
    "dateline",
    "earlier_report",
    "birth_or_founding",
    "after_reference",
    "since",
    "attributive",
    "response:",
    "parenthetical",
)


def _followup(
    text: str,
    spans: list[tuple[int, int]],
    scores: list[float],
    reasons: list[list[str]],
    events: list[EventTime],
) -> None:
    """A follow-up reports what happened since the first report: the recap is background (-10) and the
    first acceptable phrase after it is the new development (+4). A phrase that restates the original
    event or goes back before it (a second "5月6日下午" in the narrative) is not new. With no new phrase
    there is no event."""
    newline = text.find("\n")
    body = newline + 1 if newline >= 0 else 0
    for k, (start, _) in enumerate(spans):
        if start < body:
            # the subject of a follow-up names the case: "关于11月23日某县锅炉爆炸事故的续报"
            scores[k] += WEIGHTS["followup_subject"]
            reasons[k].append(f"followup_subject:{WEIGHTS['followup_subject']:+}")
    recap = _recap_end(text, spans, reasons, body)
    if recap is None:
        # no recap opens the body: "记者今日从市安监局获悉，去年12月发生的…事故调查报告已经出炉" — the first
        # phrase is the day the development was heard of, and its sentence tells the development
        first = next((k for k, (start, _) in enumerate(spans) if start >= body), None)
        if first is not None and any(r.startswith("reporter_learned") for r in reasons[first]):
            end = _SENTENCE_END_RE.search(text, spans[first][1])
            if _DEVELOPMENT_RE.search(text, spans[first][1], end.start() if end else len(text)):
                scores[first] += WEIGHTS["followup_heard"]
                reasons[first].append(f"followup_heard:{WEIGHTS['followup_heard']:+}")
                for k in range(first + 1, len(spans)):
                    if events[k].end <= events[first].start - timedelta(days=1):  # the original event
                        scores[k] += WEIGHTS["followup_restates"]
                        reasons[k].append(f"followup_restates:{WEIGHTS['followup_restates']:+}")
        return
    recap_end, recap_rank = recap
    original = events[recap_rank] if recap_rank is not None else None
    recap_start = spans[recap_rank][0] if recap_rank is not None else body
    new_found = False
    for k, (start, _) in enumerate(spans):
        if start < body:
            continue
        if start < recap_start and any(r.startswith("reporter_learned") for r in reasons[k]):
            # "记者1月21日从省纪委获悉，29名公职人员被追责问责。" before the recap: the development's news
            if not new_found:
                new_found = True
                scores[k] += WEIGHTS["followup_new"]
                reasons[k].append(f"followup_new:{WEIGHTS['followup_new']:+}")
        elif start < recap_end:
            scores[k] += WEIGHTS["followup_recap"]
            reasons[k].append(f"followup_recap:{WEIGHTS['followup_recap']:+}")
        elif original is not None and events[k].start < original.end:
            scores[k] += WEIGHTS["followup_restates"]
            reasons[k].append(f"followup_restates:{WEIGHTS['followup_restates']:+}")
        elif not new_found and (scores[k] > 0 or not any(r.startswith(_NOT_NEW) for r in reasons[k])):
            # the new development may be dated long before a repost, or told without an event word
            new_found = True
            scores[k] += WEIGHTS["followup_new"]
            reasons[k].append(f"followup_new:{WEIGHTS['followup_new']:+}")
