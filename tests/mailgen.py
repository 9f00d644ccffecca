"""Realistic report mails for tests (built with the stdlib, in the encodings units really use)."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from zoneinfo import ZoneInfo

CST = ZoneInfo("Asia/Shanghai")
UNITS = [("wlmqzjj@xjzj.gov.cn", "乌鲁木齐市质监局"), ("cjzjj@xjzj.gov.cn", "昌吉州质监局"),
         ("ylzjj@xjzj.gov.cn", "伊犁州质监局"), ("kszjj@xjzj.gov.cn", "喀什地区质监局"),
         ("klmyzjj@xjzj.gov.cn", "克拉玛依市质监局"), ("tjc@xjzj.gov.cn", "区局特种设备安全监察处")]


def report(n: int, *, sent: datetime | None = None, urgent: bool = False, sender: tuple[str, str] | None = None,
           to: str = "jbgs@xjzj.gov.cn", charset: str = "utf-8", subject: str | None = None,
           body: str | None = None, message_id: str | None = None, headers: dict[str, str] | None = None,
           in_reply_to: str | None = None) -> bytes:
    sent = sent or datetime(2026, 11, 20, 10, 0, tzinfo=CST) + timedelta(minutes=n)
    addr, unit = sender or UNITS[n % len(UNITS)]
    event = sent - (timedelta(minutes=50) if urgent else timedelta(days=1))
    if subject is None:
        subject = (f"【紧急】{unit}关于辖区一电梯困人事件的报告（{n}）" if urgent
                   else f"{unit}开展冬季锅炉安全专项检查工作（{n}）")
    if body is None:
        if urgent:
            body = (f"{event.month}月{event.day}日{event.hour}时{event.minute}分许，{unit}接到报告，辖区某小区一部电梯"
                    f"发生困人故障，3名群众被困。我局立即启动应急预案，派员赶赴现场，被困人员已全部安全救出，无人员伤亡。")
        else:
            body = (f"{event.month}月{event.day}日，{unit}组织开展冬季供暖锅炉安全专项检查，共检查使用单位12家、"
                    f"锅炉25台，发现隐患6处，已责令限期整改。")
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
        "\r\n--BND--\r\n")
    return raw.encode()
