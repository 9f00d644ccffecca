"""What units read: receipts and reminders in words, with the configured rules; the HTML says what the text says."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailbot.judge.deadlines import DeadlinePolicy
from mailbot.replies.render import Renderer, address_places, unit_reasons

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 10, 30, tzinfo=CST)
OFFICE = {"name": "自治区质量技术监督局办公室", "address": "jbgs@xjzj.gov.cn", "contact": "0991-2817458"}
REASONS = [
    "subject_marker:【紧急】",
    "casualty:3名群众被困",
    "routine_topic:会议",
    "threshold:-2.5<3",
    "case_link:reply_to_our_reply",
    "model:0.93>=0.5",
    "model_terms:电梯、困人",
]


def context(**over: Any) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "greeting": "昌吉州质监局",
        "tracking_no": "JB-2026-000123",
        "received_at": NOW,
        "subject": "昌吉州质监局开展冬季锅炉安全专项检查",
        "attachments": [],
        "category": "routine",
        "reasons": REASONS,
        "event": {"start": datetime(2026, 11, 25, tzinfo=CST), "text": "11月25日", "granularity": "day"},
        "deadline": datetime(2026, 11, 29, tzinfo=CST),
        "verdict": "on_time",
        "lateness_minutes": None,
        "approximate": False,
        "rule_text": "一般性信息应在3天内报送",
        "case_number": None,
        "case_closed": False,
        "old_domain": None,
        "office": OFFICE,
    }
    ctx.update(over)
    return ctx


def render(
    ctx: dict[str, Any], policy: DeadlinePolicy | None = None, template: str = "receipt"
) -> tuple[str, str]:
    reply = Renderer(None, CST, policy).render_mail(
        "receipt",
        template=template,
        context=ctx,
        from_addr="jbgs@xjzj.gov.cn",
        from_name="办公室",
        to=["cjzjj@xjzj.gov.cn"],
        subject="回执",
        message_id="r.1@mailbot.test",
        date=NOW,
    )
    msg = email.message_from_bytes(reply.raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html_part = msg.get_body(("html",))
    return text, html_part.get_content() if html_part is not None else ""  # type: ignore[union-attr]


def test_units_read_reasons_in_words_without_scores_or_rule_names() -> None:
    text, html = render(context())
    for body in (text, html):
        assert "主题标记“【紧急】”" in body and "人员伤亡“3名群众被困”" in body
        assert "关联紧急事件" in body and "reply_to_our_reply" not in body
        for hidden in (
            "综合评分",
            "-2.5",
            "threshold",
            "日常工作",
            "routine_topic",
            "model_terms",
            "电梯+0.8",
        ):
            assert hidden not in body, hidden


def test_unit_reasons_filter() -> None:
    assert unit_reasons(["threshold:6.5>=3", "negation:未", "own_address"]) == []
    assert unit_reasons(["subject_marker:【急】", "subject_marker:【急】"]) == ["主题标记“【急】”"]


def test_a_day_event_prints_as_a_date_and_a_midnight_deadline_as_24_00() -> None:
    text, html = render(context())
    line = next(line for line in text.splitlines() if line.startswith("事件时间"))
    assert line == "事件时间：2026年11月25日（原文“11月25日”，日期）"
    assert "报送时限：2026年11月28日 24:00前" in text
    assert "00:00" not in text and "00:00" not in html
    assert "2026年11月25日（原文“11月25日”" in html


@pytest.mark.parametrize(
    ("event", "shown"),
    [
        (
            {"start": datetime(2026, 11, 25, 14, 5, tzinfo=CST), "text": "14时05分", "granularity": "minute"},
            "2026年11月25日 14:05",
        ),
        (
            {"start": datetime(2026, 11, 25, 14, tzinfo=CST), "text": "14时许", "granularity": "hour"},
            "2026年11月25日 14时",
        ),
        (
            {"start": datetime(2026, 11, 25, 18, tzinfo=CST), "text": "25日晚", "granularity": "part_of_day"},
            "2026年11月25日",
        ),
        ({"start": datetime(2026, 11, 1, tzinfo=CST), "text": "11月", "granularity": "month"}, "2026年11月"),
    ],
)
def test_event_times_as_precise_as_their_phrase(event: dict[str, Any], shown: str) -> None:
    text, _ = render(context(event=event))
    assert f"事件时间：{shown}（原文“{event['text']}”" in text


def test_late_text_uses_the_configured_rules() -> None:
    late = context(verdict="late", lateness_minutes=90)
    text, html = render(late)
    for body in (text, html):
        assert "一般性信息应在3天内报送，紧急信息应在事件发生后2小时内报送" in body
        assert "晚了1小时30分钟" in body
    policy = DeadlinePolicy(routine_mode="working_days", routine_days=5, urgent_hours=1.5)
    from mailbot.replies.compose import rule_text

    text, html = render({**late, "rule_text": rule_text("routine", policy)}, policy)
    assert "（一般性信息应在5个工作日内报送）" in text
    for body in (text, html):
        assert "一般性信息应在5个工作日内报送，紧急信息应在事件发生后1.5小时内报送" in body
        assert "3天" not in body and "2小时" not in body
    text, _ = render(late, DeadlinePolicy(routine_mode="hours", routine_hours=48))
    assert "一般性信息应在48小时内报送" in text


def test_provisional_deadline_is_said_in_text_and_html() -> None:
    text, html = render(context(calendar_provisional=True))
    assert "暂按周一至周五计算" in text and "暂按周一至周五计算" in html
    text, html = render(context())
    assert "暂按周一至周五" not in text and "暂按周一至周五" not in html


def test_html_says_what_the_text_says_for_an_urgent_case() -> None:
    ctx = context(
        category="urgent",
        case_number="JB-2026-000123",
        event={
            "start": datetime(2026, 11, 26, 9, 40, tzinfo=CST),
            "text": "9时40分",
            "granularity": "minute",
        },
        deadline=datetime(2026, 11, 26, 11, 40, tzinfo=CST),
        rule_text="紧急信息应在事件发生后2小时内报送",
    )
    text, html = render(ctx)
    for body in (text, html):
        assert "【续报】JB-2026-000123" in body and "直接回复本邮件" in body
        assert "随时续报事态进展、处置措施" in body and "终报" in body
        assert "回复本邮件即视为对该登记编号的补充报送" in body
        assert "2026年11月26日 11:40前" in body and "2026年11月26日 09:40" in body


def test_old_domain_named_in_words() -> None:
    old = {
        "addresses": [
            ("to", "jbgs@xjnewqi.gov.cn"),
            ("from", "cjzjj@xjnewqi.gov.cn"),
            ("delivered_to", "jbgs@xjnewqi.gov.cn"),
        ],
        "old_domains": ["xjnewqi.gov.cn"],
        "new_domain": "xjzj.gov.cn",
        "suggested_sender": "cjzjj@xjzj.gov.cn",
    }
    text, html = render(context(old_domain=old))
    for body in (text, html):
        assert "收件人、投递地址 jbgs@xjnewqi.gov.cn、发件人 cjzjj@xjnewqi.gov.cn" in body
        assert "('to'" not in body and "&#39;to&#39;" not in body and "(&#39;" not in body
        assert "后缀由 xjnewqi.gov.cn 改为 xjzj.gov.cn" in body and "cjzjj@xjzj.gov.cn" in body
    reminder = Renderer(None, CST).render_text("reminder_old_domain.txt.j2", {**context(), **old})
    assert "收件人、投递地址 jbgs@xjnewqi.gov.cn" in reminder and "('to'" not in reminder
    assert address_places(["a@xjnewqi.gov.cn"]) == ["a@xjnewqi.gov.cn"]


def test_corrected_receipt_says_what_changed() -> None:
    ctx = context(
        category="urgent",
        reasons=[],
        event={
            "start": datetime(2026, 11, 25, 14, 30, tzinfo=CST),
            "text": "2026-11-25 14:30",
            "granularity": "minute",
            "corrected": True,
        },
        correction={
            "before_category": "routine",
            "before_event": {
                "start": datetime(2026, 11, 25, tzinfo=CST),
                "text": "11月25日",
                "granularity": "day",
            },
            "category_changed": True,
            "event_changed": True,
        },
    )
    text, html = render(ctx)
    for body in (text, html):
        assert "【更正】" in body and "以本回执为准" in body
        assert "信息类别由“一般性信息”更正为“紧急信息”" in body
        assert "事件时间由“2026年11月25日”更正为“2026年11月25日 14:30”" in body
        assert "经办公室更正" in body and "判断依据" not in body
    assert "已收到贵单位报送的信息" not in text


def test_the_alert_for_the_duty_desk_keeps_the_full_reasons() -> None:
    ctx = context(category="urgent", sender="昌吉州质监局 <cjzjj@xjzj.gov.cn>", excerpt="……")
    text = Renderer(None, CST).render_text("alert.txt.j2", ctx)
    assert "综合评分 -2.5＜3" in text and "日常工作" in text
    assert "事件时间：2026年11月25日（原文“11月25日”）" in text


def test_research_without_a_dated_activity_is_not_timed_and_not_told_to_date_an_event() -> None:
    ctx = context(category="research", event=None, deadline=None, verdict="untimed", reasons=[])
    text, html = render(ctx)
    assert "报送结论：不计时限（调研信息未写明调研时间）" in text
    assert "事件时间：调研信息，未写明调研时间" in text
    for body in (text, html):
        assert "不计时限" in body and "调研的时间" in body
        assert "未能识别出事件发生的时间" not in body and "报送时限" not in body
    unknown_text, _ = render(context(event=None, deadline=None, verdict="unknown"))
    assert "未能识别出事件发生的时间" in unknown_text and "不计时限" not in unknown_text
