"""Table-driven tests for mailbot.judge.classify: realistic short reports, hard negatives, config overrides."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import pytest

from mailbot.errors import ConfigError
from mailbot.judge.classify import DEFAULT_RULES, ClassifyRules, classify, classify_text
from mailbot.model import Attachment, Category, ParsedMail

U, R, F = Category.URGENT, Category.ROUTINE, Category.FOLLOWUP
RS, REG, PUB = Category.RESEARCH, Category.REGISTRATION, Category.PUBLICITY_REQUEST
AUTO, BNC, OTH = Category.AUTO_REPLY, Category.BOUNCE, Category.OTHER


@dataclass(frozen=True)
class Case:
    id: str
    subject: str
    body: str
    expected: Category
    rule: str  # a rule name that must appear among the reasons (the one that decided)
    headers: tuple[tuple[str, str], ...] = ()
    attachments_text: str = ""
    # what the shipped model makes of it, when that differs from ``expected`` (a known false alarm of a
    # model tuned for urgent recall first; the rule layer alone must still give ``expected``)
    model_expected: Category | None = None


CASES: list[Case] = [
    # ---- urgent: incidents that happened ------------------------------------------------------
    Case("boiler-explosion", "关于哈密地区一锅炉房发生爆炸事故的报告",
         "区局办公室：\n6月8日9时30分，哈密市某供热公司锅炉房一台4吨燃煤锅炉发生爆炸，造成1人死亡、2人受伤。"
         "事故发生后，我局立即启动特种设备事故应急预案，局长带队赶赴现场。", U, "incident_language"),
    Case("lpg-leak-marked", "【紧急】伊犁州液化石油气充装站发生泄漏",
         "今日上午11时许，伊宁市某液化石油气充装站在卸车过程中发生液化气泄漏，消防部门已到场处置，"
         "周边300米范围内群众已疏散。", U, "subject_marker"),
    Case("elevator-trapped", "昌吉州局紧急处置一起电梯困人事件",
         "4月12日18时，昌吉市某小区一部电梯运行中突然停梯，7名居民被困轿厢内。州局接到报警后，立即协调"
         "维保单位赶到现场，40分钟后被困人员全部安全救出。", U, "casualty"),
    Case("tower-crane-collapse", "[紧急]库尔勒市一在建工地塔吊倒塌",
         "5月20日下午，库尔勒市一在建工地塔吊倒塌，一名操作工受伤，已送往医院救治。", U, "incident_language"),
    Case("food-poisoning", "关于阿克苏市一食品企业产品致消费者中毒的情况报告",
         "9月3日晚，阿克苏市人民医院接诊12名疑似食物中毒患者，均食用了某食品厂生产的凉皮。我局接报后连夜"
         "对该企业进行检查，查封同批次产品3000余袋，原因正在调查中。", U, "casualty"),
    Case("media-exposure", "关于媒体曝光我区某企业生产劣质钢筋的情况报告",
         "11月5日，新疆都市报报道乌鲁木齐某钢材企业生产销售不合格钢筋。我局高度重视，立即组织执法人员对该"
         "企业进行突击检查，现场封存涉嫌不合格钢筋120吨。", U, "public_opinion"),
    Case("leader-visit", "国家质检总局副局长一行到我区检查指导工作",
         "7月15日至17日，国家质检总局副局长陈钢一行到我区检查指导质监工作，自治区副主席陪同。", U,
         "important_work"),
    Case("boiler-burst-no-casualty", "关于吐鲁番市一宾馆锅炉超压的报告",
         "3月2日凌晨2时，吐鲁番市某宾馆一台热水锅炉超压爆裂，造成锅炉房屋顶损坏，无人员伤亡。"
         "我局接报后立即派员赶赴现场，对锅炉房进行了封存。", U, "incident_language"),
    Case("gas-cylinder", "关于和田市一餐馆液化气瓶爆炸的紧急报告",
         "和田市一餐馆液化气瓶爆炸，具体情况正在核实。", U, "subject_marker"),
    Case("amusement-ride", "关于喀什市某游乐场游乐设施故障致游客受伤的报告",
         "6月1日16时，喀什市某游乐场一台“自控飞机”游乐设施在运行中发生故障，吊臂断裂，造成3名游客受伤，"
         "伤者已送医救治，生命体征平稳。", U, "casualty"),
    Case("fire-with-priority-header", "关于奎屯市一加油站附近发生火灾的报告",
         "今天14时10分，奎屯市北京路一加油站旁的仓库起火，火势已得到控制，尚无人员伤亡报告。", U,
         "incident_language", headers=(("X-Priority", "1 (Highest)"),)),
    Case("ammonia-leak-no-casualty", "关于米东新区一化工企业液氨泄漏的报告",
         "10月9日8时40分，米东新区某化工企业液氨储罐阀门发生泄漏，企业立即启动应急预案，关闭阀门，险情于"
         "9时20分排除，无人员伤亡。", U, "incident_language"),
    Case("initial-report-promises-followup", "关于阿勒泰市一商场自动扶梯伤人事故的报告",
         "11月2日19时许，阿勒泰市某商场一部自动扶梯发生伤人事故，一名6岁儿童手部被卷入，已送医救治。"
         "事故原因正在调查中，有关情况将及时续报。", U, "incident_language"),
    Case("attachment-only-report", "政务信息", "见附件。", U, "incident_language",
         attachments_text="关于塔城市一供热站锅炉爆管的报告\n12月3日凌晨4时，塔城市某供热站一台锅炉发生"
         "爆管事故，造成2名司炉工烫伤，我局接报后立即赶赴现场。"),
    Case("group-incident", "关于部分计量器具经销商聚集上访的情况报告",
         "5月8日上午10时，约40名出租车计价器经销商聚集在州局门口上访，反映计价器强制检定收费问题。"
         "州局立即成立工作组进行接待。", U, "public_opinion"),
    # ---- routine: hard negatives -------------------------------------------------------------
    Case("drill", "阿勒泰地区局组织开展电梯困人应急救援演练",
         "为提高电梯突发事件应急处置能力，9月18日，阿勒泰地区局联合市消防支队在某商场开展电梯困人应急"
         "救援演练。演练模拟电梯发生故障造成乘客被困，救援人员10分钟内成功解救被困人员。", R,
         "routine_context"),
    Case("drill-marked", "【紧急】巴州局举行液氯泄漏事故应急演练",
         "6月12日上午，巴州局联合某化工企业举行液氯泄漏事故应急演练，模拟储罐阀门泄漏致2人中毒。", R,
         "routine_context"),
    Case("training", "塔城地区局举办特种设备事故应急处置培训班",
         "为提高基层特种设备安全监察人员应对突发事件的能力，塔城地区局于5月10日至12日举办特种设备事故应急"
         "处置培训班，邀请专家讲解了锅炉爆炸、气瓶泄漏等典型事故的处置方法。", R, "routine_context"),
    Case("statistics", "克拉玛依市局2011年特种设备安全监察工作总结",
         "2011年，全市特种设备安全形势总体平稳，全年共发生特种设备事故1起，死亡1人，万台设备死亡率0.3，"
         "同比下降。", R, "routine_context"),
    Case("inspection-after-accident-elsewhere", "博州局开展电梯安全专项检查",
         "近日，北京地铁发生扶梯倒转事故，造成1人死亡、多人受伤。为吸取事故教训，博州局立即在全州范围内"
         "开展电梯安全专项检查，共检查电梯56台，发现隐患8处。", R, "routine_context"),
    Case("meeting", "自治区质监局召开特种设备安全工作会议",
         "3月15日，区局召开全区特种设备安全监察工作会议，通报了2011年全区发生的3起特种设备事故，"
         "部署2012年重点工作。", R, "routine_context"),
    Case("plan-revision", "和田地区局修订完善特种设备事故应急预案",
         "为有效应对特种设备突发事件，和田地区局结合实际修订了《特种设备事故应急预案》，明确了锅炉爆炸、"
         "压力容器泄漏等事故发生后的处置程序。", R, "routine_context"),
    Case("warning-film", "伊犁州局组织观看安全生产警示教育片",
         "6月安全生产月期间，州局组织全体干部职工观看了警示教育片，片中多起因违章作业发生爆炸、坍塌造成"
         "人员伤亡的事故令人触目惊心。", R, "routine_context"),
    Case("quality-month", "哈密地区局启动2012年质量月活动",
         "9月1日，哈密地区局召开质量月活动动员大会，对全区质量月活动进行安排部署。", R, "routine_context"),
    Case("marked-spot-check", "【急】乌鲁木齐市局开展节日市场商品质量监督抽查",
         "为保障节日期间市场商品质量安全，我局于12月25日起开展节日市场商品质量专项抽查，共抽查商品32批次。",
         R, "threshold"),
    Case("marked-publicity-day", "【特急】关于举办计量宣传日活动的信息",
         "5月20日是世界计量日，我局在人民广场举办计量宣传咨询活动，免费为群众检定血压计200余台。", R,
         "routine_context", headers=(("X-Priority", "1"), ("Importance", "high"))),
    Case("no-accident-holiday", "吐鲁番地区局圆满完成春节期间特种设备安全保障工作",
         "春节期间，我局对全区重点场所特种设备开展安全检查，全区特种设备运行平稳，未发生特种设备事故。", R,
         "negation"),
    Case("enforcement-case", "乌鲁木齐县局查处一起无证生产食品案件",
         "近日，乌鲁木齐县局在日常巡查中发现一家食品作坊无证生产，执法人员依法查封了生产设备，案件正在"
         "进一步办理中。", R, "threshold"),
    Case("hypothetical-instruction", "阿克苏地区局部署冬季特种设备安全工作",
         "11月5日，阿克苏地区局召开冬季特种设备安全工作部署会。会议要求，各县市局要加强对锅炉、气瓶充装"
         "单位的监督检查，一旦发生事故，要在1小时内上报。", R, "routine_context"),
    Case("complaint-handled", "伊犁州局妥善处理一起消费者投诉",
         "3月，伊宁市消费者王某投诉购买的电热水器存在质量问题，州局及时调查，督促经销商为其更换，消费者"
         "表示满意。", R, "threshold"),
    Case("brand-strategy", "克州局积极推进名牌战略",
         "今年以来，克州局积极引导企业争创新疆名牌产品，2家企业产品获评自治区名牌。", R, "threshold"),
    Case("prevention-campaign", "昌吉州局严防冬季锅炉事故",
         "入冬以来，昌吉州局以防止发生锅炉爆炸事故为重点，对全州供热锅炉开展隐患排查，督促整改隐患23处。", R,
         "negation"),
    Case("marker-only-vague", "【紧急】关于报送二季度政务信息的函",
         "请各单位按时报送二季度政务信息。", R, "threshold"),
    Case("header-only", "和静县局开展计量器具检定",
         "和静县局近日对辖区集贸市场的电子秤进行了集中检定。", R, "threshold",
         headers=(("X-Priority", "1"), ("Importance", "High"), ("Priority", "urgent"))),
    # ---- follow-ups and final reports --------------------------------------------------------
    Case("followup-subject", "关于哈密地区锅炉爆炸事故的续报",
         "6月9日，事故现场清理工作基本完成，2名受伤人员病情稳定。", F, "followup_marker"),
    Case("followup-progress", "关于昌吉州液氨泄漏事故处置进展情况的报告",
         "截至6月9日18时，事故现场清理工作基本完成，2名中毒人员已脱离危险。", F, "followup_marker"),
    Case("followup-second-report", "伊犁州充装站泄漏事件第二次报告",
         "泄漏点已于昨日封堵，周边群众已返回。", F, "followup_marker"),
    Case("followup-body", "米东新区液氨泄漏事故有关情况",
         "现将10月9日米东新区液氨泄漏事故最新情况续报如下：受伤人员已出院，企业已停产整顿。", F,
         "followup_marker"),
    Case("final-report", "关于和田市气瓶爆炸事故的终报",
         "事故调查已结束，善后工作已完成。", F, "final_report"),
    # ---- research ----------------------------------------------------------------------------
    Case("research-thinking", "关于我区特种设备安全监管工作的调查与思考",
         "近年来，我区特种设备数量快速增长，监管力量不足的矛盾日益突出。", RS, "research_marker"),
    Case("research-report", "调研信息：南疆地区农产品质量安全现状调研报告",
         "为摸清南疆农产品质量安全状况，我局组成调研组赴喀什、和田等地开展调研。", RS, "research_marker"),
    Case("research-about", "关于加强基层质监所建设的调研",
         "基层质监所是质监工作的前沿阵地。", RS, "research_marker"),
    Case("leader-research-visit", "国家质检总局局长到我区调研",
         "8月20日，国家质检总局局长一行到我区调研质监工作。", U, "important_work"),
    # ---- registration and publicity requests --------------------------------------------------
    Case("registration-subject", "报送信息宣传联络员登记表",
         "区局办公室：我局联络员登记表已填好，请查收。", REG, "registration"),
    Case("registration-change", "联络员情况",
         "我局信息宣传联络员变更为张某，办公电话0991-1234567。", REG, "registration"),
    Case("registration-attachment-text", "报送材料", "", REG, "registration",
         attachments_text="自治区质量技术监督局信息宣传联络员登记表\n填报单位 博州局\n联络员 姓名 李某"),
    Case("publicity-subject", "计量处申请宣传", "拟于6月邀请新疆电视台对计量惠民工作进行采访报道。", PUB,
         "publicity_request"),
    Case("publicity-form", "关于报送宣传报道申报单的函", "附件为宣传报道申报单，请审批。", PUB,
         "publicity_request"),
    Case("publicity-interview", "关于协助宣传采访的回复",
         "我局已按通知要求安排好协助宣传采访事宜。", PUB, "publicity_request"),
    # ---- auto-replies and bounces -------------------------------------------------------------
    Case("auto-submitted", "Re: 关于锅炉爆炸事故的续报", "您的来信已收到。", AUTO, "auto_reply_header",
         headers=(("Auto-Submitted", "auto-replied"),)),
    Case("x-autoreply", "关于报送政务信息的通知", "我现在不在办公室。", AUTO, "auto_reply_header",
         headers=(("X-Autoreply", "yes"),)),
    Case("x-auto-response-suppress", "政务信息", "本人出差，请联系办公室。", AUTO, "auto_reply_header",
         headers=(("X-Auto-Response-Suppress", "OOF, AutoReply"),)),
    Case("auto-reply-subject", "自动回复：关于报送政务信息的通知", "您好，邮件已收到，我会尽快回复。", AUTO,
         "auto_reply_subject"),
    Case("out-of-office", "Out of Office: 政务信息", "I am out of the office until Monday.", AUTO,
         "auto_reply_subject"),
    Case("bounce-content-type", "Delivery report", "This is a delivery status report.", BNC, "bounce_header",
         headers=(("Content-Type", 'multipart/report; report-type="delivery-status"; boundary="x"'),)),
    Case("bounce-sender", "邮件投递报告", "邮件无法送达 jbgs@xjnewqi.gov.cn", BNC, "bounce_sender",
         headers=(("From", "Mail Delivery System <MAILER-DAEMON@mail.xjzj.gov.cn>"),)),
    Case("bounce-subject-cn", "系统退信", "您发送的邮件被退回。", BNC, "bounce_subject"),
    Case("bounce-beats-urgent", "Undeliverable: 【紧急】关于一起锅炉爆炸事故的报告",
         "Delivery has failed to these recipients.", BNC, "bounce_subject"),
    # ---- other: no report content ------------------------------------------------------------
    Case("test-mail", "测试", "测试", OTH, "test_mail"),
    Case("empty", "", "", OTH, "no_content"),
    Case("thanks", "Re: 政务信息", "收到，谢谢！", OTH, "thanks"),
    Case("document-request", "索要文件",
         "请发一下《关于进一步加强新闻宣传工作的通知》的电子版，谢谢。", OTH, "document_request"),
    Case("registration-form-request", "登记表", "您好，能否再发一次联络员登记表的模板？", OTH,
         "document_request"),
    Case("attachment-broken", "Re: 关于报送信息的通知", "附件打不开，请重新发送。", OTH, "document_request"),
    # ---- more realistic reports (regression set written for these rules, not from the eval set) ----
    Case("probe-00", "乌鲁木齐市局开展电梯应急救援“双盲”测试",
         "为检验维保单位应急救援能力，市局于10月随机抽取20部电梯，在不提前通知的情况下设置困人场景，检验维保单位到达现场时间。", R, "threshold"),
    Case("probe-01", "昌吉州局对某化工企业开展执法检查",
         "10月12日，州局执法人员对某化工企业压力容器使用情况进行检查，发现2台压力容器超期未检，已下达安全监察指令书。", R, "threshold"),
    Case("probe-02", "伊犁州局通报近期三起电梯事故",
         "近期，全国多地发生电梯伤人事故。州局对全州电梯使用单位进行了通报，要求各单位认真吸取教训。", R, "threshold"),
    Case("probe-03", "克拉玛依市局特种设备安全监察工作取得实效",
         "今年以来，市局共检查特种设备使用单位320家，查处违法案件12起，全市未发生一起特种设备事故。", R, "threshold"),
    Case("probe-04", "哈密地区局开展产品质量监督抽查",
         "地区局对辖区内生产的建材产品开展监督抽查，抽查水泥、砖等产品48批次，不合格6批次，已依法处理。", R, "threshold"),
    Case("probe-05", "和田地区局开展打假专项行动",
         "为维护市场秩序，地区局于9月开展打假专项行动，查获假冒伪劣商品货值3万元，立案查处5起。", R, "threshold"),
    Case("probe-06", "阿克苏地区局召开特种设备事故调查处理工作培训会",
         "地区局邀请专家就事故调查处理程序、事故原因分析方法等内容进行授课。", R, "threshold"),
    Case("probe-07", "博州局组织观看《电梯安全》警示片",
         "州局组织全体干部观看《电梯安全》警示片，片中展示了多起电梯坠落事故的惨痛后果。", R, "threshold"),
    Case("probe-08", "乌鲁木齐市局发布冬季燃气安全消费提示",
         "入冬以来，燃气泄漏和一氧化碳中毒事故进入高发期，市局提醒广大市民正确使用燃气器具。", R, "threshold"),
    Case("probe-09", "喀什地区局完成锅炉能效测试工作",
         "地区局完成辖区内32台燃煤锅炉的能效测试，平均热效率提高3个百分点。", R, "threshold"),
    Case("probe-10", "和布克赛尔县一煤矿锅炉房发生火灾",
         "11月20日6时30分，和布克赛尔县某煤矿锅炉房起火，火势迅速蔓延，目前消防部门正在扑救，尚无人员伤亡报告。", U, "incident_language"),
    Case("probe-11", "关于奇台县一面粉厂储罐坍塌的报告",
         "奇台县某面粉厂一座钢板仓于昨日下午突然坍塌，1名工人被埋，经全力救援后送医，经抢救无效死亡。", U, "incident_language"),
    Case("probe-12", "【突发】库车县一加油站储油罐起火",
         "今晨5时许，库车县某加油站储油罐起火，现场火势已得到控制。县局已派员赶赴现场。", U, "subject_marker"),
    Case("probe-13", "关于吐鲁番市一宾馆锅炉房一氧化碳中毒事件的报告",
         "11月28日夜间，吐鲁番市某宾馆锅炉房2名值班人员一氧化碳中毒，其中1人经抢救无效死亡，另1人仍在医院治疗。", U, "incident_language"),
    Case("probe-14", "伊宁市一小区电梯坠梯致1人受伤",
         "10月5日18时，伊宁市某小区一部电梯从5楼坠至底坑，轿厢内1名老人腰部受伤，已送医治疗。", U, "incident_language"),
    Case("probe-15", "关于乌鲁木齐某商场发生踩踏的报告",
         "今天下午，乌鲁木齐某商场自动扶梯处发生踩踏，多名顾客受伤，市局已派员到现场调查扶梯运行情况。", U, "incident_language"),
    Case("probe-16", "【紧急】关于媒体报道我区某企业生产不合格电线电缆的情况报告",
         "11月14日，新疆都市报以《劣质电缆流入工地》为题，报道我区某企业生产的电线电缆导体电阻不合格。区局立即组织稽查人员对该企业进行检查。", U, "subject_marker"),
    Case("probe-17", "国务院副总理到我区质检机构考察",
         "9月5日，国务院副总理一行在自治区领导陪同下到自治区产品质量监督检验研究院考察。", U, "important_work"),
    Case("probe-18", "关于奇台县面粉厂钢板仓坍塌事故的续报",
         "事故调查组已成立，死者善后事宜正在协商。", F, "followup_marker"),
    Case("probe-19", "关于伊宁市电梯坠梯事件后续处置情况的报告",
         "经检验，该电梯曳引机制动器失效，使用单位已停用该电梯。", F, "followup_marker"),
    Case("probe-20", "关于吐鲁番宾馆一氧化碳中毒事件的结报",
         "事故调查已结束，认定为锅炉烟道堵塞导致，相关责任人已被追责。", F, "followup_marker"),
    Case("probe-21", "关于推进我区质量强区战略的几点思考",
         "实施质量强区战略，是我区经济发展方式转变的必然要求。", RS, "research_marker"),
    Case("probe-22", "调研报告：我区纺织服装产业质量现状",
         "为摸清纺织服装产业质量现状，纤检局组织专题调研。", RS, "research_marker"),
    Case("probe-23", "信息员变更",
         "我局信息员由王某调整为李某，电话13800000000。", REG, "registration"),
    Case("probe-24", "协助宣传采访通知单回执",
         "收到协助宣传采访通知单，我局已安排专人配合记者采访。", PUB, "publicity_request"),
    Case("probe-25", "请问新邮箱地址",
         "你好，请问区局办公室新的邮箱地址是什么？", OTH, "mailbox_notice"),
    Case("probe-26", "表格",
         "麻烦把联络员登记表的word版发我一下，谢谢", OTH, "document_request"),
    Case("probe-27", "感谢",
         "谢谢邹老师的指导！", OTH, "thanks"),
    Case("probe-28", "库尔勒市某商场电梯故障3人被困",
         "11月3日15时10分，库尔勒市某商场一部观光电梯突然停运，3名顾客被困轿厢。维保人员20分钟后到场将被困人员救出，无人受伤。", U, "incident_time"),
    Case("probe-29", "关于消费者使用电暖器起火的情况报告",
         "12月5日晚，乌鲁木齐市民张某家中一台某品牌电暖器在使用过程中起火，引燃窗帘，所幸扑救及时。我局已对该批次电暖器进行抽样。", U, "incident_language"),
    Case("probe-30", "关于奎屯市一化工厂发生氯气泄漏的紧急报告",
         "今日9时40分，奎屯市某化工厂液氯钢瓶阀门泄漏，周边部分居民出现咳嗽症状，已有8人送医观察。", U, "subject_marker"),
    Case("probe-31", "阿勒泰市一供热锅炉超压爆炸",
         "阿勒泰市某小区供热站一台锅炉于今晨爆炸，锅炉房严重损毁，1名司炉工失踪，搜救工作正在进行。", U, "incident_language"),
    Case("probe-32", "伊宁市一在建楼盘塔吊吊臂折断",
         "5月9日下午，伊宁市某在建楼盘塔吊吊臂突然折断砸中工棚，造成2名工人死亡。", U, "incident_language"),
    Case("probe-33", "关于央视曝光我区某企业生产假冒种子的紧急报告",
         "6月3日，中央电视台《焦点访谈》栏目曝光我区某种业公司生产销售假冒玉米种子，区局立即派员赴现场调查，封存涉嫌假冒种子12吨。", U, "subject_marker"),
    Case("probe-34", "我局10月份电梯应急处置情况",
         "10月份，我局12365平台共接到电梯困人求助21起，均在30分钟内处置完毕，未造成人员伤亡。", R, "threshold"),
    Case("probe-35", "昌吉州局接群众举报查处一起无照经营案件",
         "州局接到群众举报后，对昌吉市某小作坊进行检查，发现其无证生产食用油，依法予以查封。", R, "threshold"),
    Case("probe-36", "州长到州质监局调研指导工作",
         "3月12日，州长一行到州质监局调研，听取了州局工作汇报。", R, "threshold"),
    Case("probe-37", "喀什地区局组织开展消防安全知识培训",
         "为增强干部职工消防安全意识，地区局邀请消防大队教官讲解火灾逃生自救知识，并演示灭火器使用方法。", R, "threshold"),
    Case("probe-38", "博州局对辖区游乐设施开展安全评估",
         "为防止游乐设施事故发生，州局委托特检机构对辖区12台大型游乐设施开展安全评估。", R, "threshold"),
    Case("probe-39", "伊犁州局开展“安全生产月”活动",
         "6月，伊犁州局以“安全生产月”为契机，开展特种设备安全宣传咨询活动，发放宣传资料3000余份。", R, "threshold"),
    Case("probe-40", "和田地区局开展气瓶充装单位专项检查",
         "近期，全国多地发生气瓶爆炸事故，为防范类似事故，地区局对辖区6家气瓶充装单位开展专项检查。", R, "threshold"),
    Case("probe-41", "石河子市局召开事故调查处理工作会议",
         "石河子市局召开会议，总结去年某锅炉事故调查处理工作中的经验和不足。", R, "threshold"),
    Case("probe-42", "我区特种设备安全形势稳定",
         "截至11月底，全区特种设备万台死亡率为0.25，低于国家控制指标。", R, "threshold"),
    Case("probe-43", "巴州局对一起电梯事故责任单位作出行政处罚",
         "今年3月发生的库尔勒市某小区电梯伤人事故调查终结，巴州局依法对负有责任的维保单位处以罚款5万元。", R, "threshold"),
    Case("probe-44", "关于奎屯氯气泄漏事件伤员救治情况的报告",
         "截至今日18时，8名送医观察人员中6人已出院，2人仍在留院观察。", F, "followup_marker"),
    Case("probe-45", "关于伊宁市塔吊折断事故原因的报告",
         "经技术组检验，事故系塔吊吊臂焊缝存在裂纹所致。", F, "followup_marker"),
    Case("probe-46", "阿勒泰锅炉爆炸事故最新情况",
         "失踪的司炉工已于今日上午找到，经抢救无效死亡。", F, "followup_marker"),
    Case("probe-47", "浅谈新形势下基层质监部门执法能力建设",
         "随着经济社会发展，基层质监部门执法任务日益繁重。", RS, "research_marker"),
    Case("probe-48", "关于我区电梯维保质量的调查报告",
         "为了解我区电梯维保质量状况，我局对乌鲁木齐等5个地州市开展了调查。", RS, "research_marker"),
    Case("probe-49", "报送联络员信息",
         "区局办公室：根据通知要求，我局确定办公室张某为信息宣传联络员，分管领导为副局长李某。", REG, "registration"),
    Case("probe-50", "申请媒体报道",
         "我处拟于9月20日举办质量月启动仪式，申请邀请媒体进行采访报道。", PUB, "publicity_request"),
    Case("probe-51", "中秋节快乐",
         "邹老师，祝您中秋节快乐，工作顺利！", OTH, "correspondence"),
    Case("probe-52", "关于召开全区信息工作会议的通知",
         "各单位：定于12月10日召开全区政务信息工作会议，请各单位信息联络员准时参加。", OTH, "circular"),
    Case("probe-53", "回复：信息采用情况",
         "您好，请问我局9月份报送的两篇信息为什么没有被采用？", OTH, "correspondence"),
    Case("probe-54", "关于某品牌燃气热水器致一家三口一氧化碳中毒的报告",
         "12月8日晨，米东区居民王某一家三口在家中昏迷，经医院诊断为一氧化碳中毒，初步判断与其使用的某品牌直排式燃气热水器有关。区局已派员赴现场调查。", U, "casualty"),
    Case("probe-55", "大摆锤停机18名游客被困空中",
         "7月29日17时05分，乌鲁木齐市某游乐园大摆锤设备运行中突然停机，18名游客被困空中。市局接报后立即赶赴现场指导救援，18时40分游客全部安全撤离。", U, "incident_time"),
    Case("probe-56", "【紧急】我局执法人员在检查中遭暴力抗法",
         "今日上午，我局执法人员在对某小作坊进行检查时，遭到该作坊人员围攻，2名执法人员被打伤，已报警处理。", U, "subject_marker"),
    Case("probe-57", "关于地震对我州特种设备影响情况的报告",
         "今日凌晨4时12分，我州某县发生5.8级地震。州局立即启动应急预案，组织对震区锅炉、压力容器、电梯等特种设备进行排查，目前未发现设备损坏。", U, "incident_language"),
    Case("probe-58", "石河子一食品厂发生液氨泄漏",
         "11月2日14时，石河子市某冷冻食品厂制冷车间液氨管道阀门泄漏，车间内5名工人出现不适症状，已送医。", U, "incident_language"),
    Case("probe-59", "某检测机构出具虚假检验报告被媒体曝光",
         "11月20日，新疆某电视台曝光我区某检测机构未经检验即出具检验报告。区局立即成立调查组进驻该机构调查。", U, "response"),
    Case("probe-60", "关于和田市一加油站计量作弊引发群众聚集的报告",
         "今日下午，和田市某加油站被群众举报加油机计量作弊，引发30余名群众聚集围观。市局执法人员已到场对加油机进行封存检定。", U, "response"),
    Case("probe-61", "乌鲁木齐市局开展电梯困人应急处置实战化拉练",
         "为提升电梯应急处置水平，市局组织维保单位开展实战化拉练，设定电梯困人场景进行救援。", R, "threshold"),
    Case("probe-62", "全区电梯困人救援平均到达时间缩短至15分钟",
         "今年以来，全区12365电梯应急处置平台运行平稳，电梯困人救援平均到达时间由去年的25分钟缩短至15分钟。", R, "threshold"),
    Case("probe-63", "伊犁州局部署春节期间安全生产工作",
         "州局召开专题会议，部署春节期间特种设备和产品质量安全工作，要求严格落实24小时值班和领导带班制度。", R, "threshold"),
    Case("probe-64", "克拉玛依市局邀请专家开展压力容器爆炸案例分析讲座",
         "市局邀请自治区特检院专家，结合近年来国内发生的多起压力容器爆炸事故案例，就事故原因和预防措施进行了讲解。", R, "threshold"),
    Case("probe-65", "阿克苏地区局开展锅炉节能改造",
         "地区局推动辖区内20台燃煤锅炉实施节能改造，年节约标准煤3000吨。", R, "threshold"),
    Case("probe-66", "吐鲁番地区局开展“回头看”",
         "地区局对去年发生的两起特种设备事故的整改落实情况开展“回头看”，督促使用单位落实整改措施。", R, "threshold"),
    Case("probe-67", "博州局组织开展有限空间作业安全培训",
         "为防止有限空间作业中毒窒息事故，州局组织辖区企业安全管理人员开展专题培训。", R, "threshold"),
    Case("probe-68", "哈密地区局开展燃气具产品质量专项抽查",
         "近期燃气中毒事故多发，地区局对辖区销售的燃气热水器、燃气灶开展专项抽查，抽查32批次。", R, "threshold"),
    Case("probe-69", "巴州局圆满完成“两会”期间特种设备安全保障",
         "“两会”期间，州局对重点场所特种设备进行了全面检查，保障期间全州特种设备安全运行，无事故发生。", R, "threshold"),
    Case("probe-70", "关于大摆锤停机事件原因调查情况的报告",
         "经检验，停机原因为液压系统油管破裂导致压力不足，运营单位已更换油管。", F, "followup_marker"),
    Case("probe-71", "和田加油站计量作弊事件处理结果",
         "经检定，该加油站2台加油机存在作弊行为，市局已立案查处。", F, "followup_marker"),
    Case("probe-72", "关于12月份值班安排",
         "各位联络员：12月份值班安排见附件，请知悉。", OTH, "circular"),
    Case("probe-73", "Re: 关于报送信息的通知",
         "收到", OTH, "thanks"),
    Case("probe-74", "伊犁州局特种设备安全监察工作综述",
         "今年，州局共办理特种设备使用登记1200台，处理电梯困人投诉35起，查处违法行为18起。", R, "threshold"),
    Case("probe-75", "昌吉州局开展质量安全风险隐患大排查",
         "州局组织对辖区食品生产企业、特种设备使用单位开展风险隐患大排查，发现隐患128处，已整改120处。", R, "threshold"),
    Case("probe-76", "乌鲁木齐市局举办电梯安全公益讲座",
         "市局在某社区举办电梯安全公益讲座，特检所专家结合电梯夹人、坠落等事故视频，讲解安全乘梯常识。", R, "threshold"),
    Case("probe-77", "克州局建立特种设备事故应急联动机制",
         "州局与州应急、消防、卫生等部门签订特种设备事故应急联动协议，明确事故发生后各部门职责分工。", R, "threshold"),
    Case("probe-78", "博州局对电梯维保单位开展约谈",
         "针对近期部分小区电梯频繁停梯困人问题，州局约谈辖区5家电梯维保单位负责人，要求提高维保质量。", R, "threshold"),
    Case("probe-79", "喀什地区局开展计量惠民活动",
         "地区局在喀什市东门市场开展计量惠民活动，免费为商户校准电子秤150台。", R, "threshold"),
    Case("probe-80", "和田地区局开展“质量月”质量安全进校园活动",
         "地区局组织执法人员走进和田市第三中学，向学生讲解食品安全和燃气安全知识。", R, "threshold"),
    Case("probe-81", "关于阿克苏市一小区电梯伤人事故的报告",
         "10月10日早上7时50分，阿克苏市某小区一名老人在乘坐电梯时，电梯门未关闭即上行，导致老人腿部被夹伤，已送医救治。", U, "incident_language"),
    Case("probe-82", "巴州一煤化工企业反应釜爆燃",
         "12月3日22时许，巴州某煤化工企业一台反应釜发生爆燃，引发车间火灾，3名工人被烧伤。", U, "incident_language"),
    Case("probe-83", "塔城市一宾馆电梯冲顶",
         "今天上午10时，塔城市某宾馆一部电梯冲顶，轿厢内2人受轻伤。", U, "incident_language"),
    Case("probe-84", "关于疏勒县某学校学生集体食用面包后出现呕吐的报告",
         "今日上午，疏勒县某小学30余名学生食用学校配发的面包后出现呕吐、腹痛症状，已送县医院治疗。县局已封存同批次面包。", U, "incident_language"),
    Case("probe-85", "国家质检总局检查组到我区督查电梯安全工作",
         "11月15日至18日，国家质检总局特种设备局局长带领检查组到我区督查电梯安全工作。", U, "important_work"),
    Case("probe-86", "关于巴州煤化工企业反应釜爆燃事故的补充报告",
         "经核实，受伤人数增至4人，其中1人重度烧伤。", F, "followup_marker"),
    Case("probe-87", "我区质量技术监督系统人才队伍建设情况调研",
         "为摸清全系统人才队伍现状，政治部开展了专题调研，现将有关情况报告如下。", RS, "research_marker"),
    # ---- regression: patterns added for the independent holdout (own wording, with hard negatives) ----
    # a large counterfeit seizure is an important work development; small cases and totals are not
    Case("seizure-amount", "阿勒泰市局端掉一处假冒润滑油仓库",
         "9月3日下午，阿勒泰市局会同公安部门对某物流仓库实施检查，查扣假冒品牌润滑油1.1万桶，"
         "涉案金额约260万元，相关人员已被带走调查。", U, "major_case"),
    Case("seizure-amount-yi", "喀什地区局查获假冒化肥",
         "喀什地区局在疏勒县一处厂房内查获假冒复合肥，涉案货值逾千万元，案件已移交侦查机关。", U, "major_case"),
    Case("seizure-especially-large", "昌吉州局破获一起特大假冒品牌轮胎案",
         "根据群众线索，州局执法人员在昌吉市郊一处院落内查扣假冒品牌轮胎600余条，目前案件正在深挖。", U,
         "major_case"),
    Case("seizure-marker-narrative", "【特急】伊犁州局查获一批假冒儿童玩具",
         "今天下午3时许，伊犁州局在伊宁市某批发市场查获假冒知名品牌儿童玩具2000余件，现场已扣押。", U,
         "marker_narrative"),
    Case("seizure-small-case", "和静县局查处一起销售无标签食用油案",
         "10月8日，和静县局在某粮油店查扣无标签散装食用油80公斤，货值约0.6万元，已立案调查。", R, "threshold"),
    Case("seizure-annual-total", "州局2026年打假工作情况",
         "全年共查处假冒案件23起，涉案金额合计560万元，同比增长12%。", R, "threshold"),
    Case("seizure-total-next-sentence", "州局上半年执法办案工作",
         "上半年，州局共立案查处质量违法案件41起。涉案货值共计310万元，罚没款86万元。", R, "threshold"),
    Case("marker-routine-deployment", "【紧急】州局部署元旦期间特种设备安全检查",
         "12月26日上午，州局召开部署会，要求各县市局对人员密集场所电梯、锅炉开展安全检查。", R, "routine_context"),
    # crowds and petitions
    Case("petition-despite-penalty-context", "【紧急】部分出租车司机到局反映检定收费问题",
         "今日上午10时，40余名出租车司机聚集在市局办公楼前，对计价器检定收费和此前的行政处罚决定不满，"
         "要求局领导出面答复，派出所民警已到场维持秩序。", U, "public_opinion"),
    Case("crowd-drill", "州局开展群体性事件应急处置演练",
         "11月3日，州局组织开展群体性事件应急处置演练，模拟30余名商户聚集到局门口反映诉求的场景。", R,
         "routine_context"),
    # online public opinion
    Case("online-video", "关于一段涉及我局执法人员的视频在网上流传的报告",
         "昨天晚上，一段反映我局执法人员在农贸市场检查时与摊主争吵的短视频在快手、微信群中大量转发，"
         "截至今天中午点击量已超过20万次。局里已安排专人核实。", U, "public_opinion"),
    Case("opinion-report-title", "关于某品牌面粉被网民发帖质疑的舆情报告",
         "网民在本地论坛发帖称购买的某品牌面粉有异味，帖子下出现较多负面评论，地区局已派员到企业核查。", U,
         "public_opinion"),
    Case("opinion-training", "区局举办网络舆情应对培训班",
         "为提高舆情应对能力，区局邀请专家为各单位信息员讲授网络舆情监测和引导方法。", R, "threshold"),
    Case("opinion-monitoring-work", "州局建立网络舆情监测工作机制",
         "州局明确专人负责每日舆情监测，建立舆情台账，做到早发现、早报告。", R, "threshold"),
    Case("gala-exposure", "关于“3·15”晚会曝光我区一家净水器企业的情况报告",
         "3月15日晚，“3·15”晚会报道我区某净水器企业虚标净水效果。区局连夜派员赶到该企业，封存库存产品。", U,
         "public_opinion"),
    Case("consumer-day-publicity", "米东区局开展“3·15”消费者权益日宣传活动",
         "3月15日上午，区局在步行街设立咨询台，发放宣传资料2000余份，现场受理咨询80余人次。", R,
         "routine_context"),
    # amusement rides: breakdowns with people stuck are incidents without the word 事故
    Case("ferris-wheel-stuck", "伊宁市一公园摩天轮故障致乘客滞留高空",
         "5月1日16时20分，伊宁市某公园摩天轮因电机故障停止转动，6个吊舱内共21名乘客滞留高空，"
         "经运营单位手动盘车，17时10分全部安全放下。", U, "incident_language"),
    Case("coaster-stopped", "喀什一乐园过山车运行中突然停机",
         "今天下午，喀什市某乐园一台过山车在爬升段突然停机，车上9名游客悬空约半小时，后被消防人员逐一救下。",
         U, "casualty"),
    Case("pirate-ship-bolt", "关于哈密市一游乐场海盗船摆臂螺栓断裂的紧急报告",
         "8月2日20时，哈密市某游乐场海盗船运行中摆臂螺栓断裂，设备剧烈晃动，3名游客轻微擦伤。", U,
         "subject_marker"),
    Case("ride-fault-drill", "克拉玛依市局开展大型游乐设施故障应急救援演练",
         "演练模拟过山车在运行中故障停机、12名游客滞留轨道高处的情形，检验了救援队伍的反应速度。", R,
         "routine_context"),
    Case("ride-fault-rate", "州局通报大型游乐设施定期检验情况",
         "今年全州大型游乐设施定期检验合格率98%，故障率同比下降，主要问题为安全压杠磨损。", R, "threshold"),
    # documents about emergencies are not emergencies
    Case("plan-revision", "州局修订印发特种设备事故应急预案",
         "6月5日，州局印发修订后的应急预案，明确了事故分级、应急响应程序和突发事件信息报送时限等要求。", R,
         "routine_context"),
    Case("reporting-rule", "区局印发突发事件信息报告制度",
         "制度规定，突发事件信息报送实行首报、续报、终报制度，较大以上事故须在1小时内报告。", R, "threshold"),
    # an earlier incident told as background for today's enforcement work
    Case("background-incident", "阿克苏地区局查处一批气瓶充装违规行为",
         "5月9日，地区局对辖区气瓶充装站开展突击检查，发现4家充装站存在超期瓶充装问题，已立案调查。"
         "这次检查是针对上个月发生的气瓶泄漏事件举一反三开展的。", R, "routine_context"),
    Case("someone-elses-report-reaching-us", "某职业技术学院21名学生疑食物中毒",
         "昨日凌晨2时，在接到市中心人民医院上报后，市食药监局对食物留样和呕吐物实施抽样化验，开展流行病学调查。", U,
         "casualty"),  # fresh4 ua014: 在接到…上报后 is the hospital's report, not our earlier one (no follow-up)
    Case("street-name-not-elsewhere", "乌鲁木齐北京路一商场扶梯逆行致多人摔伤",
         "今天上午11时许，北京路某商场一部自动扶梯突然逆行，造成5名顾客摔伤，已送医院检查。", U,
         "incident_language"),
    # follow-ups that do not say 续报
    Case("latest-situation", "关于网传某品牌酸奶胀袋问题的最新情况",
         "继昨日报告后，地区局今天上午对生产企业同批次产品全部封存，抽取样品送检，企业已发布召回公告。", F,
         "followup_marker"),
    Case("event-progress", "昌吉市液化气站泄漏事件进展",
         "泄漏点已于今晨封堵完毕，周边疏散群众已陆续返回，事故原因正在调查。", F, "followup_marker"),
    Case("after-report", "关于伊宁市锅炉房爆炸事故的后续报告",
         "伤者3人均已脱离生命危险，事故调查组今天对锅炉安全阀进行了拆检。", F, "followup_marker"),
    Case("body-latest-progress", "塔城地区局报送信息",
         "区局办公室：现将额敏县液氨泄漏事故最新进展报告如下：泄漏点已完成封堵，中毒的2名工人病情稳定。", F,
         "followup_marker"),
    Case("body-after-first-report", "关于库车市电梯困人事件",
         "在11月3日首报的基础上，地区局会同维保单位对该电梯进行了检测，确认门锁回路故障。", F, "followup_marker"),
    Case("progress-summary-routine", "关于我局上半年应急值守工作情况的汇报",
         "上半年，我局共接报各类突发事件信息5起，均按要求及时处置并上报。", R, "threshold"),
    Case("netizen-post", "网友在微博反映某品牌电饭煲内胆脱漆",
         "今日上午，有网友在微博发文称其购买的某品牌电饭煲使用一周内胆大面积脱漆，相关话题引发广泛关注。"
         "州局已派员前往生产企业核查。", U, "public_opinion"),
    Case("heating-network-burst", "关于奎屯市一供热管网爆管致居民停暖的报告",
         "1月8日凌晨2时，奎屯市某小区供热主管网爆管，导致约3000户居民停暖，热力公司正在抢修。", U,
         "incident_language"),
    Case("boiler-room-smoke", "伊宁市一幼儿园锅炉房冒烟 师生疏散",
         "今天上午9时40分，伊宁市某幼儿园锅炉房突然冒出浓烟，园方组织200余名师生疏散，未造成人员伤亡。", U,
         "incident_language"),
    Case("den-smashed", "稽查局捣毁一处制售假冒机油窝点",
         "12月3日，稽查局联合公安部门捣毁一处制售假冒机油窝点，现场抓获涉案人员2名，查扣成品机油800桶。", U,
         "major_case"),
    Case("important-work-label", "重要工作动态：国家质检总局领导到我区检查口岸工作",
         "今天上午，国家质检总局领导一行到霍尔果斯口岸检查进出口商品检验工作。", U, "subject_marker"),
    Case("regional-leader-visit", "自治区副主席到区局调研质量工作",
         "今天下午，自治区副主席一行到区局调研质量强区工作，听取了工作汇报。", U, "important_work"),
    Case("heating-maintenance-routine", "州局开展供热管网停运期间安全检查",
         "供暖期结束后，州局对辖区停运的供热锅炉和管网开展安全检查，督促使用单位做好保养。", R, "routine_context"),
    Case("crop-loss-warning-routine", "州局开展春季农资打假 防范假冒种子致减产",
         "州局在春耕前对辖区农资市场开展专项检查，防止假冒种子、化肥流入农村造成减产。", R, "routine_context"),
    Case("incident-summary-not-followup", "关于2026年质量安全事件处置情况的总结",
         "2026年，我局妥善处置各类质量安全事件12起，均按规定时限上报。", R, "threshold"),
    Case("exposed-short-form", "关于某品牌童鞋被曝甲醛超标的情况报告",
         "11月10日，本地媒体报道某品牌童鞋甲醛含量超标，相关视频在网络上迅速扩散。州局已对经销商进行检查。", U,
         "public_opinion"),
    Case("exposed-progress", "关于某品牌童鞋被曝问题的处置进展",
         "州局已完成对该批童鞋的抽样，检验结果将于3日内出具。", F, "followup_marker"),
    Case("office-exposes-offenders", "州局公开曝光6家计量作弊加油站",
         "为震慑违法行为，州局对查实计量作弊的6家加油站在门户网站予以公开曝光。", R, "threshold"),
    Case("office-exposes-cases", "区局曝光一批产品质量违法典型案例",
         "区局在官方网站曝光一批质量违法典型案例，涉及电线电缆、儿童玩具等产品。", R, "routine_context"),
    # a question to the office is not a registration or a report
    Case("question-new-liaison", "请问紧急信息的报送时限怎么算？",
         "王老师：您好！我是新任信息联络员，请问突发事件是从发生时起算2小时还是从接报时起算？谢谢！", OTH,
         "correspondence"),
    Case("question-liaison-form", "请问联络员变更需要重新填表吗？",
         "您好，我单位联络员近期调整，请问是否需要重新填写登记表？", OTH, "correspondence"),
    Case("liaison-change-still-registration", "博州局联络员变更",
         "区局办公室：我局信息联络员由李明变更为张华，手机13999990000，请更新通讯录。谢谢！", REG, "registration"),
    # ---- notes to the office that are not reports (letters, 请示, questions about its notices) --
    Case("thanks-letter-subject", "致区局办公室的感谢信",
         "区局办公室：\n一年来，贵室在信息编辑、稿件修改上给了我们很多具体帮助，我局信息采用数明显增加，"
         "在此表示诚挚谢意。今后我们将更加认真地做好信息报送。\n伊犁州质监局办公室", OTH, "thanks"),
    Case("thanks-letter-bare", "感谢信",
         "感谢区局办公室一直以来对我院宣传工作的关心，多篇稿件得到采用，我们倍受鼓舞。\n特检院综合科", OTH,
         "thanks"),
    Case("thanks-letter-news-is-routine", "和静县局收到企业赠送的锦旗和感谢信",
         "3月2日，某食品企业负责人来到和静县局，送上锦旗和感谢信，感谢县局帮助企业解决生产许可技术难题。",
         R, "threshold"),
    Case("petition-extension", "关于申请推迟报送第三季度信息统计表的请示",
         "区局办公室：\n我局近期承担节日市场检查任务，人手紧张，第三季度信息统计表无法按期完成，特申请延期至"
         "10月20日报送。妥否，请批示。\n昌吉州质监局", OTH, "request"),
    Case("petition-closing-formula", "培训名额事宜",
         "区局办公室：我局基层执法人员较多，恳请在本次信息写作培训中为我局增加2个名额，请予批准。", OTH,
         "request"),
    Case("work-report-is-routine", "关于2026年计量工作情况的报告",
         "2026年，我局共检定各类计量器具3.2万台件，开展集贸市场计量专项检查12次，查处计量违法案件9起。",
         R, "threshold"),
    Case("incident-with-request-stays-urgent", "关于某县锅炉爆炸事故请求技术支援的紧急报告",
         "今日9时20分，某县供热站一台燃煤锅炉发生爆炸，造成2人受伤，已送医救治。我局恳请区局派特检专家"
         "赶赴现场协助调查。", U, "incident_language"),
    Case("reply-with-question", "回复：关于10月份信息采用情况的通报",
         "通报中没有列出我局11日报送的计量惠民信息，是否漏统计了？请帮忙核实。\n\n> 原邮件：关于10月份信息"
         "采用情况的通报", OTH, "correspondence"),
    Case("inquiry-subject", "咨询：政务信息稿件字数要求",
         "区局办公室：政务信息每篇稿件的字数有没有上限，图片要单独发送吗？\n塔城地区局", OTH, "correspondence"),
    Case("consultation-activity-is-routine", "喀什地区局开展计量咨询服务进市场活动",
         "5月20日，喀什地区局在东巴扎设立计量咨询台，为商户免费校准电子秤120台，发放宣传资料800份。", R,
         "threshold"),
    Case("reply-submitting-a-report-is-routine", "回复：关于报送质量月活动总结的通知",
         "区局办公室：现将我局质量月活动总结报送如下：9月，我局组织开展质量宣传、企业开放日等活动12场。"
         "是否还需附照片，请告知。", R, "threshold"),
    # ---- analysis pieces are research ---------------------------------------------------------
    Case("analysis-and-advice", "全区电梯维保质量状况分析及改进对策",
         "根据全年监督抽查数据，全区电梯维保质量合格率为92.3%，存在维保记录不实、保养项目缺漏等问题。", RS,
         "research_marker"),
    Case("analysis-report", "我区燃气调压设备安全风险分析报告",
         "本文对全区燃气调压站设备运行状况作了梳理，指出存在的主要风险，并提出若干建议。", RS,
         "research_marker"),
    Case("statistics-analysis-is-routine", "2026年全区特种设备事故统计分析报告",
         "2026年，全区共发生特种设备事故4起，同比减少2起，未发生较大以上事故。", R, "threshold"),
    Case("analysis-meeting-is-routine", "区局召开第三季度质量安全形势分析会",
         "10月12日，区局召开第三季度质量安全形势分析会，各处室汇报了前三季度工作情况。", R, "threshold"),
    # ---- liaison lists are registration -------------------------------------------------------
    Case("report-liaison-subject", "报送稽查局信息宣传联络员",
         "按照区局通知要求，现报送我局信息宣传联络员：姓名 赵敏，科室 综合科，手机 139xxxx0000。", REG,
         "registration"),
    Case("liaison-list-subject", "巴州局2027年信息联络员名单",
         "区局办公室：我局2027年信息联络员名单见下：李强（办公室）、马丽（稽查分局）。", REG, "registration"),
    Case("liaison-training-is-routine", "区局举办全区信息宣传联络员培训班",
         "11月8日，区局举办全区信息宣传联络员培训班，邀请报社编辑讲授政务信息写作，60名联络员参训。", R,
         "threshold"),
    # ---- a national inspection group arriving unannounced is important work ----------------
    Case("national-unannounced-visit", "重要工作动态：国家质检总局特种设备局暗访组抵达博州",
         "今日上午，国家质检总局特种设备安全监察局暗访组一行4人事先未通知地方，直接抵达博乐市，随机抽查了"
         "两家气瓶充装站，指出充装前检查记录缺失等问题。州局主要领导已赶赴陪同。", U, "important_work"),
    Case("local-unannounced-check-is-routine", "州局组织对辖区电梯维保单位开展暗访检查",
         "10月下旬，州局抽调执法人员组成检查组，对辖区8家电梯维保单位开展暗访检查，发现问题21项。", R,
         "threshold"),
    # ---- progress on a named case is a follow-up ---------------------------------------------
    Case("case-progress", "关于和田假冒农药案的进展情况报告",
         "区局办公室：5月6日查获的和田制售假冒农药案，公安机关已对3名犯罪嫌疑人刑事拘留，涉案农药已全部"
         "追回。", F, "followup_marker"),
    Case("plan-progress-is-routine", "关于质量提升实施方案的进展情况报告",
         "按照实施方案要求，我局已完成重点企业质量诊断20家，培训质量管理人员300人次。", R, "threshold"),
    # ---- progress subjects without 续报: the progress word wins over incident words ---------------
    Case("recall-progress", "某品牌电热水壶召回进展情况",
         "截至5月3日17时，全区已下架问题批次水壶1200台，各地仍在追查流向。", F, "followup_marker"),
    Case("pipe-burst-handling", "克拉玛依市换热站爆管处置情况",
         "11月3日凌晨换热站管道爆管后，经抢修当日中午恢复供热，影响的800户居民已恢复正常。", F,
         "followup_marker"),
    Case("fire-further-info", "关于某小学食堂火灾的进一步情况",
         "11月2日晚某小学食堂起火，经调查起火原因为电线老化。3日上午，县局对全县学校食堂开展排查。", F,
         "followup_marker"),
    Case("inspection-rectify-progress", "国家督查组暗查发现气瓶充装问题整改进展",
         "针对5月督查组暗查发现的问题，州局约谈了3家充装单位，已完成整改2家。", F, "followup_marker"),
    Case("routine-progress-going-well", "州局电梯检验工作进展顺利",
         "截至目前，州局已完成电梯定期检验1300台，检验合格率98%。", R, "threshold"),
    Case("routine-milestone", "昌吉州局计量惠民专项行动取得阶段性成效",
         "专项行动开展以来，共检查集贸市场42个，检定计量器具860台件。", R, "threshold"),
    Case("year-summary-handling", "关于我局今年以来质量投诉处理情况的汇报",
         "今年以来，我局共受理质量投诉86件，办结81件。", R, "threshold"),
    # ---- 补报: a late first report of an incident is urgent ----------------------------------------
    Case("late-first-report", "补报：阿克苏市一液化气钢瓶爆燃事故",
         "上周五晚8时许，阿克苏市一餐馆液化气钢瓶发生爆燃，造成2人烧伤。因县局漏报，现予补报。", U,
         "incident_language"),
    # ---- equipment hurting a person -------------------------------------------------------------
    Case("escalator-hurts-child", "关于和田市某超市自动扶梯夹伤儿童的报告",
         "5日下午，一名男童手指被扶梯扶手带入口夹住，工作人员紧急停梯后救出，已送医。", U,
         "incident_language"),
    Case("escalator-anti-pinch-check", "州局检查商场扶梯防夹装置",
         "州局对12家商场扶梯的防夹装置、梳齿板开展检查，发现隐患3处。", R, "threshold"),
    # ---- duty reports stay routine --------------------------------------------------------------
    Case("holiday-duty-report", "关于昌吉州局国庆期间值班情况的报告",
         "国庆期间，州局落实领导带班和24小时值班，全州未发生特种设备事故和产品质量突发事件。", R,
         "threshold"),
    # ---- research: analytical write-ups, not trips ----------------------------------------------
    Case("survey-and-advice", "关于农村集贸市场计量器具使用的调查与建议",
         "我们抽查了30个集贸市场，发现近四成电子秤未经检定，建议……", RS, "research_marker"),
    Case("view-from-data", "从三年投诉数据看我区家电质量问题",
         "2023年至2025年，全区受理家电质量投诉共计1900件，其中……", RS, "research_marker"),
    Case("status-problems-countermeasures", "我区小作坊现状、问题与对策",
         "全区现有食品小作坊4000余家，主要问题是……", RS, "research_marker"),
    Case("leader-field-trip", "州局局长带队赴塔城开展走访调研",
         "9月3日至5日，州局局长带队走访塔城市、额敏县，看望基层干部，并召开座谈会。", R, "threshold"),
    # ---- publicity requests, registrations, forwarded notices -------------------------------------
    Case("media-tracking-request", "特检院申请媒体跟踪报道电梯应急演练",
         "拟于下月中旬组织电梯应急救援演练，请协调电视台全程拍摄。", PUB, "publicity_request"),
    Case("reporter-interview-request", "关于请求安排记者采访计量进社区活动的函",
         "我局定于5月20日开展计量进社区活动，请予安排。", PUB, "publicity_request"),
    Case("past-interview-is-news", "州局局长接受电视台记者采访",
         "5月10日，州局局长就质量月活动接受了新疆电视台记者采访。", R, "threshold"),
    Case("liaison-filing-form", "塔城局报送信息员备案表", "见附件，信息员无变化。", REG, "registration"),
    Case("forwarded-training-notice", "转发：关于举办全区计量业务培训班的通知",
         "各位：转发区局通知，请各科室推荐人员参加，周五前报名。", OTH, "forwarded_notice"),
    Case("forwarded-incident-report", "转发：关于某小区燃气管道泄漏情况的报告",
         "今日上午10时许，某小区燃气管道发生泄漏，周边居民已疏散。", U, "incident_language"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_classification_table(case: Case) -> None:
    got = classify_text(case.subject, case.body, dict(case.headers), case.attachments_text)
    assert got.category == (case.model_expected or case.expected), got.reasons
    assert got.reasons, "every decision names the rules that made it"
    assert any(r.split(":", 1)[0] == case.rule for r in got.reasons), got.reasons
    rules = classify_text(case.subject, case.body, dict(case.headers), case.attachments_text, model=None)
    assert rules.category == case.expected, ("the rule layer alone", rules.reasons)


def test_table_is_large_and_covers_every_category() -> None:
    assert len(CASES) >= 60
    assert {c.expected for c in CASES} == set(Category)


def test_reason_texts_show_what_matched() -> None:
    got = classify_text("【紧急】关于一起锅炉爆炸的报告", "5月3日10时，某厂发生锅炉爆炸，造成2人受伤。")
    assert "subject_marker:【紧急】" in got.reasons
    assert "incident_language:发生…爆炸" in got.reasons
    assert "casualty:造成2人受伤" in got.reasons
    assert got.reasons[-1].startswith("threshold:")


def test_drill_reason_names_context() -> None:
    got = classify_text("开展应急演练", "4月2日，我局开展锅炉爆炸事故应急演练，模拟锅炉发生爆炸。")
    assert got.category is Category.ROUTINE
    assert "routine_context:演练" in got.reasons
    assert not any(r.startswith("incident_language") for r in got.reasons)


def test_no_casualty_lowers_but_does_not_erase() -> None:
    body = "5月3日10时，某厂一台锅炉发生爆炸，{}。我局接报后立即赶赴现场。"
    with_casualty = classify_text("关于一起锅炉爆炸的报告", body.format("造成1人受伤"))
    without = classify_text("关于一起锅炉爆炸的报告", body.format("无人员伤亡"))
    assert without.category is Category.URGENT
    assert without.score < with_casualty.score
    assert "negation:无人员伤亡" in without.reasons


def test_score_counts_marker_and_headers_as_weak_signals() -> None:
    plain = classify_text("和静县局开展计量检定", "对集贸市场电子秤进行了集中检定。")
    marked = classify_text(
        "【紧急】和静县局开展计量检定", "对集贸市场电子秤进行了集中检定。", {"X-Priority": "1"}
    )
    assert marked.score == pytest.approx(plain.score + 2.5)
    assert marked.category is Category.ROUTINE


@pytest.mark.parametrize(
    ("subject", "body", "final"),
    [
        ("关于和田市气瓶爆炸事故的终报", "事故处置工作已经结束。", True),
        ("关于库尔勒塔吊倒塌事故的续报", "事故调查已结束，现场已恢复正常施工。", True),
        ("关于库尔勒塔吊倒塌事故的结报", "", True),
        ("关于米东新区液氨泄漏事故的续报", "企业处置完毕。", True),
        ("关于米东新区液氨泄漏事故的续报", "受伤人员仍在医院治疗，事故原因仍在调查。", False),
        ("克州局积极推进名牌战略", "企业已恢复正常生产经营。", False),  # routine: no case to close
    ],
)
def test_is_final_report(subject: str, body: str, final: bool) -> None:
    got = classify_text(subject, body)
    assert got.is_final_report is final, got.reasons
    if final:
        assert any(r.startswith("final_report:") for r in got.reasons)


# ---- configuration ---------------------------------------------------------------------------


def test_config_custom_marker_changes_outcome() -> None:
    subject, body = "【速报】某厂锅炉房有关情况", "有关情况正在核实。"
    assert classify_text(subject, body).category is Category.ROUTINE
    rules = ClassifyRules.from_mapping({"urgent_markers": ["【速报】"], "weight_subject_marker": 3})
    got = classify_text(subject, body, rules=rules)
    assert got.category is Category.URGENT
    assert "subject_marker:【速报】" in got.reasons
    # the override replaces the list: the default marker no longer counts
    assert (
        "subject_marker:【紧急】"
        not in classify_text("【紧急】某厂锅炉房有关情况", body, rules=rules).reasons
    )


def test_config_threshold_changes_outcome() -> None:
    subject, body = "【紧急】关于报送政务信息的函", "请各单位按时报送政务信息。"
    assert classify_text(subject, body).category is Category.ROUTINE
    low = ClassifyRules.from_mapping({"urgent_threshold": 1.5})
    assert classify_text(subject, body, rules=low).category is Category.URGENT


def test_config_extra_pattern() -> None:
    rules = ClassifyRules.from_mapping({"extra_routine_patterns": ["消防演示"], "weight_extra_routine": -10})
    subject, body = "关于一起锅炉爆炸的报告", "5月3日10时，某厂锅炉发生爆炸，造成2人受伤。"
    assert classify_text(subject, body).category is Category.URGENT
    assert classify_text(subject, body + "本次为消防演示。", rules=rules).category is Category.ROUTINE


def test_config_empty_mapping_returns_defaults() -> None:
    assert ClassifyRules.from_mapping({}) is DEFAULT_RULES


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"urgent_marker": ["【急】"]}, "classify.urgent_marker: unknown key"),
        ({"urgent_markers": "【急】"}, "classify.urgent_markers: expected a list of strings"),
        ({"urgent_markers": ["【急】", 3]}, "classify.urgent_markers: expected a list of strings"),
        ({"weight_drill": "high"}, "classify.weight_drill: expected a number"),
        ({"urgent_threshold": True}, "classify.urgent_threshold: expected a number"),
        ({"extra_urgent_patterns": ["(unclosed"]}, "classify.extra_urgent_patterns: bad regular expression"),
        ({"lead_chars": -1}, "classify.lead_chars: expected a non-negative integer"),
    ],
)
def test_config_errors_name_the_key(mapping: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        ClassifyRules.from_mapping(mapping)
    assert str(info.value).startswith(message)


# ---- classify(ParsedMail) ---------------------------------------------------------------------


def _mail(
    subject: str = "",
    text: str = "",
    *,
    from_addr: str = "xxb@bz.xjzj.gov.cn",
    headers: dict[str, str] | None = None,
    attachments: tuple[Attachment, ...] = (),
    dsn_recipients: tuple[str, ...] = (),
) -> ParsedMail:
    return ParsedMail(
        message_id="m1@example",
        subject=subject,
        from_addr=from_addr,
        from_name="",
        to=("jbgs@xjzj.gov.cn",),
        cc=(),
        delivered_to=(),
        reply_to=(),
        return_path=None,
        date=None,
        in_reply_to=None,
        references=(),
        headers=headers or {},
        text=text,
        html=None,
        attachments=attachments,
        dsn_recipients=dsn_recipients,
    )


def test_classify_registration_by_attachment_name() -> None:
    att = Attachment("博州局联络员登记表.docx", "application/octet-stream", 12000)
    got = classify(_mail("报送材料", "见附件", attachments=(att,)))
    assert got.category is Category.REGISTRATION
    assert got.reasons == ("registration_attachment:博州局联络员登记表.docx",)


def test_classify_publicity_by_attachment_name() -> None:
    att = Attachment("宣传报道申报单.doc", "application/msword", 30000)
    assert classify(_mail("申报", "请审批", attachments=(att,))).category is Category.PUBLICITY_REQUEST


def test_classify_reads_attachment_text() -> None:
    att = Attachment(
        "信息.docx",
        "application/octet-stream",
        9000,
        text="关于伊宁市一起爆炸事故的报告\n3月1日7时，伊宁市某厂发生锅炉爆炸，造成1人受伤。",
    )
    got = classify(_mail("政务信息", "见附件", attachments=(att,)))
    assert got.category is Category.URGENT
    assert "incident_language:发生…爆炸" in got.reasons


def test_classify_bounce_by_sender_and_dsn() -> None:
    assert classify(_mail("报告", "failed", from_addr="mailer-daemon@qq.com")).category is Category.BOUNCE
    got = classify(_mail("报告", "failed", dsn_recipients=("jbgs@xjnewqi.gov.cn",)))
    assert got.category is Category.BOUNCE
    assert got.reasons[0].startswith("bounce_header:")


def test_classify_auto_submitted_no_is_not_auto_reply() -> None:
    got = classify(
        _mail("克州局积极推进名牌战略", "2家企业产品获评自治区名牌。", headers={"auto-submitted": "no"})
    )
    assert got.category is Category.ROUTINE


def test_classify_ignores_quoted_original() -> None:
    text = "收到，谢谢。\n\n-----原始邮件-----\n发件人: jbgs\n关于哈密地区锅炉爆炸事故的报告……造成1人死亡"
    got = classify(_mail("Re: 关于哈密地区锅炉爆炸事故的报告", text))
    assert got.category is Category.OTHER


def test_classify_and_classify_text_agree() -> None:
    for case in CASES[:20]:
        mail = _mail(case.subject, case.body, headers={k.lower(): v for k, v in case.headers},
                     attachments=(Attachment("a.docx", "application/octet-stream", 1, case.attachments_text),)
                     if case.attachments_text else ())  # fmt: skip
        assert classify(mail).category == case.expected, case.id


@pytest.mark.parametrize(
    ("subject", "body", "context"),
    [
        ("市局编印案例汇编", "市局向企业发放《锅炉爆炸事故案例汇编》。", "routine_context:《》"),
        ("州局部署冬季安全工作", "各单位如发生特种设备事故，要在1小时内上报。", "routine_context:如发生"),
        ("州局工作综述", "今年共处理电梯困人投诉35起。", "routine_context:35起"),
    ],
)
def test_sentence_context_cancels_incident_words(subject: str, body: str, context: str) -> None:
    got = classify_text(subject, body)
    assert got.category is Category.ROUTINE
    assert context in got.reasons
    assert not any(r.startswith("incident_language:") for r in got.reasons)


def test_test_marker_needs_a_test_mail() -> None:
    assert classify_text("测试", "测试").category is Category.OTHER
    got = classify_text("测试中心完成能力验证", "测试中心顺利通过国家能力验证，结果满意。")
    assert got.category is Category.ROUTINE


# ---- the rule layer on real text (tests/eval/real, dev split; ids given) ------------------------


@pytest.mark.parametrize(
    ("rid", "subject", "body", "rule"),
    [
        # a place name is not evidence of routine work (the old "elsewhere" list cancelled these)
        ("geography", "关于湖南某地一起锅炉爆炸的报告", "近日，湖南某地发生一起锅炉爆炸事故，造成2人受伤。",
         "incident_language"),
        # 下降 is a lift going down, not a statistic
        ("se003", "淄博:电梯悬停一二楼之间 消防员“精细操作”",
         "7月11日19时43分,淄博市消防支队金山中队接到报警,位于淄博市临淄区金山镇冯家新村一在下降过程中发生故障,"
         "造成1名儿童被困电梯内无法逃脱。", "casualty"),
        # 大火 in a headline is an incident
        ("ge080", "乌鲁木齐一库房发生大火 过火面积逾1千平方米",
         "新华网乌鲁木齐4月1日电(记者刘兵 周生斌)1日凌晨2时许,位于乌鲁木齐市米东区米东南路兴业三巷29号的仓库库房"
         "发生大火,截至4时30分,过火面积已逾一千平方米,人员伤亡情况暂不详。", "incident_language"),
    ],
)  # fmt: skip
def test_rules_no_longer_cancel_real_incidents(rid: str, subject: str, body: str, rule: str) -> None:
    got = classify_text(subject, body, model=None)
    assert any(r.startswith(rule + ":") for r in got.reasons), (rid, got.reasons)
    assert got.category is Category.URGENT, (rid, got.reasons)


def test_text_without_full_stops_is_not_one_sentence() -> None:
    # one stray context word (同比) must not cancel the incident told in another clause
    body = (
        "今年以来全市电梯运行平稳,各类电梯数量同比增长百分之十二,维保单位按时完成年度检验工作,市民乘梯满意度"
        "持续提升,社区宣传活动覆盖所有小区,"
        "昨日下午3时许,和平小区一部电梯发生故障,造成3名居民被困轿厢内,消防员赶到现场将被困人员救出"
    )
    got = classify_text("情况通报", body, model=None)
    assert any(r.startswith("casualty:") for r in got.reasons), got.reasons


def test_dateline_is_not_the_first_sentence() -> None:
    from mailbot.judge.classify.document import _prepare

    doc = _prepare(
        "", "新华社乌鲁木齐1月3日电（记者 张三）1月2日晚，某市场发生火灾。", None, "", (), (), (), 160
    )
    assert doc.first == "1月2日晚,某市场发生火灾"  # full-width punctuation folded


def test_statistics_summary_is_routine_evidence() -> None:
    body = "春节期间，全市共接报电梯困人15起，同比下降20%，累计解救被困人员42人，环比持平。"
    got = classify_text("春节期间电梯应急处置情况", body, model=None)
    assert any(r.startswith("statistics_summary:") for r in got.reasons), got.reasons


def test_crisis_meeting_is_not_routine_topic() -> None:
    subject = "关于媒体曝光某企业问题奶粉后我局立即召开紧急会议的报告"
    body = "11月5日，某电视台曝光我区某乳企奶粉蛋白质含量不达标，我局立即召开紧急会议，连夜对企业进行检查。"
    got = classify_text(subject, body, model=None)
    assert not any(r.startswith("routine_topic:") or r == "routine_context:会议" for r in got.reasons)
    assert got.category is Category.URGENT


# ---- the hybrid: gates, then the n-gram model with the rule score -----------------------------
# Regression checks of the shipped weights (trained on the dev split: these rows are not evidence).


@pytest.mark.parametrize(
    ("rid", "subject", "body", "expected"),
    [
        ("ge076", "", "本报讯 4月3日中午12时左右,雄县一购物广场内,一名女士因电梯故障被困在封闭楼层中,无奈只得报警求助。"
         "雄县消防中队接警后迅速赶到现场,并成功将被困女子救出。", U),
        ("ge123", "中景區遊樂設施停擺 數十遊客倒掛空中", "中國重慶的美心紅酒小鎮景區,有一項遊樂設施大擺錘,4日突然"
         "出現停擺的狀態,導致數十名遊客,被倒掛空中,幸好景區立刻排除故障,沒有人受傷。\n根據中國媒體報導,當時大擺錘啟動"
         "都正常,不少圍觀遊客,就站在現場觀看,但機械運行到一半,突然停擺,十多名遊客被倒掛在空中。", U),
        ("se021", "歡樂谷高速旋轉遊樂設施驟停 遊客倒懸半空(圖)", "【看中國2017年5月16日訊】5月14日下午,北京歡樂谷遊戲場"
         "的一個360度各種旋轉的遊樂設施在飛速旋轉時突然卡住,導致遊客倒懸在空中,現場驚叫聲四起。", U),
        ("se013", "6名乘客模拟被困中央电视塔 16分钟被成功救出", "7月2日,北京市海淀区市场监管局组织开展“高层电梯应急"
         "救援演练”活动,6名乘客模拟被困于中央电视塔19层到20层的电梯内,从报警到被困人员获救,用时16分钟。", R),
        ("se030", "共解救134名被困人员 广州96333春节守护市民出行", "2月3日,记者从广州市市场监督局了解到,春节期间,"
         "广州市电梯安全运行监控中心(广州96333)共接到电话367通,电梯应急处置共84宗,解救被困人员总计134人。", R),
        ("ge017", "枸杞乡开展2025年涉氨制冷应急演练", "12月2日上午,枸杞乡人民政府牵头联合县应急管理局等多部门,"
         "成功举办涉氨制冷企业应急演练。第一个场景为火灾应急演练。", R),
        ("fd066", "宁波一面馆28人食物中毒事件续:店主已被刑拘", "5月6日下午,位于浙江省宁波市江东北路的阜阳袁记格拉桥"
         "面馆发生疑似食物中毒事件,28人出现中毒症状。记者最新获悉,该店店主已被刑事拘留。", F),
    ],
)  # fmt: skip
def test_hybrid_on_real_text(rid: str, subject: str, body: str, expected: Category) -> None:
    got = classify_text(subject, body)
    assert got.category is expected, (rid, got.reasons)


def test_model_reasons_name_the_strongest_ngrams() -> None:
    got = classify_text(
        "",
        "4月3日中午12时左右,雄县一购物广场内,一名女士因电梯故障被困在封闭楼层中,无奈只得报警求助。雄县消防中队"
        "接警后迅速赶到现场,并成功将被困女子救出。发生故障的电梯为一楼到四楼的直达电梯。",  # ge076
    )
    model = [r for r in got.reasons if r.startswith("model:")]
    terms = [r for r in got.reasons if r.startswith("model_terms:")]
    assert model and terms, got.reasons
    # model:被困+1.2,消防+0.9 — each n-gram with its signed contribution; model_terms lists the same n-grams
    parts = [re.fullmatch(r"(.+?)([+-]\d+\.\d+)", p) for p in model[0].removeprefix("model:").split(",")]
    assert all(parts), model
    assert [p.group(1) for p in parts if p] == terms[0].removeprefix("model_terms:").split("、")


def test_model_reasons_with_numbers_are_office_only() -> None:
    from mailbot.judge.reasons import OFFICE_ONLY_REASONS, REASONS

    assert {"model", "threshold", "statistics_summary"} <= OFFICE_ONLY_REASONS
    assert "model_terms" not in OFFICE_ONLY_REASONS and REASONS["model_terms"] == "文本特征"


def test_rules_alone_without_model() -> None:
    subject, body = "关于一起锅炉爆炸的报告", "5月3日10时，某厂锅炉发生爆炸，造成2人受伤。"
    got = classify_text(subject, body, model=None)
    assert got.category is Category.URGENT
    assert not any(r.startswith("model") for r in got.reasons)


def test_strong_rule_evidence_overrides_the_model() -> None:
    from mailbot.judge.classify.textmodel import load_model

    model = load_model()
    assert model is not None
    against = dataclasses.replace(model, urgent_bias=-100.0)  # a model that never says urgent
    subject, body = (
        "【紧急】关于一起锅炉爆炸的报告",
        "5月3日10时，某厂锅炉发生爆炸，造成2人死亡、3人受伤。我局接报后立即赶赴现场，组织救援，"
        "已将伤者送往医院救治。",
    )
    got = classify_text(subject, body, model=against)
    assert got.score - DEFAULT_RULES.urgent_threshold >= model.rule_override_margin
    assert got.category is Category.URGENT


def test_model_scores_in_pure_python_as_exported() -> None:
    import json
    import math

    from mailbot.judge.classify.textmodel import WEIGHTS_FILE, TextModel, ngrams, normalise

    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    assert len(data["features"]) <= 5000 and WEIGHTS_FILE.stat().st_size < 400_000
    model = TextModel.from_json(data)
    text = "某小区电梯发生故障，3人被困。"
    logits, present, scale = model.contributions(text)
    grams = ngrams(normalise(text, model.max_chars))
    assert normalise("电梯１２月３日", 100) == "电梯00月0日"
    assert scale == pytest.approx(1 / math.sqrt(len(grams)))
    for k in range(len(model.classes)):
        want = model.bias[k] + sum(model.weights[g][k] * scale for g in grams if g in model.weights)
        assert logits[k] == pytest.approx(want)
    assert set(present) == grams & set(model.weights)


def test_huge_text_of_numbers_and_dates_is_classified() -> None:
    # 2.6 MB of digit runs and dates: unbounded number patterns made this quadratic (minutes; hours at
    # this size); bounded ones and the per-part cap keep it linear. The test only has to finish.
    body = ("20261201" * 40000 + "2026年12月1日10时30分，12345，35起，" * 20000) * 3
    body = body[:2_600_000]
    assert len(body.encode()) > 2_600_000
    got = classify_text("统计", body)
    assert got.category in (Category.ROUTINE, Category.URGENT)


def test_ngrams_are_every_distinct_slice() -> None:
    from mailbot.judge.classify.textmodel import ngrams

    text = "电梯被困 电梯"
    assert ngrams(text) == {text[i : i + n] for n in (1, 2, 3) for i in range(len(text) - n + 1)}
    assert ngrams("") == set()


def test_followup_headline_markers() -> None:
    # 续 closing a news headline (fd066), an accident investigation report (se049): a follow-up
    assert (
        classify_text(
            "宁波一面馆28人食物中毒事件续:店主已被刑拘", "记者最新获悉，该店店主已被刑事拘留。"
        ).category
        is F
    )
    got = classify_text(
        "广州公布“塔吊坍塌致7死”事故调查报告:53人被追责", "调查认定这是一起生产安全责任事故。"
    )
    assert got.category is F
    assert classify_text("继续做好电梯安全工作", "各单位继续做好电梯维保检查工作。").category is not F


def test_model_cue_features_pool_phrasings_and_are_shown() -> None:
    """Issue #12: cue families (伤亡人数上升, 司法处理 …) are features of the model, shown by name."""
    from mailbot.judge.classify.textmodel import cues, load_model, normalise, top_features

    found = cues(normalise("事故死亡人数已上升至12人，两名被告人被判处有期徒刑。", 1500))
    assert {"cue:伤亡人数上升", "cue:司法处理"} <= found
    assert cues(normalise("今天召开安全生产会议。", 1500)) == set()
    model = load_model()
    assert model is not None and model.cue_value > 0
    logits, present, scale = model.contributions("事故死亡人数已上升至12人，两名被告人被判处有期徒刑。")
    assert "cue:伤亡人数上升" in present
    shown = [g for k in range(len(logits)) for g, _ in top_features(present, k, scale, n=10)]
    assert not any(g.startswith("cue:") for g in shown)  # shown as 〈名称〉, never the raw feature name


def test_model_reads_traditional_characters_as_simplified() -> None:
    from mailbot.judge.classify.textmodel import cues, normalise

    assert normalise("內蒙古包鋼蒸汽球罐爆炸事故的死亡人數進一步增加", 1500) == normalise(
        "内蒙古包钢蒸汽球罐爆炸事故的死亡人数进一步增加", 1500
    )
    found = cues(normalise("4日在南平邵武發生的中巴車落水事故死亡人數已上升至12人。“8·30”爆炸", 1500))
    assert {"cue:已发生回指", "cue:事件代号", "cue:伤亡人数上升"} <= found


def test_investigation_report_of_a_named_accident_is_a_followup() -> None:
    got = classify_text("荆州电梯“卷人”事故 形成调查报告", "记者29日获悉，该起事故的技术调查报告已经形成。")
    assert got.category is Category.FOLLOWUP
    assert any(r.startswith("followup_marker:") for r in got.reasons)
    research = classify_text("关于我区特种设备事故隐患的调查报告", "为摸清底数，我局对全区开展了调查。")
    assert research.category is Category.RESEARCH


# News follow-ups name the development in the headline (mailbot.judge.followup_words.NEWS_DEVELOPMENT).
# Headlines and leads copied from real published texts (tests/eval/fresh3 tb013, tb087; real ge036, se035).
NEWS_FOLLOWUPS = [
    ("吉林公主岭失火老人院4名伤者情况稳定",
     "新华网长春2月25日电(常亦殊、陈鹏)25日凌晨,吉林省公主岭市康乐园老人院发生大火,导致2位老人死亡,另有4人受伤。"
     "记者25日下午在救治伤者的医院了解到,目前伤者情况稳定,其他没有受伤的老人也得到了妥善安置。", F),
    ("四川泸州商场爆燃事故调查出炉 9名官员被处分",
     "记者今日从四川泸州市安监局获悉,去年12月发生在该市的摩尔商场爆燃事故调查报告已经出炉,并于日前得到泸州市政府批复。", F),
    # fresh5 va023: the toll rises (增至72人遇难) after a named earthquake
    ("四川泸定地震|增至72人遇难 救援工作持续",
     "据四川省抗震救灾指挥部消息,截至9月6日8时,四川甘孜州泸定县6.8级地震已造成72人遇难。", F),
    # 平稳 of a safety situation and 升至 of a lift are no developments
    ("中秋国庆假期全国 安全形势总体平稳",
     "新华社北京10月6日电 (记者 周圆 王聿昊)记者6日从应急管理部获悉,中秋国庆假期,全国应急管理系统坚守岗位,全力保安全、护稳定。"
     "截至6日19时,全国安全形势总体平稳,未发生重大以上灾害事故。", R),
    ("",
     "【财新网】(记者 张焕平)9月13日,湖北武汉“东湖景园”建筑工地的一台施工升降机在升至100米处时发生坠落,造成19名施工人员身亡。"
     "目前,事故原因正在调查中。", U),
]  # fmt: skip


@pytest.mark.parametrize(("subject", "body", "expected"), NEWS_FOLLOWUPS)
def test_news_followup_headline(subject: str, body: str, expected: Category) -> None:
    got = classify_text(subject, body, None)
    assert got.category == expected, got.reasons
    assert any(r.startswith("followup_marker:") for r in got.reasons) == (expected is F), got.reasons


def test_news_followup_evidence_may_be_a_casualty_count_in_the_headline() -> None:
    # fresh3 tc077: 18名幼儿中毒 in the headline is the incident, 元凶 the development
    got = classify_text(
        "乌鲁木齐幼儿园18名幼儿中毒痢疾杆菌是元凶",
        "据新华社乌鲁木齐11月9日电(记者 贺占军)经卫生部门连日调查,造成乌鲁木齐市一家幼儿园18名幼儿呕吐、腹泻等食物中毒症状的真正原因是痢疾杆菌。"
        "目前,这18名儿童已经全部出院,并已返回幼儿园。",
        None,
    )
    assert got.category == F, got.reasons


def test_commentary_is_research() -> None:
    # fresh3 tb029: a newspaper's short commentary on an explosion reports no new event
    got = classify_text(
        "银川烧烤店爆炸事故:安全是一切生产活动前提 | 新京报快评",
        "6月21日20时40分许,宁夏银川市兴庆区富洋烧烤店发生燃气爆炸,造成31人死亡。安全是一切生产活动的前提,这句话怎么强调都不为过。",
        None,
    )
    assert got.category == RS, got.reasons


def test_a_national_team_arriving_is_urgent_though_its_visit_reads_as_inspection() -> None:
    # fresh5 vb081 (real, simplified here): 督查 is both the team's visit and a routine-context word
    got = classify_text(
        "国务院食安委对浙江省开展食品安全督查落实",
        "9月2日至4日,国务院食品安全委员会第四督查组抵浙开展为期3天的食品安全工作实地督查。",
        None,
    )
    assert got.category is Category.URGENT, got.reasons
    assert any(r.startswith("important_work:") for r in got.reasons)
    routine = classify_text(
        "我局开展食品安全督查", "9月2日至4日,我局组织督查组对各县市开展食品安全工作实地督查。", None
    )
    assert routine.category is Category.ROUTINE, routine.reasons
