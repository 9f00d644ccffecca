"""regform: the 登记表 read from real .docx / .xlsx files (made here with python-docx / openpyxl) and body lines."""

from __future__ import annotations

import io

import docx
import openpyxl
import pytest

from mailbot.judge.regform import read_form, read_text
from mailbot.mail.parse import parse_mail
from mailbot.model import Attachment, ParsedMail
from tests.mailgen import registration_mail

FULL = {
    "unit": "昌吉州质量技术监督局",
    "leader_name": "马建新",
    "leader_title": "副局长",
    "leader_office_phone": "0994-2345678",
    "leader_mobile": "13909941234",
    "liaison_name": "李娜",
    "liaison_gender": "女",
    "liaison_department": "办公室",
    "liaison_title": "科员",
    "liaison_office_phone": "0994-2345601",
    "liaison_mobile": "13899651234",
    "liaison_political_status": "中共党员",
    "liaison_qq": "283746512",
}


def _mail(text: str = "", attachments: tuple[Attachment, ...] = ()) -> ParsedMail:
    return ParsedMail(
        message_id="x@y",
        subject="登记表",
        from_addr="cjzjj@xjzj.gov.cn",
        from_name="",
        to=(),
        cc=(),
        delivered_to=(),
        reply_to=(),
        return_path=None,
        date=None,
        in_reply_to=None,
        references=(),
        headers={},
        text=text,
        html=None,
        attachments=attachments,
    )


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "body"])
def test_full_form_in_every_format(fmt: str) -> None:
    parsed = parse_mail(registration_mail(fmt, FULL))
    form = read_form(parsed)
    assert form.fields == FULL
    assert form.missing == ()
    assert form.source.startswith(fmt)


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "body"])
def test_missing_required_fields_are_named(fmt: str) -> None:
    partial = {k: v for k, v in FULL.items() if k not in ("liaison_mobile", "liaison_office_phone", "unit")}
    form = read_form(parse_mail(registration_mail(fmt, partial)))
    assert form.missing == ("unit", "liaison_phone")
    assert form.missing_labels() == ["填报单位", "联络员手机号码或办公电话"]
    assert form.fields["liaison_name"] == "李娜"


def test_header_row_with_blank_cells_places_values_by_shape() -> None:
    text = (
        "联络员\t姓名\t性别\t部门\t职务\t办公电话\t手机号码\t政治面貌\tQQ号码\n"
        "李娜\t女\t办公室\t13899651234\t中共党员"
    )
    fields = read_text(text)
    assert fields["liaison_name"] == "李娜" and fields["liaison_mobile"] == "13899651234"
    assert fields["liaison_gender"] == "女" and fields["liaison_political_status"] == "中共党员"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "填报单位：哈密市质监局\n联络员：李娟\n手机号码：13779021006",
            {"unit": "哈密市质监局", "liaison_name": "李娟", "liaison_mobile": "13779021006"},
        ),
        (
            "单位名称: 博州质监局\n分管领导：陈卫东\n职务：副局长\n联络员姓名：周敏\n办公电话：0909-2221306",
            {
                "unit": "博州质监局",
                "leader_name": "陈卫东",
                "leader_title": "副局长",
                "liaison_name": "周敏",
                "liaison_office_phone": "0909-2221306",
            },
        ),
        ("按通知要求报送，请查收。", {}),
    ],
)
def test_body_lines(text: str, expected: dict[str, str]) -> None:
    assert read_text(text) == expected


def test_nothing_readable() -> None:
    form = read_form(_mail("请查收附件。", (Attachment("a.pdf", "application/pdf", 10, None),)))
    assert (
        form.fields == {} and form.missing == ("unit", "liaison_name", "liaison_phone") and form.source == ""
    )


def test_real_docx_and_xlsx_bytes_are_generated() -> None:
    # the helpers make genuine Office files (opened again by their libraries)
    from tests.mailgen import form_docx, form_xlsx

    assert docx.Document(io.BytesIO(form_docx(FULL))).tables
    assert openpyxl.load_workbook(io.BytesIO(form_xlsx(FULL))).active is not None
