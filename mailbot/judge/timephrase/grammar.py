"""The grammar of Chinese time phrases: vocabularies and the compiled phrase regex (zone prefix, date,
part of day, clock time, approximation suffix, range tail), plus character normalisation.
"""

from __future__ import annotations

import re
from datetime import timedelta, timezone
from zoneinfo import ZoneInfo

XINJIANG_TIME = timezone(timedelta(hours=6), "新疆时间")


BEIJING_TIME = ZoneInfo("Asia/Shanghai")


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
_LABEL_NUMBER_RE = re.compile(
    r"[\u4e00-\u9fff](?<![于在至到从自和及与])\d{1,2}号[\u4e00-\u9fff](?<![上下中凌早晚傍当])"
)


_CORE_GROUPS = ("y", "iy", "m2", "mrel", "wd", "rel", "dm", "d3", "pod", "h", "hh")


_FULLWIDTH_RE = re.compile("[０-９：．－]")


_FULLWIDTH = str.maketrans("０１２３４５６７８９：．－", "0123456789:.-")


def _halfwidth(m: re.Match[str]) -> str:
    return m.group().translate(_FULLWIDTH)
