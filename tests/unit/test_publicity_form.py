"""Reading 附件2 (宣传报道申报单) and approvers' answers: pure, table-driven, on the fixture .eml files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.judge.automatic import TrustPolicy
from mailbot.judge.classify import classify
from mailbot.mail.parse import parse_mail
from mailbot.publicity.answer import StepFacts, hold_reason, own_text, read_answer, request_tag, tag_in
from mailbot.publicity.form import media_in, read_form, read_text
from mailbot.publicity.word import request_docx

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "publicity"
# the governing notice as published (a copy kept with the fixtures: the checkout may stand alone)
SEED = FIXTURES / "notice-2012-24.txt"
TOKEN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("name", "unit", "media", "mobile"),
    [
        ("request-body.eml", "自治区质量技术监督局特种设备安全监察处", ("tv", "newspaper"), "13999817431"),
        ("request-docx.eml", "自治区质量技术监督局计量处", ("radio", "web"), "13899817441"),
        ("request-xlsx.eml", "新疆维吾尔自治区特种设备检验研究院", ("tv", "web"), "13899681205"),
    ],
)
def test_fixture_requests_are_read_whole(name: str, unit: str, media: tuple[str, ...], mobile: str) -> None:
    mail = parse_mail((FIXTURES / name).read_bytes())
    assert classify(mail).category == "publicity_request"
    form = read_form(mail)
    assert form.complete, form.missing
    assert form.fields["unit"] == unit and form.media == media
    assert form.fields["contact_mobile"] == mobile and form.fields["contact_office_phone"].startswith("0991-")
    assert form.fields["time"] and form.fields["content"] and form.fields["contact_title"]
    assert form.source.split(":")[0] == name.split("-")[1].split(".")[0]


def test_multi_line_content_is_kept_whole() -> None:
    form = read_form(parse_mail((FIXTURES / "request-docx.eml").read_bytes()))
    assert form.fields["content"].splitlines() == [
        "“5·20世界计量日”计量惠民进社区活动",
        "免费检定血压计、电子秤",
    ]


def test_missing_fields_are_named() -> None:
    form = read_form(parse_mail((FIXTURES / "request-missing.eml").read_bytes()))
    assert form.missing == ("time", "contact_phone", "media")
    assert "宣传报道时间" in form.missing_labels()[0]


def test_the_blank_form_of_the_notice_reads_as_empty() -> None:
    """附件2 exactly as printed in the notice (no value filled in): no field, no medium ticked."""
    assert SEED is not None
    blank = SEED.read_text(encoding="utf-8").split("附件2：", 1)[1].split("附件3：", 1)[0]
    fields, media = read_text(blank)
    assert fields == {} and media == []


@pytest.mark.parametrize(
    ("line", "listed", "expected"),
    [
        ("☑电视        &9826;广播        ☑报纸        &9826;网络", False, ["tv", "newspaper"]),
        ("□电视 √广播 □报纸 ■网络", False, ["radio", "web"]),
        ("电视√\t广播\t报纸\t网络√", False, ["tv", "web"]),
        ("电视（√） 广播（ ） 报纸（√） 网络（ ）", False, ["tv", "newspaper"]),
        ("&9826;电视 &9826;广播 &9826;报纸 &9826;网络", False, []),
        ("电视、报纸", True, ["tv", "newspaper"]),
        ("电视、报纸", False, []),  # a plain mention outside the media field ticks nothing
        ("☒电视 ☐广播", False, ["tv"]),
    ],
)
def test_media_boxes(line: str, listed: bool, expected: list[str]) -> None:
    assert media_in(line, listed=listed) == expected


@pytest.mark.parametrize(
    ("text", "key", "value"),
    [
        ("申请部门（单位）：计量处\n", "unit", "计量处"),
        ("申请部门(单位): 计量处\n", "unit", "计量处"),
        ("申报单位：计量处\n", "unit", "计量处"),
        ("宣传报道时间\t2026年5月20日\n", "time", "2026年5月20日"),
        ("联系人：罗静\n", "contact_name", "罗静"),
        ("具体联络人员情况\t姓名\t罗静\t联系方式\t13899817441\n", "contact_mobile", "13899817441"),
        ("具体联络人员情况\t姓名\t罗静\t联系方式\t0991-2817441\n", "contact_office_phone", "0991-2817441"),
        ("手机号码\t13899681205.0\n", "contact_mobile", "13899681205"),
    ],
)
def test_field_layouts(text: str, key: str, value: str) -> None:
    fields, _ = read_text(text)
    assert fields[key] == value


def test_media_label_with_the_boxes_on_the_same_line() -> None:
    _, media = read_text("邀请媒体类型（请打√可多选）：□电视 ☑广播 □报纸 □网络\n")
    assert media == ["radio"], "the √ of the printed hint is no tick"
    _, media = read_text("邀请媒体类型：电视、网络\n")
    assert media == ["tv", "web"]


@pytest.mark.parametrize(
    ("body", "decision", "reason"),
    [
        ("同意。", "approve", ""),
        ("同意，请办公室协调。\n\n-----原始邮件-----\n不同意", "approve", "请办公室协调"),
        ("不同意，理由：时间与全区会议冲突。\n> 同意", "reject", "时间与全区会议冲突"),
        ("不同意。内容涉及未公开的执法信息", "reject", "内容涉及未公开的执法信息"),
        ("收到，稍后答复。\n\n在 2026年12月7日 写道：\n> 同意", None, "收到，稍后答复。"),
        ("> 同意\n", None, ""),
    ],
)
def test_answers(body: str, decision: str | None, reason: str) -> None:
    a = read_answer(body)
    assert (a.decision, a.reason) == (decision, reason)


def test_media_line_of_an_office_answer() -> None:
    a = read_answer("同意\n媒体：新疆电视台 记者王某；新疆日报\n")
    assert a.decision == "approve" and a.media == "新疆电视台 记者王某；新疆日报"


def test_tags() -> None:
    assert request_tag("PR-2026-000001") == "[宣传申报 PR-2026-000001]"
    assert tag_in(f"回复：{request_tag('PR-2026-000001', TOKEN)} 请审批") == ("PR-2026-000001", TOKEN)
    assert tag_in("Re: [宣传申报 PR-2026-000001] 同意") == ("PR-2026-000001", None)
    assert tag_in("同意") == (None, None)
    assert own_text("同意\n> 引用") == "同意"


def _mail(sender: str, body: str, auth: str | None = None, mid: str = "a1@x") -> bytes:
    head = f"Authentication-Results: {auth}\r\n" if auth else ""
    return (
        f"{head}From: {sender}\r\nTo: jbgs@xjzj.gov.cn\r\nSubject: Re: [宣传申报 PR-2026-000001 #{TOKEN}]\r\n"
        f"Message-ID: <{mid}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


STEP = StepFacts(1, 1, "PR-2026-000001", TOKEN, ("head@xjzj.gov.cn",), True)
PASS = "mx.xjzj.gov.cn; dmarc=pass header.from=xjzj.gov.cn"


@pytest.mark.parametrize(
    ("raw", "step", "used", "auth", "expected"),
    [
        (_mail("head@xjzj.gov.cn", "同意"), STEP, (), False, None),
        (_mail("HEAD@xjzj.gov.cn", "同意"), STEP, (), False, None),
        (_mail("other@xjzj.gov.cn", "同意"), STEP, (), False, "not_approver"),
        (_mail("head@xjzj.gov.cn", "同意"), None, (), False, "unknown_token"),
        (_mail("head@xjzj.gov.cn", "同意"), STEP, ("a1@x",), False, "replayed"),
        (
            _mail("head@xjzj.gov.cn", "同意"),
            StepFacts(1, 1, "x", TOKEN, STEP.approvers, False),
            (),
            False,
            "step_closed",
        ),
        (_mail("head@xjzj.gov.cn", "同意"), STEP, (), True, "auth_missing"),
        (_mail("head@xjzj.gov.cn", "同意", "mx.xjzj.gov.cn; dmarc=fail"), STEP, (), True, "auth_failed"),
        (_mail("head@xjzj.gov.cn", "同意", PASS), STEP, (), True, None),
        (_mail("head@xjzj.gov.cn", "好的"), STEP, (), False, "unclear"),
    ],
)
def test_hold_reasons(
    raw: bytes, step: StepFacts | None, used: tuple[str, ...], auth: bool, expected: str | None
) -> None:
    mail = parse_mail(raw)
    got = hold_reason(
        mail, step, named_number="PR-2026-000001", used_message_ids=used, require_authentication=auth,
        trust=TrustPolicy(),
    )  # fmt: skip
    assert got == expected


def test_filled_form_docx_reads_back() -> None:
    """The .docx mailed to approvers is itself a readable 附件2."""
    from mailbot.mail.attachments import extract_text

    fields = {
        "unit": "计量处",
        "time": "2026年5月20日",
        "content": "计量惠民",
        "contact_name": "罗静",
        "contact_office_phone": "0991-2817441",
        "contact_mobile": "13899817441",
    }
    data = request_docx("PR-2026-000001", fields, ["radio"], {"head": "同意（mail:head@x，2026年）"})
    text, defects = extract_text("a.docx", "", data)
    assert text is not None and not defects
    got, media = read_text(text)
    assert {k: got.get(k) for k in fields} == fields and media == ["radio"]
