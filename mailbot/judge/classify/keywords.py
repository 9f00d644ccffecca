"""The classifier's built-in data: every keyword list, pattern word and weight, as the defaults of
:class:`ClassifyRules`.

The rules that use them live in :mod:`mailbot.judge.classify` (which re-exports :class:`ClassifyRules` and
:data:`DEFAULT_RULES`); a ``[classify]`` config table overrides any field through
:meth:`ClassifyRules.from_mapping`, which checks each key and value.  Nothing here matches text:
patterns are compiled and the rules run in :mod:`mailbot.judge.classify`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailbot.errors import ConfigError

__all__ = ["DEFAULT_RULES", "ClassifyRules"]


@dataclass(frozen=True)
class ClassifyRules:
    """Every keyword list and weight the rules use; override from the ``[classify]`` config table."""

    # -- non-report kinds -------------------------------------------------------------------------
    bounce_subjects: tuple[str, ...] = (
        "退信", "系统退信", "Undeliverable", "Undelivered Mail", "Delivery Status Notification",
        "Mail delivery failed", "Delivery Failure", "Returned mail", "failure notice",
        "投递失败", "发送失败", "无法投递", "邮件被退回",
    )  # fmt: skip
    bounce_senders: tuple[str, ...] = ("mailer-daemon", "postmaster")
    auto_reply_subjects: tuple[str, ...] = (
        "自动回复", "自动答复", "Auto Reply", "Auto-Reply", "Autoreply", "Automatic reply",
        "Out of Office", "Out of the Office", "不在办公室", "休假",
    )  # fmt: skip
    registration_markers: tuple[str, ...] = (
        "信息宣传联络员登记表", "联络员登记表", "联络员登记", "联络员变更", "变更联络员", "更换联络员",
        "联络员调整", "调整联络员",
    )  # fmt: skip
    liaison_words: tuple[str, ...] = ("联络员", "信息员", "通讯员")
    registration_after: tuple[str, ...] = (  # 联络员 + …: 联络员变更, 联络员有关情况
        "登记", "变更", "调整", "更换", "有关情况", "基本情况", "情况报送", "信息", "名单", "报备", "备案",
    )  # fmt: skip
    registration_before: tuple[str, ...] = (  # … + 联络员: 变更联络员, 确定张某为联络员
        "变更", "调整", "更换", "担任", "确定", "指定", "新任",
    )  # fmt: skip
    publicity_markers: tuple[str, ...] = (
        "宣传报道申报单", "申请宣传申报单", "宣传申报单", "申请宣传", "协助宣传采访", "协助宣传报道",
        "宣传报道通知单", "申请媒体采访", "申请采访报道", "宣传报道申请", "宣传报道内容", "宣传报道时间",
        "邀请媒体", "媒体随行",
    )  # fmt: skip
    publicity_request_verbs: tuple[str, ...] = ("申请", "请求", "邀请", "恳请", "协调")  # subject only
    publicity_media_words: tuple[str, ...] = ("媒体", "记者", "新闻单位", "电视台", "报社", "新闻媒体")
    test_markers: tuple[str, ...] = ("测试", "test", "试发", "试一下", "试试")
    thanks_markers: tuple[str, ...] = ("谢谢", "感谢", "收到", "已收到", "收悉", "好的", "thanks", "thank you")  # fmt: skip
    request_verbs: tuple[str, ...] = (
        "请发", "请再发", "请重发", "请提供", "请转发", "请传", "麻烦", "能否", "可否", "能不能", "是否可以",
        "索要", "索取",
    )  # fmt: skip
    request_objects: tuple[str, ...] = (
        "文件", "通知", "附件", "表格", "登记表", "申报单", "电子版", "模板", "样表", "原文", "word版",
    )  # fmt: skip
    circular_salutations: tuple[str, ...] = (
        "各单位", "各地、州、市", "各地州市", "各处室", "各直属单位", "各科室", "各部门", "各位联络员",
    )  # fmt: skip
    circular_markers: tuple[str, ...] = (
        "通知", "电子版", "转发", "请组织", "请各单位", "发送给你们", "印发给你们", "期刊", "简报", "请知悉",
        "请遵照", "请按时", "请准时", "见附件", "安排",
    )  # fmt: skip
    mailbox_words: tuple[str, ...] = ("邮箱", "邮件地址", "电子邮件", "邮件系统", "联系方式变更", "电话变更")
    conversational_markers: tuple[str, ...] = (
        "老师", "您", "请问", "麻烦", "谢谢", "感谢", "祝工作顺利", "是否方便", "能否", "可否", "吗?", "呢?",
        "请核实", "请更新", "请知悉", "请予", "不知道", "打扰", "节日快乐", "新年快乐", "春节快乐", "祝您",
    )  # fmt: skip
    submission_markers: tuple[str, ...] = (
        "现将", "如下", "报送如下", "上报如下", "信息一则", "供采用", "请审阅", "请审核", "请采用", "请查收", "见附件",
        "详见附件",
    )  # fmt: skip
    incident_title_words: tuple[str, ...] = ("事故", "事件", "险情", "舆情", "火情", "案件", "大火")
    question_markers: tuple[str, ...] = ("请问", "?", "吗", "怎么", "如何", "是否需要", "能否", "可否")
    petition_subject_markers: tuple[str, ...] = (  # a 请示 / request to the office, not a report
        "请示", "申请延期", "延期报送", "延期上报", "延期提交", "请予批准", "恳请", "请求",
    )  # fmt: skip
    petition_body_markers: tuple[str, ...] = (  # the closing formulas of a 请示
        "妥否，请批示", "妥否,请批示", "妥否", "请批示", "特此请示", "请予批准", "恳请批准", "恳请同意",
        "请予同意", "望批准",
    )  # fmt: skip
    inquiry_subject_markers: tuple[str, ...] = ("疑问", "请问", "询问", "咨询:", "咨询：", "咨询一下", "的咨询")  # fmt: skip
    attachment_problems: tuple[str, ...] = ("附件打不开", "附件无法打开", "附件损坏", "没有收到附件", "未收到附件")  # fmt: skip
    # -- report kinds -----------------------------------------------------------------------------
    followup_markers: tuple[str, ...] = (
        "续报", "终报", "结报", "事故调查报告", "调查报告发布", "人被追责", "人数增至", "原因初步查明",
        "原因查明", "事件续", "事故续",
    )  # fmt: skip
    followup_weak_markers: tuple[str, ...] = (
        "进展情况", "最新进展", "处置进展", "事态进展", "处置情况", "处理情况", "后续情况", "后续处置",
        "善后情况", "调查处理情况", "调查进展", "进展", "处置结果", "处理结果", "补充报告",
        "补充说明",
        "善后处理", "救治情况", "原因", "最新情况", "调查情况", "检验结果", "鉴定结果", "后续", "善后",
        "进一步情况",
    )  # fmt: skip
    # a subject naming an earlier event, case, recall or inspection plus a progress word is a
    # follow-up even without 续报 (…召回进展情况, …爆管处置情况, …火灾的进一步情况, …整改进展)
    progress_subject_words: tuple[str, ...] = (
        "进一步情况", "进展情况", "最新进展", "最新情况", "处置情况", "处理情况", "后续情况", "处置进展",
        "调查进展", "整改进展", "召回进展", "后续处置", "善后情况",
    )  # fmt: skip
    progress_subject_objects: tuple[str, ...] = (  # what the progress is about
        "召回", "暗访", "督查", "曝光", "舆情", "案件", "一案", "事故", "事件", "险情", "整改",
    )  # fmt: skip
    routine_progress_words: tuple[str, ...] = (  # 工作进展顺利, 取得阶段性进展: routine work going well
        "顺利", "取得", "阶段性", "成效", "工作进展", "工作处置情况", "建设进展",
    )  # fmt: skip
    followup_body_markers: tuple[str, ...] = (  # 现将…最新进展报告如下: progress on an event already reported
        "最新情况", "最新进展", "后续进展", "进展情况", "事态进展", "处置进展", "后续处置情况", "后续情况",
    )  # fmt: skip
    final_markers: tuple[str, ...] = (
        "终报", "结报", "处置完毕", "处置工作结束", "处置工作已结束", "处置工作全部结束", "已恢复正常",
        "恢复正常运行", "恢复运行", "恢复生产", "善后工作已完成", "善后工作已经完成", "善后工作全部完成",
        "善后处理完毕", "善后工作已结束", "事故调查已结束", "事故调查工作已结束", "调查处理工作已结束",
        "已结案",
    )  # fmt: skip
    research_markers: tuple[str, ...] = (
        "调研信息", "调研报告", "调查与思考", "调研与思考", "调查报告", "调研文章", "调研分析", "调查与建议", "调研与建议",
        "的思考", "的调研", "几点思考", "对策建议", "的探讨", "浅谈", "浅析", "调研:", "与对策", "及对策",
        "问题与建议", "调查分析", "现状调查", "状况调查", "调查与分析", "与启示", "的启示", "对策研究",
        "思考与建议", "对策与建议", "分析与建议", "分析与对策", "分析及对策",
        # commentary pieces (GUIDE.md: research = analysis and commentary that report no new event)
        "快评", "时评", "短评", "社评", "社论", "评论员文章", "锐评", "述评",
        # essays and papers: …与…的关系, 完善…监管的路径, …亟待…, 刍议, 探析, …事故分析
        "的关系", "的關係", "的路径", "的路徑", "亟待", "刍议", "探析", "之我见", "事故分析",
    )  # fmt: skip
    # -- urgency: positive signals ----------------------------------------------------------------
    urgent_markers: tuple[str, ...] = (
        "【紧急】", "【特急】", "【急】", "【突发】", "【加急】", "【急件】", "[紧急]", "[特急]", "[急]",
        "[突发]", "[加急]", "(紧急)", "(特急)", "(急)", "(突发)", "<紧急>", "紧急信息", "突发事件报告",
        "紧急报告", "特急", "加急", "急件", "紧急情况", "重要工作动态", "重大工作动态",
    )  # fmt: skip
    incident_nouns: tuple[str, ...] = (
        "事故", "爆炸", "爆燃", "闪爆", "泄漏", "泄露", "火灾", "起火", "着火", "失火", "燃烧", "坍塌",
        "倒塌", "垮塌", "困人", "坠落", "坠亡", "倾覆", "翻倒", "中毒", "窒息", "伤亡", "死亡", "受伤",
        "遇难", "失联", "被困", "烧伤", "烫伤", "冲顶", "蹲底", "断裂", "脱轨", "险情", "事件", "舆情",
        "群体性", "火情", "火警", "滞留", "停运", "故障", "冒烟", "逆行", "踩踏", "触电", "电击", "漏电",
        "塌陷", "溺水", "呕吐", "腹泻", "地震", "洪水", "洪灾", "泥石流", "雪灾", "暴雪", "滑坡",
        "减产", "绝收", "烧苗", "死苗", "停暖", "停气", "停供", "大火",
    )  # fmt: skip
    equipment_words: tuple[str, ...] = (
        "电梯", "扶梯", "锅炉", "压力容器", "压力管道", "气瓶", "液化气罐", "钢瓶", "储罐", "罐车", "槽车",
        "起重机", "塔吊", "吊车", "叉车", "游乐设施", "索道", "管道", "反应釜", "高压锅", "燃气",
        "天然气", "液氨", "液氯", "氨气", "氯气", "煤气", "热水器", "电暖器", "取暖器", "电热毯", "电动车",
        "充电宝", "炉具", "燃气灶", "压力锅", "吊臂", "吊笼", "脚手架", "升降机", "轿厢", "缆车", "滑道",
        "管网", "热网", "阀门", "大摆锤", "过山车", "摩天轮", "海盗船", "跳楼机", "旋转木马", "碰碰车", "蹦极", "滑索", "观光车",
        "游乐设备", "自控飞机", "飞椅", "小火车", "水滑梯",
    )  # fmt: skip
    # equipment hurting a person: 扶梯夹伤儿童, 男童手被卷入 — an incident without an explosion verb
    injury_verbs: tuple[str, ...] = ("夹伤", "划伤", "砸伤", "挤伤", "绞伤", "撞伤", "卷伤", "夹断")
    victim_words: tuple[str, ...] = (
        "儿童", "男童", "女童", "幼儿", "小孩", "孩子", "学生", "乘客", "游客", "顾客", "老人", "市民",
        "男子", "女子", "工人", "一人", "一名", "1人", "1名", "多人", "多名",
    )  # fmt: skip
    event_verbs: tuple[str, ...] = (
        "爆炸", "爆燃", "闪爆", "泄漏", "泄露", "起火", "着火", "坍塌", "倒塌", "坠落", "倾覆", "伤人",
        "困人", "冲顶", "蹲底", "断裂", "失控", "破裂", "爆裂", "爆管", "炸裂", "脱落", "漏气", "变形", "倾倒",
        "逆行", "溜车", "坠梯", "侧翻", "翻车", "侧倾", "折断", "断落", "冒烟", "浓烟", "故障", "停机", "悬停", "卡滞", "卡死",
        "停摆", "急停", "停运", "停梯", "困住", "下滑", "失速", "减产", "绝收", "烧苗",
    )  # fmt: skip
    narrated_verbs: tuple[str, ...] = (  # events in themselves when told as what happened: "…起火，引燃窗帘"
        "爆炸", "爆燃", "闪爆", "起火", "着火", "失火", "坍塌", "倒塌", "垮塌", "折断", "侧翻", "坠落", "泄漏",
    )  # fmt: skip
    casualty_words: tuple[str, ...] = (
        "死亡", "受伤", "伤亡", "遇难", "被困", "中毒", "失联", "重伤", "轻伤", "烧伤", "烫伤", "身亡",
        "丧生", "窒息", "摔伤", "骨折", "砸伤", "割伤", "夹伤", "挤伤", "划伤", "滞留", "危重", "病危",
        "住院", "昏迷", "打伤", "呕吐", "腹泻", "腹痛", "头晕", "不适症状", "中毒症状", "擦伤", "悬停", "悬空",
        "被悬", "困在", "送医", "被甩出", "甩出", "压死", "砸死", "被压", "坠亡",
    )  # fmt: skip
    response_phrases: tuple[str, ...] = (
        "接到报警", "接报", "报警称", "接到群众举报后", "赶赴现场", "赶赴事故现场", "赶到现场", "到达现场",
        "抵达现场", "立即赶赴", "迅速赶赴", "连夜赶赴", "第一时间赶", "紧急处置", "现场处置", "组织救援",
        "实施救援", "展开救援", "开展救援", "全力救援", "救出", "解救", "施救", "扑救", "扑灭", "抢救", "救治",
        "拨打119", "拨打110", "拨打120", "责令停用", "送往医院", "送医", "送至医院", "原因正在调查", "正在调查中",
        "原因正在进一步调查", "正在进一步调查", "事故调查组", "调查组", "应急响应", "封存", "查封",
        "停止使用", "疏散", "警戒", "停止运行", "停止运营", "暂停运营", "暂停运行", "安全放下", "全部放下",
        "控制涉案人员", "抓获",
    )  # fmt: skip
    public_opinion_phrases: tuple[str, ...] = (
        "媒体曝光", "被曝光", "曝光", "群体性事件", "聚集上访", "集体上访", "围堵", "网络热议", "网上热议",
        "网帖", "引发舆情", "舆情事件", "负面报道", "记者暗访", "聚集在", "聚集到", "集中反映", "情绪激动",
        "情绪较为激动", "上访", "群访", "堵门", "静坐", "网传", "舆情报告", "恐慌", "大量转发", "群体事件",
        "暴力抗法", "围攻", "殴打", "聚集围观", "群众聚集", "网络舆情", "播放量", "点击量", "阅读量", "转发量",
        "负面言论", "负面评论", "热搜", "投诉视频", "网民投诉", "网民发帖", "网民爆料", "发帖称", "发文称",
        "引发网民", "引起网民", "引发广泛关注", "引起广泛关注", "引发社会关注", "引起社会关注", "被曝",
        "媒体披露", "报道称",
    )  # fmt: skip
    netizen_words: tuple[str, ...] = ("网民", "网友", "博主", "消费者在网上", "有人在网上")
    netizen_verbs: tuple[str, ...] = (  # 网民在微博反映…: a complaint made in public
        "发帖", "发文", "反映", "爆料", "投诉", "质疑", "曝光", "晒出", "称",
    )  # fmt: skip
    online_channels: tuple[str, ...] = (  # 视频在抖音传播: a post spreading online is public opinion
        "网上", "网络", "网络平台", "朋友圈", "微信群", "微博", "抖音", "快手", "视频号", "短视频", "自媒体",
        "视频", "帖子", "该帖", "帖文", "文章", "消息",
    )  # fmt: skip
    opinion_generic_after: tuple[str, ...] = (  # 舆情监测, 舆情应对: the kind of work, not an event
        "监测", "应对", "引导", "管理", "工作", "培训", "机制", "能力", "预案", "研判", "台账", "信息员",
        "一批", "典型", "台", "栏目", "名单",
    )  # fmt: skip
    opinion_self_words: tuple[str, ...] = (  # the office itself exposes offenders: routine publicity
        "公开曝光", "集中曝光", "予以曝光", "通报曝光", "公开通报曝光", "定期曝光",
    )  # fmt: skip
    spread_verbs: tuple[str, ...] = ("传播", "转发", "热传", "疯传", "发酵", "扩散", "热议", "流传")
    crowd_words: tuple[str, ...] = (
        "群众", "人员", "市民", "消费者", "驾驶员", "司机", "农户", "农民", "业主", "居民", "工人", "商户",
        "家属", "名", "余人",
    )  # fmt: skip
    major_event_phrases: tuple[str, ...] = (
        "重大质量安全事件", "重大质量事件", "重大安全事件", "重大事故", "重特大事故", "较大事故",
        "突发事件", "突发公共事件", "紧急事件", "严重后果",
    )  # fmt: skip
    leader_words: tuple[str, ...] = (
        "国家质检总局局长", "质检总局局长", "国家质检总局副局长", "质检总局副局长", "国家质检总局领导",
        "质检总局领导", "总局领导", "国务院领导", "国务院副总理", "国务委员", "中央领导", "国家领导人",
        "总书记", "副总理", "总理",
    )  # fmt: skip
    national_bodies: tuple[str, ...] = (  # 质检总局 became 国家市场监督管理总局 in 2018
        "国家质检总局", "质检总局", "国家市场监督管理总局", "国家市场监管总局", "市场监管总局", "国务院",
        "中央", "国家",
    )  # fmt: skip
    national_roles: tuple[str, ...] = (
        "局长", "副局长", "领导", "检查组", "督查组", "督导组", "工作组", "调研组", "考察组", "巡视组",
        "暗访组", "暗查组", "巡查组", "核查组",
    )  # fmt: skip
    regional_leader_words: tuple[str, ...] = (
        "自治区党委书记", "自治区主席", "自治区政府主席", "自治区党委副书记", "自治区副主席",
        "自治区政府副主席", "自治区领导", "自治区党委主要领导", "自治区政府主要领导", "自治区主要领导",
        "自治区党委常委", "自治区人大常委会主任", "自治区政协主席",
    )  # fmt: skip
    visit_words: tuple[str, ...] = (
        "视察", "检查指导", "考察", "莅临", "到我区", "到我局", "来疆", "到新疆", "赴疆", "调研", "看望",
        "慰问", "督查", "督导", "检查", "抵达", "到达", "来到", "暗访",
    )  # fmt: skip
    # -- urgency: context that makes incident words routine ---------------------------------------
    drill_words: tuple[str, ...] = ("演练", "演习", "模拟", "推演", "预演", "假设", "假定", "设定")
    training_words: tuple[str, ...] = (
        "培训", "讲座", "授课", "课程", "宣讲", "知识竞赛", "考试", "学习贯彻", "组织学习", "集中学习",
    )  # fmt: skip
    meeting_words: tuple[str, ...] = (
        "会议", "会上", "座谈会", "部署会", "推进会", "通报会", "视频会", "电视电话会", "工作会", "现场会",
        "联席会",
    )  # fmt: skip
    plan_words: tuple[str, ...] = (
        "制定", "制订", "修订", "编制", "完善", "印发", "修改", "出台", "建立健全", "健全",
    )  # fmt: skip
    statistics_words: tuple[str, ...] = (
        "起数", "同比", "环比", "累计", "全年", "上半年", "下半年", "季度", "年度", "今年以来", "近年来",
        "历年", "共发生", "发生率", "死亡率", "万台", "百分点", "统计", "同比下降", "总数", "高发", "多发",
        "易发", "频发",
    )  # fmt: skip
    hypothetical_words: tuple[str, ...] = (
        "一旦", "如果", "假如", "倘若", "万一", "如发生", "若发生", "如遇", "遇有", "凡是", "凡发生",
        "防患", "届时", "一经", "今后",
    )  # fmt: skip
    capacity_words: tuple[str, ...] = (
        "能力", "水平", "意识", "机制", "体系", "规程", "细则", "条例", "规定了", "该标准", "本标准",
        "明确了", "具体规定", "作出规定", "等要求",
    )  # fmt: skip
    warning_words: tuple[str, ...] = (
        "警示教育", "警示", "教训", "为鉴", "为戒", "以案", "案例", "反思", "举一反三", "吸取",
    )  # fmt: skip
    background_words: tuple[str, ...] = (  # an earlier incident told as the reason for today's work
        "上月", "上个月", "去年", "前年", "此前发生", "之前发生", "曾发生", "曾经发生", "以往", "针对此前",
        "前期发生",
    )  # fmt: skip
    generic_after: tuple[str, ...] = (  # 事故隐患, 突发事件信息报送 …: the kind of event, not one event
        "隐患", "应急", "预案", "防范", "预防", "救援", "演练", "起数", "发生率", "率", "信息报送", "报送",
        "报告制度", "应对", "分级", "处置能力", "处置机制", "排查",
    )  # fmt: skip
    inspection_words: tuple[str, ...] = (
        "专项检查", "安全检查", "监督检查", "大检查", "排查", "专项整治", "整治", "督查", "抽查", "巡查",
        "隐患", "专项行动", "执法检查",
    )  # fmt: skip
    summary_words: tuple[str, ...] = (  # 未发生 alone is not here: "未发生泄漏" is said of real events
        "总结", "统计", "同比", "全年", "上半年", "下半年", "季度", "工作情况", "安全形势", "全年未发生", "综述",
        "盘点", "值班情况", "值守情况", "值班工作情况",
    )  # fmt: skip
    enforcement_words: tuple[str, ...] = (
        "行政处罚", "作出处罚", "处罚决定", "处以罚款", "罚款", "调查终结", "已结案", "结案",
    )  # fmt: skip
    publish_verbs: tuple[str, ...] = (
        "发布", "印发", "出台", "颁布", "制定", "制订", "修订", "起草", "宣贯", "解读", "批准发布", "建立",
        "签订", "健全",
    )  # fmt: skip
    document_kinds: tuple[str, ...] = (
        "地方标准", "标准", "规范", "办法", "规定", "条例", "实施方案", "制度", "机制", "协议", "预案",
    )  # fmt: skip
    publicity_words: tuple[str, ...] = (
        "宣传", "质量月", "安全生产月", "安全月", "宣传周", "3·15", "3.15", "世界标准日", "计量日",
        "开放日", "咨询日", "科普", "消费提示", "消费警示", "提醒广大",
    )  # fmt: skip
    routine_topic_verbs: tuple[str, ...] = (
        "召开", "举办", "开展", "组织", "部署", "举行", "参加", "推进", "落实", "做好", "加强", "完成",
        "启动", "深入", "扎实", "积极", "圆满",
    )  # fmt: skip
    negation_words: tuple[str, ...] = (
        "未", "没有", "无", "不", "杜绝", "防止", "预防", "避免", "防范", "遏制", "严防", "减少", "降低",
        "消除", "确保", "防控", "以防", "谨防", "保障",
    )  # fmt: skip
    negation_exceptions: tuple[str, ...] = ("不慎", "不幸", "不明", "不久", "不到", "无证", "无法", "无关")
    no_casualty_phrases: tuple[str, ...] = (
        "无人员伤亡", "未造成人员伤亡", "没有造成人员伤亡", "无人员受伤", "未造成人员受伤", "未造成伤亡",
        "无伤亡",
    )  # fmt: skip
    major_case_phrases: tuple[str, ...] = (
        "窝点", "犯罪嫌疑人", "涉嫌犯罪", "刑事拘留", "移送公安", "移交公安", "查获大批", "查扣大批",
        "大批假冒", "破获", "捣毁", "端掉",
    )  # fmt: skip
    case_scale_phrases: tuple[str, ...] = (  # the case itself is called large: 特大, 最大一起
        "特大案件", "大案要案", "最大一起", "特大假冒", "特大制假", "特大制售", "特大造假", "特大伪劣",
        "重大假冒", "重大制假", "重大制售", "特大仿冒",
    )  # fmt: skip
    case_amount_words: tuple[str, ...] = (  # 涉案金额达300余万元: the value of the goods in one case
        "涉案金额", "涉案货值", "涉案价值", "涉案总值", "货值金额", "货值", "案值", "涉案",
    )  # fmt: skip
    case_amount_totals: tuple[str, ...] = ("共计", "合计", "累计", "总计", "总额", "共")  # sums of cases
    spread_phrases: tuple[str, ...] = (
        "流入市场", "追查流向", "追查去向", "问题产品控制", "婴幼儿", "全区范围内销售", "已售出",
    )  # fmt: skip
    extra_urgent_patterns: tuple[str, ...] = ()  # regular expressions, each adds weight_extra_urgent
    extra_routine_patterns: tuple[str, ...] = ()  # regular expressions, each adds weight_extra_routine
    # -- weights ----------------------------------------------------------------------------------
    weight_subject_marker: float = 2.0
    weight_header: float = 0.5  # each priority header; weak, never decisive alone
    weight_header_max: float = 1.0
    weight_incident_subject: float = 3.0  # incident language in the subject or document title
    weight_incident_lead: float = 3.0  # ... in the first sentences of the body
    weight_incident_body: float = 2.0  # ... later in the body
    weight_incident_extra: float = 0.5  # each further distinct incident phrase
    weight_incident_extra_max: float = 1.0
    weight_incident_time: float = 1.0  # a concrete time in the incident sentence
    weight_casualty: float = 2.0
    weight_casualty_title: float = 3.0  # 致2人受伤 in the subject: the mail is about an incident
    weight_response: float = 1.0  # each distinct response phrase
    weight_response_max: float = 2.0
    weight_public_opinion: float = 2.0
    weight_public_opinion_title: float = 3.0  # 舆情, 曝光, 集体上访 in the subject: the mail is about it
    weight_public_opinion_extra: float = 1.0  # each further distinct sign (聚集到 …, 视频在网上传播)
    weight_public_opinion_max: float = 4.0
    weight_major_event: float = 1.0
    weight_important_work: float = 4.0  # national leaders' visit, in subject or lead
    weight_important_work_body: float = 2.0
    weight_regional_leader: float = 3.0  # regional top leaders' visit, in subject or lead
    weight_major_case: float = 1.0  # each distinct sign of a major case (窝点, 犯罪嫌疑人 …)
    weight_major_case_max: float = 3.0
    weight_major_scale: float = 3.0  # a case called 特大/最大一起, or worth at least major_case_amount
    major_case_amount: float = 100.0  # 万元
    weight_marker_narrative: float = 1.0  # 【紧急】 marker and a dated account in the lead
    weight_spread: float = 1.0  # a problem product already on the market
    weight_spread_max: float = 2.0
    weight_no_casualty: float = -0.5  # 无人员伤亡 lowers, but an accident still happened
    weight_drill: float = -3.0
    weight_training: float = -1.5
    weight_meeting: float = -1.5
    weight_plan: float = -1.5
    weight_inspection: float = -1.0
    weight_summary: float = -1.5
    weight_enforcement: float = -1.5  # the mail is about a penalty or a closed case
    weight_document: float = -1.5  # the mail is about publishing a standard, rule or plan
    weight_publicity: float = -1.0
    weight_warning: float = -1.5
    weight_routine_topic: float = -1.0
    weight_statistics_summary: float = -2.0  # at least statistics_summary_min distinct figures words
    statistics_summary_min: int = 3
    weight_extra_urgent: float = 3.0
    weight_extra_routine: float = -3.0
    urgent_threshold: float = 3.0
    # rules that make a mail urgent whatever the n-gram model says, once the score reaches the threshold:
    # 重要工作动态 (a national or regional leader's visit) is urgent by the notice itself
    decisive_rules: tuple[str, ...] = ("important_work",)
    lead_chars: int = 160  # how much of the body counts as its lead

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any], *, section: str = "classify") -> ClassifyRules:
        """Override defaults from a config table; a wrong key or value raises :class:`ConfigError`."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in d.items():
            where = f"{section}.{key}"
            if key not in fields:
                raise ConfigError(f"{where}: unknown key (known keys: {', '.join(sorted(fields))})")
            default = getattr(DEFAULT_RULES, key)
            if isinstance(default, tuple):
                if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
                    raise ConfigError(f"{where}: expected a list of strings")
                if not all(isinstance(v, str) and v for v in value):
                    raise ConfigError(f"{where}: expected a list of strings (non-empty)")
                if key.endswith("_patterns"):
                    for v in value:
                        try:
                            re.compile(v)
                        except re.error as exc:
                            raise ConfigError(f"{where}: bad regular expression {v!r}: {exc}") from exc
                changes[key] = tuple(value)
            elif key in ("lead_chars", "statistics_summary_min"):
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ConfigError(f"{where}: expected a non-negative integer")
                changes[key] = value
            else:
                if isinstance(value, bool) or not isinstance(value, int | float):
                    raise ConfigError(f"{where}: expected a number")
                changes[key] = float(value)
        return dataclasses.replace(DEFAULT_RULES, **changes) if changes else DEFAULT_RULES


DEFAULT_RULES = ClassifyRules()
