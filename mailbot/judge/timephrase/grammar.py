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


# a year as written before 年: also two digits (03年 = 2003, 九零年 = 1990)
_YEAR_N = r"(?:\d{4}|[〇零一二三四五六七八九]{4}|两千(?:零[一二三四五六七八九]|零?一?十[一二三四五六七八九]?|二十[一二三四五六七八九]?)?|\d{2}|[〇零一二三四五六七八九]{2})"


# a Chinese day without 日 after a month (二零零四年八月十五, 一月二十三): not a count (八月十五个, 一月三十万元)
_CN_DAY_BARE = (
    r"(?:[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
    r"(?![〇零一二三四五六七八九十廿卅两\d个人名次件万亿元岁天年月日号届期批项条家户起点时分%％.])"
)


# pinyin glosses some sites print after a character: 9時(shí)許, 三點(diǎn)
_PINYIN = r"(?:[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,6}[)）])?"


# festivals (festivals.FESTIVALS); 三八/五一/六一 only before 节/期间/当天… (五一路, 三八红旗手 are names)
_FESTIVAL_NAMES = (
    "元旦|新年(?=当天|当日|当晚|前夕|期间|假期|第一天|[，,。；;]|\\s*$)|情人节|女生节|妇女节|植树节|愚人节|清明|劳动节|青年节|儿童节|建党节|建军节|教师节|国庆|万圣节|"
    "光棍节|双十一|平安夜|圣诞节|春节|除夕|元宵|端午|七夕|中秋|重阳|腊八|"
    "(?:三八|五一|六一)(?=节|期间|当天|当日|当晚|前夕|假期|小长假|黄金周)"
)


_FESTIVAL_SUFFIX = r"(?P<hs>当天|当日|当晚|当夜|前夕|(?:假期|长假|小长假|黄金周)?期间|假期|长假|小长假|黄金周|夜(?![间里晚]))?"


# a lunar day: 初一…初十, 十一…二十, 廿一…廿九, 三十 (and 初8)
_LUNAR_DAY = r"(?:初[一二三四五六七八九十\d]|二十[一二三四五六七八九]?|三十|廿[一二三四五六七八九]|十[一二三四五六七八九])"


_LUNAR_MONTH = r"(?:闰?(?:正|腊|冬|十[一二]?|[一二三四五六七八九]|\d{1,2}))"


# the month part of a month-only date: 6月上旬, 本月初, 6月底 (month granularity); not 初一 (a lunar day)
_MONTH_PART = r"(?:上旬|中旬|下旬|中下旬|上中旬|初(?![一二三四五六七八九十\d])|底|末)"


_POD_WORDS = "凌晨|清晨|早上|早晨|早间|一早|上午|中午|午间|下午|午后|傍晚|晚上|晚间|夜晚|夜间|夜里|深夜|半夜"


_POD = rf"(?P<pod>(?:{_POD_WORDS})(?!茶)|(?:晚|早|夜)(?=\s*{_N2}\s*[时点:：])|(?<=[日号当])(?:晚|夜)(?=[，,。、； \t\u3000\n])|(?<=[日号])晚(?![会报饭餐宴点霞年期些辈班间上])|(?<=[日号])早(?![些已就于日期先前年餐点饭市茶上晨间]))"


# "12月29日当天上午", "12月29日当晚": the date's own part of day.
_SAME_DAY = r"(?:(?<=[日号])(?:当天|当日|当(?=[晚夜])))?"


_POD_PLAIN = rf"(?:{_POD_WORDS})"


_REL_WORDS = (
    "大前天|前天|前日|昨天|昨日|昨晨|昨晚|昨夜|今天|今日|本日|今晨|今早|今晚|今夜|当天|当日|当晚|当夜|"
    "同日|同天|次日|翌日|第二天|前晚|前夜|"
    # news style 昨 alone before the verb: 静安寺站昨发生电梯事故, 警方昨表示
    "昨(?=[发在宣表称起证公通开举召被向对已再于])"
    # 昨凌晨, 昨午后, 昨下午 (news style): 昨 with its part of day
    "|昨(?=凌晨|清晨|早上|早晨|上午|中午|午[后间]|下午|傍晚|晚上|晚间|夜间|深夜|半夜)"
)


_CLOCK_NOT = (
    "速|代|期|间|节|候|效|任|髦|尚|事|段|差|装|令|针|意见|要求|建议|措施|做法|经验|内容|问题|原则|举措|"
    "共识|成效|体会|启示|任务|目标|情况|看法|工作|不足|变化|优势|成果|打算|思考|认识|理由"
)


_DATE = (
    # lunar dates: 农历2015年十月初一, 2015年农历正月初一, 腊月二十三, 十月初一, 大年初十
    rf"(?:(?:{_NB}(?P<ly>{_YEAR_N})\s*年\s*)?(?P<lunar>农历|阴历)\s*(?:(?P<ly2>{_YEAR_N})\s*年\s*)?"
    rf"(?P<lm>{_LUNAR_MONTH})月(?P<ld>{_LUNAR_DAY}|\d{{1,2}}|[一二三四五六七八九])[日号]?"
    rf"|(?:{_NB}(?P<ly3>{_YEAR_N})\s*年\s*|(?P<lyrel>今年|去年|前年|上年|明年)\s*)?(?:(?P<lm2>正|腊|冬)月(?P<ld2>{_LUNAR_DAY}|\d{{1,2}})"
    rf"|(?<![\d{_CN_DIGITS}])(?P<lm3>{_N2})月(?P<ld4>初[一二三四五六七八九十\d]|廿[一二三四五六七八九]))"
    rf"|大年(?P<ld3>初[一二三四五六七八九十]|三十)"
    # festivals: 春节期间, 2023年国庆节当天, 中秋当晚
    rf"|(?:(?P<hy>{_YEAR}|今年|去年|前年|上年)\s*年?)?(?P<hol>{_FESTIVAL_NAMES})(?:节)?{_FESTIVAL_SUFFIX}"
    # the end/start of a year: 2016年底, 去年年底, 今年初 (month granularity)
    rf"|(?:{_NB}(?P<ye>{_YEAR})\s*年(?:年)?|(?P<yerel>今年|去年|前年|上年)(?:年)?)(?:(?P<yp>底|末|初(?![一二三四五六七八九十\d]))|度?\s*第?(?P<yq>[一二三四1-4])\s*季度)"
    # a quarter without a year: 二季度, 第三季度 (the latest one begun by the reference)
    rf"|(?<![\d{_CN_DIGITS}年])第?(?P<q2>[一二三四1-4])\s*季度"
    # N小时前 / N天前 / N分钟前
    rf"|{_NB}(?P<ago>{_N2}|半)\s*(?P<agou>个?小时|个?钟头|天|分钟)(?:之)?前"
    # 今(3)日: the day in brackets
    rf"|(?P<jrel>今|昨)\s*[（(]\s*(?P<jd>\d{{1,2}})\s*[）)]\s*日"
    rf"|{_NB}(?P<y>{_YEAR_N})\s*年\s*(?P<m>{_N2})\s*月(?:份)?\s*(?:(?P<d>{_N2})\s*[日号]|(?P<mp>{_MONTH_PART})|(?P<dn>{_CN_DAY_BARE}))?"
    rf"|(?<![\d.\-/])(?P<iy>\d{{4}})(?P<sep>[-./])(?P<im>\d{{1,2}})(?P=sep)(?P<id>\d{{1,2}})(?![\d.])"
    rf"|(?P<yrel>今年|去年|前年|上年|明年)?(?:(?P<mrel>本|上|下|这|当|同)一?个?月|{_NB}(?P<m2>{_N2})\s*(?P<mr>(?:至|到|—|-|~|～)\s*{_N2}\s*)?月(?:份)?)"
    rf"\s*(?:(?P<d2>{_N2})\s*[日号](?![内楼院线机车令文房室门厂馆仓台井站口路街巷栋单元]|库(?![尔车]))|(?P<mp2>{_MONTH_PART})|(?<=[〇一二三四五六七八九十]月)(?P<dn2>{_CN_DAY_BARE})|(?P<dp2>\d{{1,2}})(?=\s*(?:{_POD_WORDS})|[，,。；;]|\s*$))?"
    rf"|(?<!每)(?P<wkrel>上上|上|本|这|下)?个?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7])"
    rf"|(?P<rel>{_REL_WORDS})"
    # a dotted month.day at the start of a clause, before a comma, a clock time or a part of day
    # ("11.25，", "11.25 15:10"); not 11.25万元, 2.1版, 93.6%
    rf"|(?<![^\n，,。；;：:（(、 \t\u3000于在])(?P<dm>\d{{1,2}})\.(?P<dd>\d{{1,2}})"
    rf"(?=[，,]|\s+\d{{1,2}}[:：]\d{{2}}(?![\d:：])|\s*(?:{_POD_WORDS}))"
    rf"|(?<![\d{_CN_DIGITS}.．第〕\]a-zA-Z])(?:(?<![）)])|(?=(?:\d{{1,2}}|[{_CN_DIGITS}]{{1,3}})日))(?P<d3>{_N2})\s*[日号](?![内楼院线机车令文房室门厂馆仓台井站口路街巷栋单元常均用游]|库(?![尔车])|三餐)"
    r")"
)


# "今天（15日）", "昨日（4月18日）", "周二(24日)": the bracketed date wins; "（周三）" is a note
_WEEK_NOTE = (
    r"(?:\s*[（(]\s*(?:(?:(?P<ny>\d{4})年)?(?:(?P<nm>\d{1,2})月)?(?P<nd>\d{1,2})[日号](?P<npod>晚上?|夜间|早上|上午|中午|下午|凌晨)?"
    r"|(?:上|本|这)?(?:周|星期|礼拜)[一二三四五六日天])\s*[）)]"
    r"|(?:周|星期|礼拜)[一二三四五六日天])?"
)


_CLOCK = (
    rf"(?:{_NB}(?P<h>{_N2})\s*[时点]{_PINYIN}(?!{_CLOCK_NOT})(?:钟)?"
    rf"(?:\s*(?:(?P<mi>{_N2})\s*分(?:钟)?|(?P<half>半)|(?P<ke>[一三123])\s*刻(?:钟)?|(?P<mi2>\d{{2}})(?![\d分万元%％.])"
    # 九点零九, 三点十五, 十点二十: Chinese minutes without 分 (not 三点五 = 3.5, not 三点十五万)
    rf"|(?P<mi3>零[一二三四五六七八九]|[一二三四五]?十[一二三四五六七八九]?)(?![{_CN_DIGITS}\d分万亿元个人次家件名台吨米度倍岁年月日号天%％.])"
    rf"|(?P<zheng>整)))?"
    rf"|(?<![\d.:])(?P<hh>\d{{1,2}})[:：](?P<mm>\d{{2}})(?:[:：]\d{{2}})?(?![\d:：])(?:\s*(?P<ampm>[aApP])\.?\s?[mM]\.?)?)"
)


_RANGE_TAIL = (
    r"(?P<range>\s*(?:至|到|——|—|–|－|~|～|-)\s*"
    rf"(?:(?:{_YEAR}\s*年\s*)?(?:{_N2}\s*月\s*)?{_N2}\s*[日号](?:\s*{_POD_PLAIN})?(?:\s*{_N2}\s*[时点](?:{_N2}分|半)?)?"
    rf"|(?:{_POD_PLAIN}\s*)?{_N2}\s*[时点](?:\s*{_N2}\s*分|半)?|\d{{1,2}}[:：]\d{{2}}))?"
)


# What a phrase can start with (a lookahead that keeps the big pattern from being tried at every
# character): a number only when a unit of the grammar follows it (2015年, 三八节, 14:30, 3至5月, 两天前;
# not 十二家, 三人, 一起), 周/星期/礼拜 only with a weekday, 凌晨, 清晨/清明.
_NUMBER_START = (
    rf"(?:(?<![\d.．])\d|[{_CN_DIGITS}])[\d{_CN_DIGITS}千]{{0,5}}[ \t\u3000]*"
    r"[年月日号时点小个钟天分节期当前假黄至到季—\-~～:./]"
)


_FIRST_CHARS = (
    rf"(?:{_NUMBER_START}|周[一二三四五六日天1-7]|星期|礼拜|凌晨|清[晨明]|北京时|新疆时|乌鲁木齐时|今[天日晨早晚夜年（( ]|去年|前年|明年|昨|前[天日晚夜]|大前天"
    r"|农历|阴历|正月|腊月|冬月|大年|半[小个天分钟]|元旦|新年|情人|女生|妇女|植树|愚人|劳动|青年|儿童|建[党军]|教师|国庆|万圣|光棍|双十一"
    r"|平安夜|圣诞|春节|除夕|元宵|端午|七夕|中秋|重阳|腊八|上年"
    r"|[上本这下][上个月周星礼午一日]|[当同][天日晚夜月]|次日|翌日|第二天|第[一二三四1-4]\s*季|早[上晨间]?|中午|午[间后]|傍晚|晚|夜|深夜|半夜)"
)


_PHRASE_RE = re.compile(
    (
        rf"(?=[\d{_CN_DIGITS}周星礼凌清北新乌今去明昨前大上本这下当同次翌第早中午傍晚夜深半一农阴正腊冬元情女妇植愚劳青儿建教国万光双平圣春除端重])(?={_FIRST_CHARS})(?P<tz>北京时间|新疆时间|乌鲁木齐时间)?\s*(?:{_DATE}{_WEEK_NOTE})?\s*{_SAME_DAY}(?:{_POD})?"
        rf"\s*(?:(?:大约|约|大概)?\s*{_CLOCK})?(?P<approx>许|左右|前后|多)?{_RANGE_TAIL}"
    ).replace(r"\s", r"[ \t\u3000]")
)


# "N号" between two nouns (某商场3号电梯, 厂区2号锅炉) labels a thing; a day follows 于/在/至… or stands alone.
_LABEL_NUMBER_RE = re.compile(
    r"[\u4e00-\u9fff](?<![于在至到从自和及与])\d{1,2}号[\u4e00-\u9fff](?<![上下中凌早晚傍当])"
    # a name with a Chinese number (苏丹红四号, 七号线, 神舟五号): after a noun, whatever follows
    r"|[\u4e00-\u9fff](?<![于在至到从自和及与是为前后月今本当的一二三四五六七八九十])[一二三四五六七八九十]{1,3}号"
)


_CORE_GROUPS = (
    "y", "iy", "m2", "mrel", "wd", "rel", "dm", "d3", "pod", "h", "hh",
    "lm", "lm2", "lm3", "ld3", "hol", "yp", "yq", "q2", "ago", "jd",
)  # fmt: skip


# One character for one (offsets stay valid): full-width digits and marks, and the traditional
# characters of time phrases and of the words scored around them (點→点, 時→时, 號→号, 於→于 …).
_NORMALIZE = str.maketrans(
    "０１２３４５６７８９：．－"
    "點時號間淩許後週兩個鐘當於來舉開檢實現場電樓車區縣歲萬億節國慶陽臘農陰曆歷禮將擬劃預準備請須應務與關對處據經過進續終結專項組織辦會議調導領醫氣墜斷側數約餘發報災傷亂晝屆內訊線記從獲瞭趕臨為階顯統計紹稱",
    "0123456789:.-"
    "点时号间凌许后周两个钟当于来举开检实现场电楼车区县岁万亿节国庆阳腊农阴历历礼将拟划预准备请须应务与关对处据经过进续终结专项组织办会议调导领医气坠断侧数约余发报灾伤乱昼届内讯线记从获了赶临为阶显统计绍称",
)


def normalize(text: str) -> str:
    """Full-width digits and traditional characters → their plain forms, one character for one."""
    return text.translate(_NORMALIZE)
