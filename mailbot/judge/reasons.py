"""Every reason a judgement can give, by its stable rule name, with the label the office reads.

A reason is stored as ``name:detail`` (``subject_marker:【紧急】``). The name is declared here once;
``tests/unit/test_reasons.py`` checks that every name the rules emit has a label and every label
is emitted by some rule.
"""

from __future__ import annotations

REASONS: dict[str, str] = {
    # gates (mailbot.judge.classify.gates)
    "bounce_header": "退信",
    "bounce_sender": "退信发件人",
    "bounce_subject": "退信主题",
    "auto_reply_header": "自动回复标记",
    "auto_reply_subject": "自动回复主题",
    "document_request": "索取文件",
    "registration": "联络员登记",
    "registration_attachment": "联络员登记表附件",
    "publicity_request": "宣传报道申报",
    "publicity_request_attachment": "宣传报道申报单附件",
    "no_content": "无正文",
    "test_mail": "测试邮件",
    "thanks": "致谢",
    "request": "请示/申请",
    "mailbox_notice": "邮箱通知",
    "forwarded_notice": "转发的通知",
    "circular": "通知类来信",
    "correspondence": "一般来信",
    "followup_marker": "续报标记",
    "final_report": "终报",
    "research_marker": "调研信息标记",
    # urgency evidence (mailbot.judge.classify.urgency)
    "subject_marker": "主题标记",
    "header": "邮件优先级",
    "incident_language": "事故/事件用语",
    "incident_time": "事件发生时间表述",
    "casualty": "人员伤亡",
    "response": "应急处置用语",
    "public_opinion": "舆情/群体性事件",
    "major_event": "重大事件",
    "important_work": "重要工作动态",
    "major_case": "重大案件",
    "marker_narrative": "紧急标记及事件经过",
    "spread": "事态扩散",
    "negation": "否定表述",
    "routine_context": "日常工作语境",
    "routine_topic": "日常工作",
    "statistics_summary": "统计汇总",
    "model": "文本特征（模型权重）",
    "model_terms": "文本特征",
    "threshold": "综合评分",
    # machine mail and the MTA's verdicts (mailbot.judge.automatic)
    "report_mime": "报告类邮件结构（multipart/report）",
    "dmarc_report": "DMARC 汇总报告",
    "calendar_reply": "日历答复",
    "recall": "撤回邮件请求",
    "list_header": "邮件列表标头",
    "auto_header": "自动邮件标头",
    "list_manager": "邮件列表管理程序",
    "system_sender": "系统发件人",
    "null_sender": "空退信地址",
    "read_receipt": "已读回执",
    "auto_notice": "自动回复/系统通知用语",
    "delivery_failure": "退信用语",
    "spam": "垃圾邮件标记",
    # finalize (mailbot.intake.finalize)
    "own_address": "本办自身邮箱发出",
    "case_link": "关联紧急事件",
}


# Reasons for the office only (``inspect``, the register, the duty alert): score arithmetic and the
# counter-evidence the rules weighed. What units receive (receipts) leaves them out.
OFFICE_ONLY_REASONS: frozenset[str] = frozenset(
    {
        "threshold",
        "negation",
        "routine_context",
        "routine_topic",
        "statistics_summary",
        "model",
        "own_address",
    }
)


def reason_label(reason: str) -> str | None:
    """The label of a stored reason ``name:detail``; None for a name that is not declared."""
    return REASONS.get(reason.partition(":")[0])
