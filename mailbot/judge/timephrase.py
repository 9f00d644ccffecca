"""Chinese time expressions in report text → when the reported event happened.

Pure: no clock (the message's sending time is the ``reference``), no I/O. Regexes are compiled once.

A *phrase* is an optional zone prefix (北京时间 = UTC+8, 新疆时间 = UTC+6), an optional date
(``2026年11月25日``, ``2026-11-25``, ``11月25日``, ``25日``, ``十一月二十五日``, ``本月25日``,
``今天``/``昨日``/``当日``/``次日``/``今晨``/``昨晚``…, ``上周五``/``周三``), an optional part of day and an
optional clock time (``14时30分``, ``14:30``, ``14点半``, ``2时许``), with an optional approximation
suffix (许/左右/前后/多) and an optional range tail (``至25日``, ``至16时``: the event starts at the start).

Spans (``start`` ≤ event < ``end``) by granularity:

* minute: the minute; hour (``14时``, ``14时许/左右``): the hour;
* day: 00:00 to the next day's 00:00; month: the calendar month;
* part of day, local time: 凌晨 00–06, 清晨/早上/早晨/早间/今晨/今早 06–09, 上午 08–12,
  中午/午间 11–13, 下午/午后 12–18, 傍晚 17–19, 晚上/晚间/今晚/昨晚/当晚 18–24,
  夜间/夜里/今夜/昨夜/当夜 20–06 (next day), 深夜/半夜 23–03 (next day).

A bare hour after a part of day is read in it: 下午3时 → 15:00, 晚8时 → 20:00, 凌晨1时 → 01:00,
深夜1时 → 01:00 of the next day; 12时 stays 12:00.

Year inference: a month/day without a year is the most recent such date not after the reference
date + 1 day (so 12月30日 referenced in January is last year's). A day without a month takes the
month of the date mentioned just before it, else the most recent such day. 当日/同日/当天/次日 and
a clock time or part of day without a date refer to the date mentioned before them; with none,
to the reference date (the previous day when the time would be after the reference).

Also read as dates: a dotted month.day at a clause start before a comma, a clock time or a part of day
(``11.25，``, ``11.25 15:10``; not ``11.25万元``, ``93.6%``), and a date's own part of day (``12月29日当晚``,
``12月29日当天上午``). ``N号`` between two nouns (``某商场3号电梯``) is a label, not a day.

A statistics report opening a paragraph with ``截至X，`` is about the state at X (no 截至 penalty). A
month alone in the body that does not open a paragraph (``我处于今年7月组织调研``) is mentioned in
passing and is not the event. A range tail may carry its own year (``2026年12月31日至2027年1月2日``).

Which phrase is the event: see :func:`find_time_phrases` (every candidate, with its score and the
reasons) and :func:`extract_event_time` (the best candidate with a positive score).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from mailbot.model import EventTime, Granularity

__all__ = ["Candidate", "extract_event_time", "find_time_phrases"]

XINJIANG_TIME = timezone(timedelta(hours=6), "新疆时间")
BEIJING_TIME = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Candidate:
    """One time phrase found in the text, resolved, with the score that ranks it as the event."""

    text: str  # the phrase as it stands in the text
    span: tuple[int, int]  # character offsets in the text
    position: int  # rank among the phrases, 0 = first in the text
    event: EventTime
    score: float
    reasons: tuple[str, ...]  # why the score is what it is, e.g. ("minute:+3.0", "event_word:发生:+1.5")


# ---------------------------------------------------------------------------------------------
# Patterns

_CN_DIGITS = "〇零一二三四五六七八九十廿卅两"
_NB = rf"(?<![\d{_CN_DIGITS}.．])"  # a number starts here, not inside another number
_N2 = rf"(?:\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})"
_YEAR = r"(?:\d{4}|[〇零一二三四五六七八九]{4})"

_POD_WORDS = "凌晨|清晨|早上|早晨|早间|一早|上午|中午|午间|下午|午后|傍晚|晚上|晚间|夜间|夜里|深夜|半夜"
_POD = rf"(?P<pod>{_POD_WORDS}|(?:晚|早|夜)(?=\s*{_N2}\s*[时点:：])|(?<=[日号当])(?:晚|夜)(?=[，,。、； \t\u3000\n]))"
# "12月29日当天上午", "12月29日当晚": the date's own part of day.
_SAME_DAY = r"(?:(?<=[日号])(?:当天|当日|当(?=[晚夜])))?"
_POD_PLAIN = rf"(?:{_POD_WORDS})"

_REL_WORDS = (
    "大前天|前天|前日|昨天|昨日|昨晨|昨晚|昨夜|今天|今日|今晨|今早|今晚|今夜|当天|当日|当晚|当夜|"
    "同日|同天|次日|翌日|第二天|前晚|前夜"
)
_CLOCK_NOT = (
    "速|代|期|间|节|候|效|任|髦|尚|事|段|差|装|令|针|意见|要求|建议|措施|做法|经验|内容|问题|原则|举措|"
    "共识|成效|体会|启示|任务|目标|情况|看法|工作|不足|变化|优势|成果|打算|思考|认识|理由"
)
_DATE = (
    rf"(?:{_NB}(?P<y>{_YEAR})\s*年\s*(?P<m>{_N2})\s*月(?:份)?\s*(?:(?P<d>{_N2})\s*[日号])?"
    rf"|(?<![\d.\-/])(?P<iy>\d{{4}})(?P<sep>[-./])(?P<im>\d{{1,2}})(?P=sep)(?P<id>\d{{1,2}})(?![\d.])"
    rf"|(?P<yrel>今年|去年|上年|明年)?(?:(?P<mrel>本|上|下|这|当|同)个?月|{_NB}(?P<m2>{_N2})\s*(?P<mr>(?:至|到|—|-|~|～)\s*{_N2}\s*)?月(?:份)?)"
    rf"\s*(?:(?P<d2>{_N2})\s*[日号](?![内楼院线机车令文房室门厂馆仓台井站口路街巷栋单元]|库(?![尔车])))?"
    rf"|(?<!每)(?P<wkrel>上上|上|本|这|下)?个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    rf"|(?P<rel>{_REL_WORDS})"
    # a dotted month.day at the start of a clause, before a comma, a clock time or a part of day
    # ("11.25，", "11.25 15:10"); not 11.25万元, 2.1版, 93.6%
    rf"|(?<![^\n，,。；;：:（(、 \t\u3000于在])(?P<dm>\d{{1,2}})\.(?P<dd>\d{{1,2}})"
    rf"(?=[，,]|\s+\d{{1,2}}[:：]\d{{2}}(?![\d:：])|\s*(?:{_POD_WORDS}))"
    rf"|(?<![\d{_CN_DIGITS}.．第〕\]）)a-zA-Z])(?P<d3>{_N2})\s*[日号](?![内楼院线机车令文房室门厂馆仓台井站口路街巷栋单元常均]|库(?![尔车]))"
    r")"
)
_WEEK_NOTE = (
    r"(?:\s*[（(]\s*(?:(?:\d{4}年)?\d{1,2}月\d{1,2}日|(?:周|星期|礼拜)[一二三四五六日天])\s*[）)]"
    r"|(?:周|星期|礼拜)[一二三四五六日天])?"
)
_CLOCK = (
    rf"(?:{_NB}(?P<h>{_N2})\s*[时点](?!{_CLOCK_NOT})(?:钟)?"
    rf"(?:\s*(?:(?P<mi>{_N2})\s*分(?:钟)?|(?P<half>半)|(?P<mi2>\d{{2}})(?![\d分万元%％.])|(?P<zheng>整)))?"
    rf"|(?<![\d.:])(?P<hh>\d{{1,2}})[:：](?P<mm>\d{{2}})(?:[:：]\d{{2}})?(?![\d:：]))"
)
_RANGE_TAIL = (
    r"(?P<range>\s*(?:至|到|——|—|–|－|~|～|-)\s*"
    rf"(?:(?:{_YEAR}\s*年\s*)?(?:{_N2}\s*月\s*)?{_N2}\s*[日号](?:\s*{_POD_PLAIN})?(?:\s*{_N2}\s*[时点](?:{_N2}分|半)?)?"
    rf"|(?:{_POD_PLAIN}\s*)?{_N2}\s*[时点](?:\s*{_N2}\s*分|半)?|\d{{1,2}}[:：]\d{{2}}))?"
)
_FIRST_CHARS = (
    rf"(?:(?<![\d.．])\d|[{_CN_DIGITS}周星礼凌清]|北京时|新疆时|乌鲁木齐时|今[天日晨早晚夜年]|去年|明年|昨|前[天日晚夜]|大前天"
    r"|[上本这下][上个月周星礼午]|[当同][天日晚夜月]|次日|翌日|第二天|早[上晨间]?|中午|午[间后]|傍晚|晚|夜|深夜|半夜)"
)
_PHRASE_RE = re.compile(
    (
        rf"(?=[\d{_CN_DIGITS}周星礼凌清北新乌今去明昨前大上本这下当同次翌第早中午傍晚夜深半一])(?={_FIRST_CHARS})(?P<tz>北京时间|新疆时间|乌鲁木齐时间)?\s*(?:{_DATE}{_WEEK_NOTE})?\s*{_SAME_DAY}(?:{_POD})?"
        rf"\s*(?:{_CLOCK})?(?P<approx>许|左右|前后|多)?{_RANGE_TAIL}"
    ).replace(r"\s", r"[ \t\u3000]")
)

# "N号" between two nouns (某商场3号电梯, 厂区2号锅炉) labels a thing; a day follows 于/在/至… or stands alone.
_LABEL_NUMBER_RE = re.compile(r"[\u4e00-\u9fff](?<![于在至到从自和及与])\d{1,2}号[\u4e00-\u9fff](?<![上下中凌早晚傍当])")
_CORE_GROUPS = ("y", "iy", "m2", "mrel", "wd", "rel", "dm", "d3", "pod", "h", "hh")
_FULLWIDTH_RE = re.compile("[０-９：．－]")
_FULLWIDTH = str.maketrans("０１２３４５６７８９：．－", "0123456789:.-")


def _halfwidth(m: re.Match[str]) -> str:
    return m.group().translate(_FULLWIDTH)


# Part-of-day spans: (start hour, end hour), end may exceed 24 (next day).
_POD_SPANS: dict[str, tuple[int, int]] = {
    "凌晨": (0, 6),
    "清晨": (6, 9),
    "早上": (6, 9),
    "早晨": (6, 9),
    "早间": (6, 9),
    "一早": (6, 9),
    "早": (6, 9),
    "上午": (8, 12),
    "中午": (11, 13),
    "午间": (11, 13),
    "下午": (12, 18),
    "午后": (12, 18),
    "傍晚": (17, 19),
    "晚上": (18, 24),
    "晚间": (18, 24),
    "晚": (18, 24),
    "夜间": (20, 30),
    "夜里": (20, 30),
    "夜": (20, 30),
    "深夜": (23, 27),
    "半夜": (23, 27),
}
_PM_PODS = frozenset({"下午", "午后", "傍晚", "晚上", "晚间", "晚", "夜间", "夜里", "夜", "深夜", "半夜"})
_NIGHT_PODS = frozenset({"夜间", "夜里", "夜", "深夜", "半夜"})

# Relative day words: (anchor, day offset, implied part of day). anchor "ref" = the reference
# date, "ctx" = the date mentioned before (the reference date when none).
_REL: dict[str, tuple[str, int, str | None]] = {
    "今天": ("ref", 0, None),
    "今日": ("ref", 0, None),
    "今晨": ("ref", 0, "早上"),
    "今早": ("ref", 0, "早上"),
    "今晚": ("ref", 0, "晚上"),
    "今夜": ("ref", 0, "夜间"),
    "昨天": ("ref", -1, None),
    "昨日": ("ref", -1, None),
    "昨晨": ("ref", -1, "早上"),
    "昨晚": ("ref", -1, "晚上"),
    "昨夜": ("ref", -1, "夜间"),
    "前天": ("ref", -2, None),
    "前日": ("ref", -2, None),
    "前晚": ("ref", -2, "晚上"),
    "前夜": ("ref", -2, "夜间"),
    "大前天": ("ref", -3, None),
    "当天": ("ctx", 0, None),
    "当日": ("ctx", 0, None),
    "同日": ("ctx", 0, None),
    "同天": ("ctx", 0, None),
    "当晚": ("ctx", 0, "晚上"),
    "当夜": ("ctx", 0, "夜间"),
    "次日": ("ctx", 1, None),
    "翌日": ("ctx", 1, None),
    "第二天": ("ctx", 1, None),
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}

# Scoring.
_GRANULARITY_SCORE = {
    Granularity.MINUTE: 3.0,
    Granularity.HOUR: 2.8,
    Granularity.PART_OF_DAY: 2.3,
    Granularity.DAY: 2.0,
    Granularity.MONTH: 0.0,
}
_EVENT_WORDS_RE = re.compile(
    "发生|接到|接报|报警|报告称|突发|起火|着火|失火|火灾|爆炸|爆燃|泄漏|泄露|困人|倒塌|坍塌|坠落|"
    "出现|事故|伤亡|死亡|受伤|中毒|召开|举办|开展|组织|检查|抽查|举行|督查|查处|查获|约谈|调研|启动|"
    "停运|故障|冒顶|断裂|侧翻|追尾|曝光|播出|聚集|反映|冲顶|逆行|滞留|坠梯|失控"
)
# Follow-up actions: a time in such a clause is the response, not the event.
_RESPONSE_BEFORE_RE = re.compile("接报后|接到.{0,10}后|发生后|事发后|随后|之后|立即|迅速|随即|连夜|第一时间")
_RESPONSE_AFTER_RE = re.compile("到达|赶到|赶赴|抵达|到场|救出|扑灭|解救|恢复|撤离|送医|处置完毕|结束")
# A date that only qualifies a noun (…发生的事故, …召开的会议) or sets the background (针对, 按照).
_ATTRIBUTIVE_AFTER_RE = re.compile(
    r"[^，,。；;、]{0,20}?(?:发生|召开|印发|下发|举办|部署|发布|开展|举行|出台)的"
)
_BACKGROUND_BEFORE_RE = re.compile("针对|按照|根据|依据|依照|鉴于|吸取|对照|贯彻|落实")
# A follow-up (续报) narrates what happened since the first report: the original event is background.
_FOLLOWUP_RE = re.compile(
    r"(?<!及时)(?<!随时)(?<!将)(?<!再)(?<!另行)(?<!做好)(?<!需要)(?<!如何)(?<!报送)(?<!上报)(?<!按时)续报|(?<![新得性极显要大著])进展|第[二三四五六七八九十\d]{1,2}次报告"
    r"|结报|终报|处置结束|处置完毕|处置情况|处置结果|处理结果|最新情况|后续处置|后续情况|善后处[置理]"
    r"|进一步情况"
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
    "起火|着火|失火|坍塌|坠落|查获|事件|事故|案件|一案|一事|故障"
)
_RECAP_STRONG_RE = re.compile("发生|首报|已于[^。\n]{0,15}报|前期|此前|曝光")
# …unless the phrase's own clause already tells a development (检验结果, 作出处罚, 完成, 恢复…).
_DEVELOPMENT_RE = re.compile(
    "通报|出具|检验|检测|结果|查明|确认|认定|处罚|立案|出院|完成|召开|追回|移送|恢复|成立|约谈|封存|控制|救出|"
    "扑灭|散去|平息|康复|抢救无效|达成|解除|撤销|复查|勘[查察]"
)
_SENTENCE_END_RE = re.compile(r"[。！？!?]")
# the recap also ends at its own label: "…泄漏事件续报：泄漏点于11:40封堵完毕"
_RECAP_STOP_RE = re.compile(r"[。！？；;!?\n]|(?:后|事件|事故|案件|一案|一事)[，,]|(?:续报|进展|最新情况)[：:]")
_TRANSITION_RE = re.compile(
    r"现将[^。\n]{0,24}?(?:续报|报告|报送|汇报|通报)如下[：:]?|现(?:续报|报告|报送|汇报)(?:如下)?[：:]|续报如下[：:]"
)
_COMMA_RE = re.compile(r"[，,。；;！？\n]")
_OPENING_BEFORE_RE = re.compile(r"(?:^|\n)[\s　]*(?:【[^】\n]{0,8}】)?[\s　]*$")
# "截至9月30日，全区共…" opening the body or a paragraph: a statistics report's cut-off is its event
_CUTOFF_OPENING_RE = re.compile(r"(?:^|\n)[\s　]*(?:【[^】\n]{0,8}】)?[\s　]*(?:截至|截止到|截止)[\s　]*$")
_CLAUSE_END_RE = re.compile(r"[。；;！!？?\n]")
_LAST_CLAUSE_END_RE = re.compile(r".*[。；;！!？?\n]", re.S)
_FUTURE_RE = re.compile("将于|将在|拟于|拟在|计划于|计划在|定于|预计于|预计在|准备于|下一步|即将|将要")
_DEADLINE_BEFORE_RE = re.compile(
    "请于|请在|务必于|务必在|须于|需于|必须于|应于|应在|截止|最迟|不迟于|限于|要求于|并于"
)
_DEADLINE_AFTER_RE = re.compile(r"\s*(?:前(?!后)|之前|以前|为止|止(?!血)|截止|内(?!容))")
_SINCE_AFTER_RE = re.compile(r"\s*(?:以来|至今|起(?!火|重|步))")
_BIRTH_AFTER_RE = re.compile(
    r"\s*(?:出生|生人|生，|建成|始建|注册|颁布|印发|施行|起施行|起实施|投产|竣工|发布的|通过(?=[）)，,。的])|修订|修正|公布)"
)
_VAGUE_MONTH_AFTER_RE = re.compile(r"\s*(?:上旬|中旬|下旬|中下旬|初|底|末|中|以来|至今)")
_OLD_DAYS = 90
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
_SIGNER_BEFORE_RE = re.compile(r"\s*[^\s，,。；;：:！？]{2,30}?(?:局|处|室|办|院|所|中心|委|会|站|队|科|组|[\u4e00-\u9fff]{2,3})\s+")
# "（已于11时25分首报）", "已于当日报告": the first report, not a development.
_EARLIER_REPORT_BEFORE_RE = re.compile(r"(?:已于|已在|曾于|于)\s*$")
_EARLIER_REPORT_RE = re.compile(r"\s*(?:首报|初报|报告|上报|报送|电话报告|报区局|报告区局)")


# ---------------------------------------------------------------------------------------------
# Numbers


def _cn_int(s: str) -> int:
    """``25``, ``二十五``, ``廿五``, ``十``, ``两``, ``二〇二六`` → int."""
    s = s.strip()
    if s.isascii() and s.isdigit():
        return int(s)
    digits = {
        "〇": 0,
        "零": 0,
        "一": 1,
        "二": 2,
        "两": 2,
        "三": 3,
        "四": 4,
        "五": 5,
        "六": 6,
        "七": 7,
        "八": 8,
        "九": 9,
    }
    tens = {"十": 1, "廿": 2, "卅": 3}
    for ch, mult in tens.items():
        if ch in s:
            head, _, tail = s.partition(ch)
            if mult != 1:
                high = -100 if head else mult
            elif head:
                high = digits.get(head, -100)
            else:
                high = 1
            low = digits.get(tail, -100) if tail else 0
            value = high * 10 + low
            return value if value >= 0 else -1
    value = 0
    for ch in s:
        if ch not in digits:
            return -1
        value = value * 10 + digits[ch]
    return value


# ---------------------------------------------------------------------------------------------
# Resolution


@dataclass
class _Context:
    reference: datetime
    last_date: date | None = None


def _valid_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _infer_year(m: int, d: int, ref: date) -> date | None:
    """The most recent month/day not after ``ref`` + 1 day."""
    limit = ref + timedelta(days=1)
    for y in range(limit.year, limit.year - 9, -1):
        cand = _valid_date(y, m, d)
        if cand is not None and cand <= limit:
            return cand
    return None


def _infer_month(d: int, ref: date) -> date | None:
    """The most recent day-of-month ``d`` not after ``ref`` + 1 day."""
    limit = ref + timedelta(days=1)
    y, m = limit.year, limit.month
    for _ in range(4):
        cand = _valid_date(y, m, d)
        if cand is not None and cand <= limit:
            return cand
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return None


def _shift_month(y: int, m: int, delta: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + delta
    return idx // 12, idx % 12 + 1


@dataclass(frozen=True)
class _Resolved:
    day: date | None
    month: tuple[int, int] | None  # (year, month) when only a month is known
    pod: str | None
    anchor_free: bool  # True when the day was not given (clock/part of day alone)


def _resolve_date(g: dict[str, str | None], ctx: _Context, ref: date) -> _Resolved | None:
    pod: str | None = None
    if g["y"] is not None:
        y, m = _cn_int(g["y"]), _cn_int(g["m"] or "")
        if not 1 <= m <= 12 or y < 1900:
            return None
        if g["d"] is None:
            return _Resolved(None, (y, m), None, False)
        day = _valid_date(y, m, _cn_int(g["d"]))
        return None if day is None else _Resolved(day, None, None, False)
    if g["iy"] is not None:
        day = _valid_date(int(g["iy"]), int(g["im"] or 0), int(g["id"] or 0))
        return None if day is None else _Resolved(day, None, None, False)
    if g["mrel"] is not None or g["m2"] is not None:
        if g["mrel"] is not None:
            base = (ref.year, ref.month)
            if g["mrel"] in ("当", "同") and ctx.last_date is not None:
                base = (ctx.last_date.year, ctx.last_date.month)
            y, m = _shift_month(*base, {"上": -1, "下": 1}.get(g["mrel"], 0))
            explicit_year = True
        else:
            m = _cn_int(g["m2"] or "")
            if not 1 <= m <= 12:
                return None
            yrel = g["yrel"]
            explicit_year = yrel is not None
            y = ref.year + {"去年": -1, "上年": -1, "明年": 1}.get(yrel or "", 0)
        if g["d2"] is None or g["mr"] is not None:
            if not explicit_year and (y, m) > (ref.year, ref.month):
                y -= 1
            return _Resolved(None, (y, m), None, False)
        d = _cn_int(g["d2"])
        day = _valid_date(y, m, d) if explicit_year else _infer_year(m, d, ref)
        return None if day is None else _Resolved(day, None, None, False)
    if g["dm"] is not None:
        m, d = int(g["dm"]), int(g["dd"] or 0)
        day = _infer_year(m, d, ref) if 1 <= m <= 12 else None
        return None if day is None else _Resolved(day, None, None, False)
    if g["wd"] is not None:
        wd = _WEEKDAYS.get(g["wd"], int(g["wd"]) - 1 if g["wd"].isdigit() else 0)
        rel = g["wkrel"]
        if rel in ("上", "上上", "下"):
            monday = ref - timedelta(days=ref.weekday())
            weeks = {"上": -1, "上上": -2, "下": 1}[rel]
            return _Resolved(monday + timedelta(days=7 * weeks + wd), None, None, False)
        return _Resolved(ref - timedelta(days=(ref.weekday() - wd) % 7), None, None, False)
    if g["rel"] is not None:
        anchor, offset, pod = _REL[g["rel"]]
        base_day = ctx.last_date if anchor == "ctx" and ctx.last_date is not None else ref
        return _Resolved(base_day + timedelta(days=offset), None, pod, False)
    if g["d3"] is not None:
        d = _cn_int(g["d3"])
        if not 1 <= d <= 31:
            return None
        day = None
        if ctx.last_date is not None:
            day = _valid_date(ctx.last_date.year, ctx.last_date.month, d)
            if day is not None and day > ref + timedelta(days=1):
                day = None
        day = day or _infer_month(d, ref)
        return None if day is None else _Resolved(day, None, None, False)
    return _Resolved(None, None, None, True)


def _local(day: date, hour: int, minute: int, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone) + timedelta(hours=hour, minutes=minute)


def _build(m: re.Match[str], ctx: _Context, tz: ZoneInfo) -> tuple[EventTime, tuple[int, int], bool] | None:
    """Resolve one phrase match → (event, core span, has explicit day)."""
    g = m.groupdict()
    zone: tzinfo = tz
    if g["tz"] == "北京时间":
        zone = BEIJING_TIME
    elif g["tz"] in ("新疆时间", "乌鲁木齐时间"):
        zone = XINJIANG_TIME
    ref_local = ctx.reference.astimezone(zone)
    ref = ref_local.date()
    if g["d3"] is not None and _LABEL_NUMBER_RE.match(m.string, max(0, m.start("d3") - 1)):
        return None  # "某商场3号乘客电梯": a number label, not a day
    resolved = _resolve_date(g, ctx, ref)
    if resolved is None:
        return None
    pod = g["pod"] or resolved.pod
    if g["pod"] and resolved.pod and g["pod"] != resolved.pod:
        pod = g["pod"]
    hour: int | None = None
    minute = 0
    granularity = Granularity.HOUR
    if g["h"] is not None:
        hour = _cn_int(g["h"])
        if g["mi"] is not None or g["mi2"] is not None:
            minute = _cn_int(g["mi"] or g["mi2"] or "")
            granularity = Granularity.MINUTE
        elif g["half"]:
            minute, granularity = 30, Granularity.MINUTE
        elif g["zheng"]:
            granularity = Granularity.MINUTE
    elif g["hh"] is not None:
        hour, minute, granularity = int(g["hh"]), int(g["mm"] or 0), Granularity.MINUTE
    if hour is not None and not (0 <= hour <= 24 and 0 <= minute <= 59):
        return None
    if (
        hour is not None
        and g["h"] is not None
        and not (g["h"].isascii())
        and g["h"] == "一"
        and not (pod or g["approx"] or granularity is Granularity.MINUTE or not resolved.anchor_free)
    ):
        return None  # "一点" alone is rarely a clock time
    day_offset = 0
    if hour is not None and pod is not None:
        if pod in _NIGHT_PODS and hour < 6:
            day_offset = 1
        elif (pod in _PM_PODS and 1 <= hour < 12) or (pod in ("中午", "午间") and 1 <= hour <= 2):
            hour += 12
    if resolved.month is not None and hour is None and pod is None:
        if _VAGUE_MONTH_AFTER_RE.match(m.string, m.end()):
            return None  # 11月上旬, 11月底, 10月以来: a period, not an event time
        y, mo = resolved.month
        start = datetime(y, mo, 1, tzinfo=zone)
        ny, nm = _shift_month(y, mo, 1)
        end = datetime(ny, nm, 1, tzinfo=zone)
        granularity = Granularity.MONTH
    else:
        day = resolved.day
        if resolved.month is not None:
            return None  # a month with a time of day but no day: not a usable instant
        if day is None:
            # clock or part of day alone: the date mentioned before, else the reference's
            if ctx.last_date is not None:
                day = ctx.last_date
            else:
                day = ref
                probe_h = hour if hour is not None else _POD_SPANS[pod or "凌晨"][0]
                if _local(day, probe_h + 24 * day_offset, minute, zone) > ref_local:
                    day = ref - timedelta(days=1)
        if hour is not None:
            start = _local(day, hour + 24 * day_offset, minute, zone)
            end = start + (timedelta(minutes=1) if granularity is Granularity.MINUTE else timedelta(hours=1))
        elif pod is not None:
            lo, hi = _POD_SPANS[pod]
            start, end = _local(day, lo, 0, zone), _local(day, hi, 0, zone)
            granularity = Granularity.PART_OF_DAY
        else:
            start, end = _local(day, 0, 0, zone), _local(day, 24, 0, zone)
            granularity = Granularity.DAY
    core_end = m.end()
    core_start = m.start()
    text = m.string
    while core_start < core_end and text[core_start].isspace():
        core_start += 1
    has_day = resolved.day is not None and not resolved.anchor_free
    return EventTime(start, end, "", granularity), (core_start, core_end), has_day


# ---------------------------------------------------------------------------------------------
# Scoring


def _score(
    text: str,
    span: tuple[int, int],
    event: EventTime,
    reference: datetime,
    rank: int,
    followup: bool,
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
    base = _GRANULARITY_SCORE[event.granularity]
    score = base
    reasons.append(f"{event.granularity.value}:+{base}")

    def add(name: str, value: float) -> None:
        nonlocal score
        score += value
        reasons.append(f"{name}:{value:+}")

    # "截至9月30日，全区共…" opening the body or a paragraph: the cut-off of a statistics report is
    # its event (no cumulative_until penalty), but the counted work after it (累计检查) is no event word
    cutoff_opening = bool(
        not followup
        and _CUTOFF_OPENING_RE.search(text, max(0, start - 16), start)
        and text[end : end + 1] in ("，", ",", " ", "")
    )
    word = None if cutoff_opening else _EVENT_WORDS_RE.search(after) or _EVENT_WORDS_RE.search(before[-15:])
    if word:
        add(f"event_word:{word.group()}", 1.5)
    yu = bool(_YU_BEFORE_RE.search(before))
    if yu:
        add("yu_before", 0.5)
    if not (word or yu or start == 0 or text[start - 1] in _CLAUSE_START_CHARS or _LEAD_IN_RE.search(before)):
        # nothing says this is when something happened: a date in passing (会议精神, 文件, 报告日期…)
        add("no_event_evidence", -2.5)
    if rank == 0:
        add("first_phrase", 1.0)
    elif rank == 1:
        add("second_phrase", 0.4)
    opening = bool(
        _OPENING_BEFORE_RE.search(text, max(0, start - 12), start)
        and text[end : end + 1] in ("，", ",", " ", "")
    )
    if opening:
        add("opens_paragraph", 2.0)
    elif cutoff_opening:
        reasons.append("statistics_cutoff")  # no cumulative_until penalty; an activity date still wins
    elif event.granularity is Granularity.MONTH and text.find("\n", 0, start) >= 0:
        # "我处于今年7月组织调研", "6月至7月，调研组…": a month in passing in the body, not the reported
        # event; a report about a month's activity opens with it ("今年6月，哈密市局…") or names it in
        # the subject ("10月份行政审批工作情况")
        add("month_in_passing", -3.5)
    own_clause = _COMMA_RE.split(after.lstrip("，, \t\u3000"), 1)[0]  # "…许，某地发生…，10时40分救出": not 救出
    if _RESPONSE_BEFORE_RE.search(before) or _RESPONSE_AFTER_RE.search(own_clause):
        add("response", 0.5 if followup else -2.0)
    if followup:
        comma = _COMMA_RE.search(text, end, end + 60)
        if _ORIGINAL_EVENT_RE.search(text[end : comma.start() if comma else end + 60]):
            add("followup_original_event", -3.0)
    if _ATTRIBUTIVE_AFTER_RE.match(after):
        add("attributive", -2.0)
    if _BACKGROUND_BEFORE_RE.search(before[max(before.rfind("，"), before.rfind(",")) + 1 :]):
        add("background", -1.5)
    if start > 0 and text[start - 1] in "（(":
        add("parenthetical", -1.5)
    if _DEADLINE_AFTER_RE.match(text, end) or _DEADLINE_BEFORE_RE.search(before):
        add("deadline", -5.0)
    if not followup and not cutoff_opening and ("截至" in before or "截止" in before):
        add("cumulative_until", -2.5)
    if _SINCE_AFTER_RE.match(text, end):
        add("since", -2.0)
    if _FUTURE_RE.search(sentence_before) or _FUTURE_RE.match(sentence_after):
        add("future_plan", -4.0)
    if _BIRTH_AFTER_RE.match(text, end) or before.endswith("成立于"):
        add("birth_or_founding", -4.0)
    if text.rfind("《", max(0, start - 80), start) > text.rfind("》", max(0, start - 80), start):
        add("in_title", -5.0)
    age = reference - event.end
    if event.start > reference + timedelta(days=1):
        add("after_reference", -3.0)
    elif age > timedelta(days=_OLD_DAYS):
        add("long_before_reference", -2.5)
    elif age > timedelta(days=30):
        add("month_before_reference", -1.5)
    elif age > timedelta(days=7):
        add("week_before_reference", -0.8)
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end < 0:
        line_end = len(text)
    line_head = text[line_start:start]
    line_tail = text[end:line_end]
    if _HEADER_BEFORE_RE.search(text, max(line_start, start - 16), start):
        add("header_or_document_date", -8.0)
    elif _BRACKETS_RE.fullmatch(line_tail) and (
        _BRACKETS_RE.fullmatch(line_head) or _SIGNER_BEFORE_RE.fullmatch(line_head)
    ):
        # a line holding only a date (or a signer and a date): a signature or a document date
        add("date_line", -8.0 if _is_tail(text, line_end) or _SIGNER_BEFORE_RE.fullmatch(line_head) else -6.0)
    if _EARLIER_REPORT_RE.match(text, end) and _EARLIER_REPORT_BEFORE_RE.search(before):
        add("earlier_report", -6.0)
    return score, reasons, opening


def _is_tail(text: str, pos: int) -> bool:
    """Only a few short lines (signature, contact) follow ``pos``."""
    rest = [ln for ln in text[pos:].split("\n") if ln.strip()]
    return len(rest) <= 3 and all(len(ln.strip()) <= 40 for ln in rest)


_FINENESS = {
    Granularity.MINUTE: 0,
    Granularity.HOUR: 1,
    Granularity.PART_OF_DAY: 2,
    Granularity.DAY: 3,
    Granularity.MONTH: 4,
}


def _narrative(
    events: list[EventTime],
    scores: list[float],
    reasons: list[list[str]],
    openings: list[bool],
    followup: bool,
) -> None:
    """Rules between phrases, in place.

    * A report opens with the event: a phrase later in the text whose time is after the
      paragraph-opening phrase's is a follow-up (-1).
    * A finer phrase inside a coarser, positively scored one refines it (subject "11月22日…",
      body "当日17时许…"): the first such phrase scores at least the coarse one + 0.3.
    """
    first_open = None if followup else next((k for k, o in enumerate(openings) if o and scores[k] > 0), None)
    if first_open is not None:
        lead = events[first_open]
        for k in range(first_open + 1, len(events)):
            ev = events[k]
            if ev.start >= lead.end and not (lead.start <= ev.start and ev.end <= lead.end):
                scores[k] -= 1.0
                reasons[k].append("after_opening_event:-1.0")
    for a, coarse in enumerate(events):
        if scores[a] <= 0:
            continue
        for b in range(a + 1, len(events)):
            fine = events[b]
            if (
                _FINENESS[fine.granularity] < _FINENESS[coarse.granularity]
                and not any(r.startswith("response") for r in reasons[b])
                and coarse.start <= fine.start
                and fine.end <= coarse.end
            ):
                if scores[a] + 0.3 > scores[b]:
                    scores[b] = scores[a] + 0.3
                    reasons[b].append(f"refines:{coarse.text}")
                break


def _recap_end(text: str, spans: list[tuple[int, int]], reasons: list[list[str]], body: int) -> int | None:
    """Where the recap of the original event ends in a follow-up, or None when there is none.

    An explicit transition (现将…续报如下：) ends what comes before it. The first usable phrase after
    it (or in the body) opens a recap when its sentence (up to 。 or "…事故，"/"…后，") tells the
    original event (发生, 事故, 曝光, 已于…报告…) and its own clause tells no development (检验结果,
    处罚, 完成, 恢复…); the recap must open the body, the transition or a paragraph.
    """
    transition = _TRANSITION_RE.search(text, body)
    begin = transition.end() if transition is not None else body
    fallback = begin if transition is not None else None
    for (start, end), why in zip(spans, reasons, strict=True):
        if start < begin or any(r.startswith(("header_or_document_date", "date_line")) for r in why):
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
            return stop_at
        return fallback
    return fallback


def _followup(text: str, spans: list[tuple[int, int]], scores: list[float], reasons: list[list[str]]) -> None:
    """A follow-up reports what happened since the first report: the recap is background (-10) and the
    first acceptable phrase after it is the new development (+4). With no new phrase there is no event."""
    newline = text.find("\n")
    body = newline + 1 if newline >= 0 else 0
    for k, (start, _) in enumerate(spans):
        if start < body:
            # the subject of a follow-up names the case: "关于11月23日某县锅炉爆炸事故的续报"
            scores[k] -= 10.0
            reasons[k].append("followup_subject:-10.0")
    recap_end = _recap_end(text, spans, reasons, body)
    if recap_end is None:
        return
    new_found = False
    for k, (start, _) in enumerate(spans):
        if start < body:
            continue
        if start < recap_end:
            scores[k] -= 10.0
            reasons[k].append("followup_recap:-10.0")
        elif not new_found and scores[k] > 0:
            new_found = True
            scores[k] += 4.0
            reasons[k].append("followup_new:+4.0")


# ---------------------------------------------------------------------------------------------
# API


def find_time_phrases(text: str, reference: datetime, tz: ZoneInfo) -> list[Candidate]:
    """Every time phrase in ``text``, resolved against ``reference`` (aware) in ``tz``, in text order.

    Each candidate's ``score`` says how likely it is the reported event's time: finer phrases score
    higher, event language around it (发生, 接到报警, 召开, 检查…), ``于`` before it and being the first
    phrase add; deadlines (…前上报, 请于), 截至 statistics, 以来, future plans (将于, 拟于, 下一步),
    founding/birth dates, titles in 《》, times after the reference and lone date lines (signatures)
    subtract. Narrative rules: the phrase opening a paragraph ("11月25日14时30分许，…") is the event and
    later, later-in-time phrases are the response (赶到, 救出, 扑灭 … subtract too); a finer phrase inside
    a coarser one refines it (subject "今日下午", body "今日下午3时"). A phrase with no evidence of being
    an event (no event word, no 于, not at a clause start) is penalised; signature and document-date
    lines ("某局\n2026年11月9日", "（2026年11月9日）"), forwarded headers (发送时间：) and earlier report
    times ("已于11时首报") are never the event.

    Follow-ups (续报/进展/最新情况/处置情况/第N次报告/终报/结报 in the subject, or 【续报】/现将…续报如下/
    此为终报 early in the body): the recap of the original event — the first phrase of the body, after
    any 现将…如下： transition, whose sentence tells the incident (发生, 事故, 曝光, 已于…报告 …, up to 。
    or "…事故，"/"…后，") and whose own clause tells no development (检验结果, 处罚, 完成, 恢复…) — is
    background (-10); the first acceptable phrase after the recap or transition is the event (+4).
    With no such phrase there is no event time.
    """
    if reference.tzinfo is None:
        raise ValueError("reference must be timezone-aware")
    norm = _FULLWIDTH_RE.sub(_halfwidth, text)  # same length: offsets stay valid
    ctx = _Context(reference)
    found: list[tuple[EventTime, tuple[int, int], bool]] = []
    for m in _PHRASE_RE.finditer(norm):
        if m.end() == m.start() or not any(m.group(*_CORE_GROUPS)):
            continue
        built = _build(m, ctx, tz)
        if built is None:
            continue
        event, span, has_day = built
        event = EventTime(event.start, event.end, text[span[0] : span[1]], event.granularity)
        found.append((event, span, has_day))
        if has_day or event.granularity is Granularity.DAY:
            ctx.last_date = event.start.date()
    scores: list[float] = []
    reasons: list[list[str]] = []
    openings: list[bool] = []
    newline = norm.find("\n")
    subject_end = newline if newline >= 0 else len(norm)
    followup = bool(
        _FOLLOWUP_RE.search(norm, 0, subject_end)
        or _FOLLOWUP_BODY_RE.search(norm, subject_end, subject_end + _FOLLOWUP_WINDOW)
    )
    for rank, (event, span, _) in enumerate(found):
        score, why, opening = _score(norm, span, event, reference, rank, followup)
        scores.append(score)
        reasons.append(why)
        openings.append(opening)
    events = [f[0] for f in found]
    _narrative(events, scores, reasons, openings, followup)
    if followup:
        _followup(norm, [f[1] for f in found], scores, reasons)
    return [
        Candidate(ev.text, span, rank, ev, round(scores[rank], 3), tuple(reasons[rank]))
        for rank, (ev, span, _) in enumerate(found)
    ]


def extract_event_time(text: str, reference: datetime, tz: ZoneInfo) -> EventTime | None:
    """When the reported event happened: the best-scoring phrase, or None when none scores above 0."""
    best: Candidate | None = None
    for cand in find_time_phrases(text, reference, tz):
        if cand.score > 0 and (best is None or cand.score > best.score):
            best = cand
    return best.event if best else None
