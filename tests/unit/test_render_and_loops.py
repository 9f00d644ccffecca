"""Rendering replies (pure) and loop protection rules."""

from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from mailbot.judge.cases import core_subject, matter_similarity, tracking_numbers_in
from mailbot.judge.loops import auth_failed, no_reply_reason
from mailbot.mail.parse import parse_mail
from mailbot.replies.render import Renderer, format_minutes, reason_text, reply_message_id
from tests import mailgen

CST = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 30, tzinfo=CST)


def _render(
    subject: str, name: str = "区局办公室", context: dict | None = None
) -> email.message.EmailMessage:  # type: ignore[type-arg]
    r = Renderer(None, CST)
    ctx = {"what": "测试", "details": "<b>x</b>", "submission_id": 3, **(context or {})}
    reply = r.render_mail(
        "notice_office",
        template="notice_office",
        context=ctx,
        from_addr="jbgs@xjzj.gov.cn",
        from_name=name,
        to=["a@xjzj.gov.cn"],
        subject=subject,
        message_id="n.1@mailbot.test",
        date=NOW,
        in_reply_to="orig@x",
        references=["first@x", "orig@x"],
    )
    msg = email.message_from_bytes(reply.raw, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def test_subject_with_crlf_cannot_add_headers() -> None:
    msg = _render("回执\r\nBcc: victim@example.org\r\nX-Evil: 1", name="办公室\r\nBcc: x@y")
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "Bcc: victim@example.org" in msg["Subject"]  # kept as text on one line
    assert "\n" not in msg["Subject"]


def test_threading_and_rfc3834_headers() -> None:
    msg = _render("主题")
    assert msg["In-Reply-To"] == "<orig@x>"
    assert msg["References"] == "<first@x> <orig@x>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"] == "<n.1@mailbot.test>"
    assert msg["Date"].datetime == NOW


def test_message_ids_are_unguessable() -> None:
    a = reply_message_id("receipt", "12", "mailbot.xjzj.gov.cn")
    b = reply_message_id("receipt", "12", "mailbot.xjzj.gov.cn")
    assert a != b and a.startswith("receipt.12.") and b.startswith("receipt.12.")
    token = a.split("@")[0].rsplit(".", 1)[1]
    assert len(token) == 32 and int(token, 16) >= 0  # 128 random bits
    assert a.endswith("@mailbot.xjzj.gov.cn") and " " not in a


def test_html_alternative_is_escaped() -> None:
    r = Renderer(None, CST)
    ctx = {
        "greeting": "<script>alert(1)</script>",
        "tracking_no": "JB-2026-000001",
        "received_at": NOW,
        "subject": "<img src=x onerror=alert(1)>",
        "attachments": [],
        "category": "routine",
        "reasons": ["subject_marker:<b>"],
        "event": None,
        "deadline": None,
        "verdict": "unknown",
        "lateness_minutes": None,
        "approximate": False,
        "rule_text": "",
        "case_number": None,
        "case_closed": False,
        "old_domain": None,
        "office": {"name": "办公室", "address": "jbgs@xjzj.gov.cn", "contact": "0991"},
    }
    reply = r.render_mail(
        "receipt",
        template="receipt",
        context=ctx,
        from_addr="jbgs@xjzj.gov.cn",
        from_name="办公室",
        to=["a@b.cn"],
        subject="s",
        message_id="r@x",
        date=NOW,
    )
    msg = email.message_from_bytes(reply.raw, policy=email.policy.default)
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html
    text = msg.get_body(("plain",)).get_content()
    assert "<script>alert(1)</script>" in text  # plain text is not HTML: shown as is
    assert "无法判断" in text and "事件发生的时间" in text


def test_missing_template_variable_is_an_error() -> None:
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        Renderer(None, CST).render_text("notice_office.txt.j2", {"what": "x"})


@pytest.mark.parametrize(("minutes", "text"), [(5, "5分钟"), (60, "1小时"), (1441, "1天1分钟"), (0, "0分钟")])
def test_duration_in_chinese(minutes: int, text: str) -> None:
    assert format_minutes(minutes) == text


def test_reason_text() -> None:
    assert reason_text("subject_marker:【紧急】") == "主题标记“【紧急】”"
    assert reason_text("threshold:6.5>=3") == "综合评分 6.5≥3"
    assert reason_text("something_new:x") == "something_new:x"


# --- loop protection ---------------------------------------------------------------------------

OWN = ("jbgs@xjzj.gov.cn",)


def _mail(**headers: str) -> object:
    return parse_mail(mailgen.report(1, headers=headers))


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, None),
        ({"Auto-Submitted": "no"}, None),
        ({"Auto-Submitted": "auto-replied"}, "auto_submitted:auto-replied"),
        ({"Auto-Submitted": "auto-generated"}, "auto_submitted:auto-generated"),
        ({"Precedence": "bulk"}, "precedence:bulk"),
        ({"Precedence": "list"}, "precedence:list"),
        ({"List-Id": "<news.xjzj.gov.cn>"}, "list_id"),
        ({"X-Autoreply": "yes"}, "header:x-autoreply"),
        ({"X-Auto-Response-Suppress": "All"}, "auto_response_suppress"),
        ({"Return-Path": "<>"}, "empty_return_path"),
    ],
)
def test_no_reply_rules(headers: dict[str, str], reason: str | None) -> None:
    assert no_reply_reason(_mail(**headers), OWN) == reason  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "sender",
    ["MAILER-DAEMON@mail.x.cn", "postmaster@x.cn", "noreply@x.cn", "no-reply@x.cn", "jbgs@xjzj.gov.cn"],
)
def test_system_and_own_senders(sender: str) -> None:
    mail = parse_mail(mailgen.report(1, sender=(sender, "")))
    assert no_reply_reason(mail, OWN) in ("system_sender", "own_address")


def test_authentication_results() -> None:
    ok = parse_mail(
        mailgen.report(1, headers={"Authentication-Results": "mx.xjzj.gov.cn; spf=pass; dmarc=pass"})
    )
    bad = parse_mail(
        mailgen.report(1, headers={"Authentication-Results": "mx.xjzj.gov.cn; spf=fail smtp.mailfrom=x"})
    )
    assert auth_failed(ok) is None
    assert auth_failed(bad) == "spf_fail"


# --- cases -------------------------------------------------------------------------------------


def test_followup_subjects_match_their_case() -> None:
    first = "【紧急】乌鲁木齐市质监局关于某小区电梯困人事件的报告"
    assert matter_similarity("Re: 【续报】关于某小区电梯困人事件的续报（第二次）", "", first, "") >= 0.35
    assert matter_similarity("【续报】昌吉州锅炉爆炸事故续报", "", first, "") < 0.35
    assert core_subject("【续报】关于某小区电梯困人事件的续报") == core_subject(
        "关于某小区电梯困人事件的报告"
    )
    assert tracking_numbers_in("回复：[回执 JB-2026-000123] 续报", "JB") == ["JB-2026-000123"]
    assert tracking_numbers_in("JB-2026-12345", "JB") == []


def test_parsed_mail_is_hashable_value() -> None:
    mail = parse_mail(mailgen.report(2))
    assert replace(mail, subject="x").subject == "x"


def test_old_domain_is_only_flagged_after_the_cutover() -> None:
    from datetime import date

    from mailbot.judge.assess import assess
    from mailbot.judge.classify import DEFAULT_RULES
    from mailbot.judge.deadlines import DeadlinePolicy
    from mailbot.judge.olddomain import DomainPolicy

    mail = parse_mail(mailgen.report(1, to="jbgs@xjnewqi.gov.cn"))
    arrived = datetime(2012, 4, 20, 10, 0, tzinfo=CST)
    kwargs = {"rules": DEFAULT_RULES, "policy": DeadlinePolicy()}
    before = assess(mail, internaldate=arrived, domains=DomainPolicy(cutover=date(2012, 5, 1)), **kwargs)
    after = assess(mail, internaldate=arrived, domains=DomainPolicy(cutover=date(2012, 4, 1)), **kwargs)
    assert before.old_domain is None, "before the cut-over the old address was the right one"
    assert after.old_domain is not None and after.old_domain.sender_on_old_domain is False


def test_inspect_a_bare_file_without_any_date(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from mailbot.cli import main

    raw = "Subject: 【紧急】某小区发生电梯困人事件\r\nFrom: a@xjzj.gov.cn\r\n\r\n今天14时许，某小区一部电梯发生困人故障。\r\n"
    path = tmp_path / "bare.eml"
    path.write_bytes(raw.encode("utf-8"))
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["inspect", "--json", str(path)]) == 0
    row = json.loads(out.getvalue())
    assert row["category"] == "urgent" and row["event_time_granularity"] == "hour"
    assert "no_time_reference" in row["flags"] and row["reported_at"] is not None
