"""Realistic report mails for tests (built with the stdlib, in the encodings units really use)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")
UNITS = [
    ("wlmqzjj@xjzj.gov.cn", "乌鲁木齐市质监局"),
    ("cjzjj@xjzj.gov.cn", "昌吉州质监局"),
    ("ylzjj@xjzj.gov.cn", "伊犁州质监局"),
    ("kszjj@xjzj.gov.cn", "喀什地区质监局"),
    ("klmyzjj@xjzj.gov.cn", "克拉玛依市质监局"),
    ("tjc@xjzj.gov.cn", "区局特种设备安全监察处"),
]


def report(
    n: int,
    *,
    sent: datetime | None = None,
    urgent: bool = False,
    sender: tuple[str, str] | None = None,
    to: str = "jbgs@xjzj.gov.cn",
    charset: str = "utf-8",
    subject: str | None = None,
    body: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    in_reply_to: str | None = None,
) -> bytes:
    sent = sent or datetime(2026, 11, 20, 10, 0, tzinfo=CST) + timedelta(minutes=n)
    addr, unit = sender or UNITS[n % len(UNITS)]
    event = sent - (timedelta(minutes=50) if urgent else timedelta(days=1))
    if subject is None:
        subject = (
            f"【紧急】{unit}关于辖区一电梯困人事件的报告（{n}）"
            if urgent
            else f"{unit}开展冬季锅炉安全专项检查工作（{n}）"
        )
    if body is None:
        if urgent:
            body = (
                f"{event.month}月{event.day}日{event.hour}时{event.minute}分许，{unit}接到报告，辖区某小区一部电梯"
                f"发生困人故障，3名群众被困。我局立即启动应急预案，派员赶赴现场，被困人员已全部安全救出，无人员伤亡。"
            )
        else:
            body = (
                f"{event.month}月{event.day}日，{unit}组织开展冬季供暖锅炉安全专项检查，共检查使用单位12家、"
                f"锅炉25台，发现隐患6处，已责令限期整改。"
            )
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{unit} <{addr}>" if charset == "utf-8" else addr
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<{message_id or f'report-{n}-{sent:%Y%m%d%H%M}@test.xjzj.gov.cn'}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
        msg["References"] = f"<{in_reply_to}>"
    for k, v in (headers or {}).items():
        msg[k] = v
    msg.set_content(body, charset=charset, cte="base64" if charset != "utf-8" else "quoted-printable")
    return msg.as_bytes()


def auto_reply(n: int = 0) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "276543210@qq.com"
    msg["To"] = "jbgs@xjzj.gov.cn"
    msg["Subject"] = "自动回复: 关于报送政务信息的通知"
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 9, 0, tzinfo=CST))
    msg["Message-ID"] = f"<autoreply-{n}@qq.com>"
    msg["Auto-Submitted"] = "auto-replied"
    msg.set_content("您好，我现在休假中，无法亲自回复您的邮件。", charset="utf-8")
    return msg.as_bytes()


def bounce(original_message_id: str, recipient: str, n: int = 0) -> bytes:
    raw = (
        "From: Mail Delivery System <MAILER-DAEMON@mail.xjzj.gov.cn>\r\n"
        "To: jbgs@xjzj.gov.cn\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce-{n}@mail.xjzj.gov.cn>\r\n"
        "Date: Fri, 20 Nov 2026 10:30:00 +0800\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BND"\r\n'
        "\r\n--BND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system. Your message could not be delivered to {recipient}.\r\n"
        "\r\n--BND\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mail.xjzj.gov.cn\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        "\r\n--BND\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: jbgs@xjzj.gov.cn\r\nTo: {recipient}\r\nMessage-ID: <{original_message_id}>\r\nSubject: receipt\r\n"
        "\r\n--BND--\r\n"
    )
    return raw.encode()


# --------------------------------------------------------------------------- 附件1 登记表 (liaison registration)

_FORM_ROWS = (
    (
        "分管领导情况",
        "leader",
        (("姓  名", "name"), ("职  务", "title"), ("办公电话", "office_phone"), ("手机号码", "mobile")),
    ),
    (
        "联络员\n情况",
        "liaison",
        (
            ("姓  名", "name"),
            ("性  别", "gender"),
            ("部  门", "department"),
            ("职  务", "title"),
            ("办公电话", "office_phone"),
            ("手机号码", "mobile"),
            ("政治面貌", "political_status"),
            ("QQ号码", "qq"),
        ),
    ),
)


def form_docx(fields: dict[str, str]) -> bytes:
    """The Word form as printed in the notice: label cell, value cell, two pairs a row."""
    import io

    import docx

    document = docx.Document()
    document.add_paragraph("自治区质量技术监督局信息宣传联络员登记表")
    table = document.add_table(rows=0, cols=5)
    row = table.add_row().cells
    row[0].text, row[1].text = "填报单位", fields.get("unit", "")
    for section, role, pairs in _FORM_ROWS:
        for i in range(0, len(pairs), 2):
            cells = table.add_row().cells
            cells[0].text = section
            for j, (label, key) in enumerate(pairs[i : i + 2]):
                cells[1 + 2 * j].text = label
                cells[2 + 2 * j].text = fields.get(f"{role}_{key}", "")
    row = table.add_row().cells
    row[0].text, row[1].text = "单\n位\n意\n见", "同意。 单位盖章 年 月 日"
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def form_xlsx(fields: dict[str, str]) -> bytes:
    """The spreadsheet variant: a header row of labels over a row of values per section."""
    import io

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["信息宣传联络员登记表"])
    ws.append(["填报单位", fields.get("unit", "")])
    for section, role, pairs in _FORM_ROWS:
        ws.append([section.replace("\n", ""), *(label for label, _ in pairs)])
        ws.append(["", *(fields.get(f"{role}_{key}", "") for _, key in pairs)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def form_body(fields: dict[str, str]) -> str:
    lines = ["按通知要求报送信息宣传联络员登记表。", ""]
    if fields.get("unit"):
        lines.append(f"填报单位：{fields['unit']}")
    for _section, role, pairs in _FORM_ROWS:
        prefix = "分管领导" if role == "leader" else "联络员"
        for label, key in pairs:
            if fields.get(f"{role}_{key}"):
                lines.append(f"{prefix}{label.replace(' ', '')}：{fields[f'{role}_{key}']}")
    return "\n".join(lines)


def registration_mail(
    fmt: str,
    fields: dict[str, str],
    *,
    sender: tuple[str, str] = ("cjzjj@xjzj.gov.cn", "昌吉州质监局"),
    sent: datetime | None = None,
    n: int = 0,
) -> bytes:
    """A mail carrying the 登记表 as .docx, .xlsx, or as 字段：值 lines in the body (fmt "body")."""
    sent = sent or datetime(2026, 11, 20, 10, 0, tzinfo=CST)
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{sender[1]} <{sender[0]}>"
    msg["To"] = "jbgs@xjzj.gov.cn"
    msg["Subject"] = "报送信息宣传联络员登记表"
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<reg-{fmt}-{n}-{sent:%Y%m%d%H%M}@test.xjzj.gov.cn>"
    if fmt == "body":
        msg.set_content(form_body(fields), charset="utf-8")
        return msg.as_bytes()
    msg.set_content("按通知要求报送信息宣传联络员登记表，请查收。", charset="utf-8")
    if fmt == "docx":
        msg.add_attachment(
            form_docx(fields),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
            filename="附件1：信息宣传联络员登记表.docx",
        )
    else:
        msg.add_attachment(
            form_xlsx(fields),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            filename="附件1：信息宣传联络员登记表.xlsx",
        )
    return msg.as_bytes()
