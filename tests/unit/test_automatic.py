"""Machine mail by structure first, words second; the MTA's verdicts; the loop guard (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.commands.inspect import inspect_bytes
from mailbot.config import build_config
from mailbot.judge.automatic import SpamPolicy, TrustPolicy, auth_failure, detect, spam_verdict
from mailbot.judge.loops import LoopLimits, PastReply, fingerprint, hold_reason
from mailbot.judge.reasons import reason_label
from mailbot.mail.parse import parse_mail
from mailbot.model import Category
from tests import mailgen

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "automatic"
HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
NOW = datetime(2026, 11, 20, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "kind", "category", "evidence"),
    [
        ("auto/bp-aol-senderblock.eml", "dsn", Category.BOUNCE, "system_sender"),
        ("auto/nbh-arf1.eml", "feedback_report", Category.AUTO_REPLY, "report_mime"),
        ("auto/soe-arf-22.eml", "feedback_report", Category.AUTO_REPLY, "auto_notice"),  # Hotmail JMRP
        ("auto/pdm-dmarc_ruf_report_linkedin.eml", "feedback_report", Category.AUTO_REPLY, "report_mime"),
        ("auto/pdm-twilight.eml", "dmarc_report", Category.AUTO_REPLY, "dmarc_report"),
        ("auto/pdm-mimecast-weird-gzip.eml", "dmarc_report", Category.AUTO_REPLY, "dmarc_report"),
        ("auto/lma-qemu-devel-qq-autoreply.eml", "auto_reply", Category.AUTO_REPLY, "list_manager"),
        ("auto/soe-lhost-fml-03.eml", "list_notice", Category.AUTO_REPLY, "list_manager"),  # fml Loop Alert
        ("auto/zmp-m0024.eml", "list_mail", Category.AUTO_REPLY, "list_header"),  # ezmlm Mailing-List
        ("auto/soe-lhost-verizon-02.eml", "dsn", Category.BOUNCE, "system_sender"),  # post_master@
        ("auto/flb-simple_20.eml", "dsn", Category.BOUNCE, "delivery_failure"),  # words only
        ("auto/bp-bluebottle.eml", "system_notice", Category.AUTO_REPLY, "auto_notice"),  # challenge-response
    ],
)
def test_corpus_machine_mail(path: str, kind: str, category: Category, evidence: str) -> None:
    verdict = detect(parse_mail((CORPUS / path).read_bytes()))
    assert verdict is not None
    assert (verdict.kind, verdict.category) == (kind, category)
    assert any(e.startswith(f"{evidence}:") for e in verdict.evidence), verdict.evidence
    assert all(reason_label(e) for e in verdict.evidence), "every piece of evidence has its Chinese label"


def test_no_ordinary_corpus_mail_is_taken_for_a_machine() -> None:
    wrong = [
        p.name for p in sorted((CORPUS / "ordinary").glob("*.eml")) if detect(parse_mail(p.read_bytes()))
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("headers", "subject", "kind"),
    [
        ({}, "已读: 关于报送政务信息的通知", "read_receipt"),
        ({"X-QQ-AUTO-REPLY": "true"}, "自动回复: 关于报送政务信息的通知", "auto_reply"),
        ({"X-Auto-Response-Suppress": "All"}, None, "auto_generated"),
        ({"Precedence": "bulk"}, None, "auto_generated"),
        ({"List-Unsubscribe": "<mailto:leave@lists.example>"}, None, "list_mail"),
        ({}, "系统退信", "dsn"),
        ({}, "邮件发送失败：关于报送政务信息的通知", "dsn"),
        ({}, "Recall: 关于报送政务信息的通知", None),  # a recall needs TNEF or Exchange headers
        ({"X-MS-Exchange-Generated-Message-Source": "Mailbox Rules Agent"}, "撤回: 通知", "recall"),
    ],
)
def test_crafted_machine_mail(headers: dict[str, str], subject: str | None, kind: str | None) -> None:
    mail = parse_mail(mailgen.report(1, headers=headers, subject=subject))
    verdict = detect(mail)
    assert (verdict.kind if verdict else None) == kind


def test_body_notice_words_are_read_before_a_quoted_original_only() -> None:
    notice = mailgen.report(1, subject="通知", body="此邮件为系统自动发送，请勿回复。")
    quoted = mailgen.report(1, subject="回复：续报", body="电梯已修复。\n> 此邮件为系统自动发送，请勿回复。")
    assert detect(parse_mail(notice)) is not None
    assert detect(parse_mail(quoted)) is None, "a unit replying to our receipt quotes our words"


def test_spam_verdicts_and_trusted_authentication_results() -> None:
    policy = SpamPolicy()
    spam = parse_mail((HOSTILE / "spam-flagged.eml").read_bytes(), extra_headers=policy.headers)
    rspamd = parse_mail((HOSTILE / "rspamd-reject.eml").read_bytes(), extra_headers=policy.headers)
    clean = parse_mail(mailgen.report(1, headers={"X-Spam-Status": "No, score=-0.9 required=5.0"}))
    assert spam_verdict(spam, policy) == "spam:x-spam-flag=YES"
    assert spam_verdict(rspamd, SpamPolicy(flag_headers=())) == "spam:x-rspamd-action=reject"
    assert spam_verdict(clean, policy) is None
    custom = parse_mail(
        mailgen.report(1, headers={"X-Barracuda-Spam-Flag": "YES"}), extra_headers=("x-barracuda-spam-flag",)
    )
    assert spam_verdict(custom, SpamPolicy(flag_headers=("x-barracuda-spam-flag",))) is not None

    trusted = TrustPolicy(authserv_ids=("mx.xjzj.gov.cn",))
    failing = parse_mail((HOSTILE / "dmarc-fail-trusted.eml").read_bytes())
    forged = parse_mail((HOSTILE / "dmarc-fail-untrusted.eml").read_bytes())
    assert auth_failure(failing, trusted) == "dmarc_fail"
    assert auth_failure(forged, trusted) is None, "another server's dmarc=fail counts for nothing"
    assert auth_failure(forged, TrustPolicy()) == "dmarc_fail", "unset: every header counts"


LIMITS = LoopLimits(unregistered_count=3, storm_per_minute=5)


def _past(n: int, *, thread: str = "", fp: str = "x", minutes: int = 1) -> list[PastReply]:
    return [PastReply(NOW - timedelta(minutes=minutes * (i + 1)), thread or f"t{i}", fp) for i in range(n)]


@pytest.mark.parametrize(
    ("registered", "sender", "thread", "past", "last_minute", "reason"),
    [
        (True, "cjzjj@xjzj.gov.cn", "t", _past(29, fp="other"), 100, None),  # a unit: never capped
        (True, "cjzjj@xjzj.gov.cn", "t", _past(2, fp="same"), 0, "loop_similar"),
        (False, "a@example.org", "same", _past(3, thread="same", fp="o"), 0, "loop_thread"),
        (False, "system@example.org", "new", _past(1, fp="o"), 0, "automatic_looking_sender"),
        (False, "a@example.org", "new", _past(3, fp="o"), 0, "rate_limited"),
        (False, "a@example.org", "new", _past(3, fp="o", minutes=70), 0, None),  # the window slides
        (False, "a@example.org", "new", [], 5, "storm"),
        (False, "a@example.org", "new", [], 4, None),
    ],
)
def test_hold_reason(
    registered: bool, sender: str, thread: str, past: list[PastReply], last_minute: int, reason: str | None
) -> None:
    got = hold_reason(
        registered=registered,
        sender=sender,
        thread=thread,
        print_="same",
        past=past,
        last_minute=last_minute,
        now=NOW,
        limits=LIMITS,
    )
    assert got == reason


def test_fingerprint_ignores_reply_prefixes_and_our_tags_but_not_attachments() -> None:
    base = fingerprint("关于设备检查的报告", "检查电梯38台。")
    assert fingerprint("Re: [回执 JB-2026-000001] 关于设备检查的报告", "检查电梯 38 台！") == base
    assert fingerprint("关于设备检查的报告", "检查电梯39台。") != base
    assert fingerprint("关于设备检查的报告", "检查电梯38台。", [("二季度.docx", 1200)]) != base


def test_inspect_shows_what_the_pipeline_stores() -> None:
    config = build_config({"database": {"url": "sqlite://"}}, env={})
    dsn = inspect_bytes((CORPUS / "auto/bp-aol-senderblock.eml").read_bytes(), "dsn", config, now=NOW)
    assert dsn["category"] == "bounce" and "automatic:dsn" in dsn["flags"]
    assert dsn["no_reply"] == "category:bounce" and "unregistered_sender" not in dsn["flags"]
    spam = inspect_bytes((HOSTILE / "spam-flagged.eml").read_bytes(), "spam", config, now=NOW)
    assert spam["held"] == "spam:x-spam-flag=YES" and "reply_held" in spam["flags"]
    stranger = inspect_bytes(
        (HOSTILE / "relay-reply-to-unit.eml").read_bytes(),
        "relay",
        config,
        registry=lambda addr: None,
        now=NOW,
    )
    assert "unregistered_sender" in stranger["flags"] and "short_receipt" in stranger["flags"]
    assert stranger["no_reply"] is None and stranger["held"] is None


def _structured(subtype: str, part: tuple[str, str, str], **params: str) -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP

    msg = EmailMessage(policy=SMTP)
    msg["From"] = "liaison@xjzj.gov.cn"
    msg["To"] = "jbgs@xjzj.gov.cn"
    msg["Subject"] = "关于报送政务信息的通知"
    msg.set_content("您好。")
    maintype, sub, body = part
    msg.add_attachment(body.encode(), maintype=maintype, subtype=sub, **params)  # type: ignore[arg-type]
    if subtype:
        msg.set_type(f"multipart/{subtype}")
    return msg.as_bytes()


def test_read_receipt_and_calendar_answer_by_structure() -> None:
    mdn = _structured(
        "report",
        ("message", "disposition-notification", "Disposition: manual-action/MDN-sent-manually; displayed"),
    )
    mdn = mdn.replace(b"multipart/report;", b"multipart/report; report-type=disposition-notification;", 1)
    verdict = detect(parse_mail(mdn))
    assert verdict is not None and verdict.kind == "read_receipt"
    ics = _structured(
        "",
        ("text", "calendar", "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nEND:VCALENDAR\r\n"),
        params={"method": "REPLY"},
    )
    verdict = detect(parse_mail(ics))
    assert verdict is not None and verdict.kind == "calendar_reply"


def test_a_units_reply_quoting_our_receipt_is_not_a_machine() -> None:
    receipt = (
        "区局办公室已收到贵单位报送的信息。\n本邮件由系统自动发送，回复本邮件即视为对该登记编号的补充报送。"
    )
    for quote in (f"在 2026-11-20 10:00:00，区局办公室 写道：\n{receipt}", f"-----原始邮件-----\n{receipt}"):
        mail = mailgen.report(
            3, subject="Re: [回执 JB-2026-000001] 续报", body=f"电梯已修复，恢复运行。\n\n{quote}"
        )
        assert detect(parse_mail(mail)) is None
