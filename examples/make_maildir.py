"""Write the demo's sample Maildir: examples/maildir/{cur,new,tmp}, messages in new/.

Run: ``python examples/make_maildir.py``. Deterministic (fixed dates, Message-IDs, Maildir keys).
A dozen-odd reports to jbgs@xjzj.gov.cn from November 2026; every Date header agrees with the event
time in its body so that each message earns its intended verdict (see ``INTENDED`` below).
Byte-level helpers are shared with the test corpus generator (tests/fixtures/make_fixtures.py).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures.make_fixtures import (  # noqa: E402
    LIAISON_FIELDS,
    b64_lines,
    ew,
    make_docx,
    make_xlsx,
    msg,
    multipart,
    part,
)

MAILDIR = Path(__file__).resolve().parent / "maildir"
OFFICE = "jbgs@xjzj.gov.cn"

# key → (intended category / verdict, raw bytes); filled by build()
MESSAGES: list[tuple[str, str, bytes]] = []


def report(
    key: str,
    intended: str,
    *,
    name: str,
    addr: str,
    subject: str,
    date: str,
    mid: str,
    body: str,
    to: str = OFFICE,
    charset: str = "utf-8",
    extra: list[tuple[str, str | bytes]] | None = None,
) -> None:
    headers: list[tuple[str, str | bytes]] = [
        ("Return-Path", f"<{addr}>"),
        ("Delivered-To", OFFICE),
        ("From", f"{ew(name, charset)} <{addr}>"),
        ("To", to),
        ("Subject", ew(subject, charset)),
        ("Date", date),
        ("Message-ID", f"<{mid}>"),
        ("MIME-Version", "1.0"),
        *(extra or []),
        ("Content-Type", f"text/plain; charset={charset}"),
        ("Content-Transfer-Encoding", "base64"),
    ]
    MESSAGES.append((key, intended, msg(headers, b64_lines(body.encode(charset)))))


def build() -> None:
    sign = "\r\n\r\n{unit}\r\n{day}\r\n"
    # 1. routine, on time (event 16th, sent 17th)
    report(
        "01-routine-ontime",
        "routine/on_time",
        name="乌鲁木齐市质监局",
        addr="wlmqzjj@xjzj.gov.cn",
        subject="乌鲁木齐市质监局开展冬季电梯安全专项检查",
        date="Tue, 17 Nov 2026 10:12:00 +0800",
        mid="demo-01.wlmq@xjzj.gov.cn",
        body="11月16日，乌鲁木齐市质监局组织特种设备安全监察人员对全市32个住宅小区的电梯开展冬季安全专项检查，"
        "共检查电梯216台，下达安全监察指令书5份。"
        + sign.format(unit="乌鲁木齐市质监局", day="2026年11月17日"),
    )
    # 2. routine, late (event 3rd, sent 13th: 10 days)
    report(
        "02-routine-late",
        "routine/late",
        name="昌吉州质监局",
        addr="cjzjj@xjzj.gov.cn",
        subject="昌吉州质监局召开农资打假工作推进会",
        date="Fri, 13 Nov 2026 16:40:00 +0800",
        mid="demo-02.cj@xjzj.gov.cn",
        body="11月3日上午，昌吉州质监局召开全州农资打假工作推进会，各县市局分管领导参加会议。"
        + sign.format(unit="昌吉州质监局", day="2026年11月13日"),
    )
    # 3. urgent, on time (event 14:05, sent 15:20 the same day)
    report(
        "03-urgent-ontime",
        "urgent/on_time",
        name="伊犁州质监局",
        addr="ylzjj@xjzj.gov.cn",
        subject="【紧急】伊犁州质监局关于伊宁市一住宅小区电梯困人事件的报告",
        date="Wed, 18 Nov 2026 15:20:00 +0800",
        mid="demo-03.yl.urgent@xjzj.gov.cn",
        body="区局办公室：\r\n2026年11月18日14时05分，伊宁市阳光花园小区3号楼一台电梯发生困人事件，"
        "4名群众被困。维保单位于14时30分将被困人员全部安全救出，无人员受伤。我局特种设备安全监察科已赶赴现场调查。"
        + sign.format(unit="伊犁州质监局", day="2026年11月18日"),
    )
    # 4. urgent, late (event 08:30, sent 13:10 — 4 h 40 min), from a personal 163.com box
    report(
        "04-urgent-late",
        "urgent/late",
        name="塔城地区质监局 李娜",
        addr="tczjj@163.com",
        subject="【紧急】塔城地区质监局关于沙湾市一供热站锅炉泄漏事故的报告",
        date="Fri, 20 Nov 2026 13:10:00 +0800",
        mid="2d3c4b5a.7781.demo04.Coremail.tczjj@163.com",
        body="区局办公室：\r\n11月20日8时30分，沙湾市城区供热站一台29MW热水锅炉发生泄漏，供热站已紧急停炉，无人员伤亡，"
        "影响约1200户居民供暖。我局已派员赶赴现场。"
        + sign.format(unit="塔城地区质监局", day="2026年11月20日"),
        charset="gbk",
        extra=[("Reply-To", "tczjj@xjzj.gov.cn"), ("X-Mailer", "Coremail Webmail Server Version XT5.0.14")],
    )
    # 5. 续报 of no. 3
    report(
        "05-followup",
        "followup/on_time",
        name="伊犁州质监局",
        addr="ylzjj@xjzj.gov.cn",
        subject="【续报】伊犁州质监局关于伊宁市一住宅小区电梯困人事件的续报",
        date="Wed, 18 Nov 2026 17:40:00 +0800",
        mid="demo-05.yl.followup@xjzj.gov.cn",
        body="区局办公室：\r\n截至11月18日17时，经初步调查，事件原因为电梯门锁回路故障，该电梯已停用，"
        "我局已责令使用单位和维保单位全面排查同批次电梯。"
        + sign.format(unit="伊犁州质监局", day="2026年11月18日"),
        extra=[
            ("In-Reply-To", "<demo-03.yl.urgent@xjzj.gov.cn>"),
            ("References", "<demo-03.yl.urgent@xjzj.gov.cn>"),
        ],
    )
    # 6. 终报 of no. 3
    report(
        "06-final",
        "followup/final",
        name="伊犁州质监局",
        addr="ylzjj@xjzj.gov.cn",
        subject="【终报】伊犁州质监局关于伊宁市一住宅小区电梯困人事件的终报",
        date="Thu, 19 Nov 2026 11:00:00 +0800",
        mid="demo-06.yl.final@xjzj.gov.cn",
        body="区局办公室：\r\n11月19日10时，涉事电梯完成维修并经检验合格，恢复运行。同批次12台电梯排查完毕，未发现同类隐患。"
        "本次事件处置完毕。" + sign.format(unit="伊犁州质监局", day="2026年11月19日"),
        extra=[
            ("In-Reply-To", "<demo-05.yl.followup@xjzj.gov.cn>"),
            ("References", "<demo-03.yl.urgent@xjzj.gov.cn> <demo-05.yl.followup@xjzj.gov.cn>"),
        ],
    )
    # 7. to the old domain
    report(
        "07-old-domain",
        "routine/on_time (old domain)",
        name="博州质监局",
        addr="bzzjj@xjzj.gov.cn",
        to="jbgs@xjnewqi.gov.cn",
        subject="博州质监局开展冬季供暖锅炉安全检查",
        date="Tue, 10 Nov 2026 11:20:00 +0800",
        mid="demo-07.bz@xjzj.gov.cn",
        body="11月9日，博州质监局对辖区12家供热企业的供暖锅炉开展安全检查，发现隐患6处，均已督促整改。"
        + sign.format(unit="博州质监局", day="2026年11月10日"),
    )
    # 8. GBK, base64 (routine, on time)
    report(
        "08-gbk",
        "routine/on_time",
        name="哈密市质监局",
        addr="hmzjj@xjzj.gov.cn",
        subject="哈密市质监局开展棉花质量监督抽查",
        date="Thu, 12 Nov 2026 17:05:00 +0800",
        mid="demo-08.hm@xjzj.gov.cn",
        body="11月11日，哈密市质监局对辖区5家棉花加工企业开展质量监督抽查，抽取样品20批次。"
        + sign.format(unit="哈密市质监局", day="2026年11月12日"),
        charset="gbk",
    )
    # 9. HTML only (routine, on time)
    html = (
        "<html><head><style>p{font-family:宋体}</style></head><body>"
        "<p>11月9日，阿克苏地区质监局组织专家对温宿县苹果生产标准化示范区进行验收。</p>"
        "<p>示范区面积1.2万亩，标准覆盖率96%。<br>阿克苏地区质监局<br>2026年11月10日</p></body></html>"
    )
    MESSAGES.append(
        (
            "09-html-only",
            "routine/on_time",
            msg(
                [
                    ("Return-Path", "<akszjj@xjzj.gov.cn>"),
                    ("Delivered-To", OFFICE),
                    ("From", f"{ew('阿克苏地区质监局', 'utf-8')} <akszjj@xjzj.gov.cn>"),
                    ("To", OFFICE),
                    ("Subject", ew("阿克苏地区质监局：苹果生产标准化示范区通过验收", "utf-8")),
                    ("Date", "Tue, 10 Nov 2026 09:30:00 +0800"),
                    ("Message-ID", "<demo-09.aks@xjzj.gov.cn>"),
                    ("MIME-Version", "1.0"),
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Transfer-Encoding", "base64"),
                ],
                b64_lines(html.encode()),
            ),
        )
    )
    # 10. .docx report with a Chinese name (RFC 2231) — routine, on time
    docx_name = "克拉玛依市质监局加油机计量专项检查情况.docx"
    docx_bytes = make_docx(
        "克拉玛依市质监局加油机计量专项检查情况",
        [
            "11月12日上午，克拉玛依市质监局对辖区27座加油站的加油机开展计量专项检查。",
            "共检查加油机186台，合格率98.5%。",
        ],
        [["检查项目", "数量"], ["加油站", "27"], ["加油机", "186"]],
    )
    from urllib.parse import quote

    ctype, body = multipart(
        "mixed",
        "----=_Part_demo10",
        [
            part(
                [("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")],
                b64_lines(
                    "区局办公室：报送我局加油机计量专项检查情况，详见附件。\r\n克拉玛依市质监局 2026年11月13日".encode()
                ),
            ),
            part(
                [
                    (
                        "Content-Type",
                        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    ),
                    ("Content-Transfer-Encoding", "base64"),
                    (
                        "Content-Disposition",
                        "attachment; filename*=UTF-8''" + quote(docx_name.encode(), safe=""),
                    ),
                ],
                b64_lines(docx_bytes),
            ),
        ],
    )
    MESSAGES.append(
        (
            "10-docx",
            "routine/on_time",
            msg(
                [
                    ("Return-Path", "<klmyzjj@xjzj.gov.cn>"),
                    ("Delivered-To", OFFICE),
                    ("From", f"{ew('克拉玛依市质监局', 'utf-8')} <klmyzjj@xjzj.gov.cn>"),
                    ("To", OFFICE),
                    ("Subject", ew("克拉玛依市质监局报送加油机计量专项检查情况", "utf-8")),
                    ("Date", "Fri, 13 Nov 2026 11:45:00 +0800"),
                    ("Message-ID", "<demo-10.klmy@xjzj.gov.cn>"),
                    ("MIME-Version", "1.0"),
                    ("Content-Type", ctype),
                ],
                body,
            ),
        )
    )
    # 11. 调研信息 (research: routine deadline)
    report(
        "11-research",
        "research/on_time",
        name="特种设备安全监察处",
        addr="tsjc@xjzj.gov.cn",
        subject="【调研信息】关于全区电梯维保市场现状的调研报告",
        date="Mon, 16 Nov 2026 18:00:00 +0800",
        mid="demo-11.tsjc@xjzj.gov.cn",
        body="11月13日，特种设备安全监察处赴乌鲁木齐、昌吉两地开展电梯维保市场调研，走访维保单位9家。"
        "调研发现：维保价格低于成本、维保人员流动性大等问题较为突出。建议：建立维保质量评价制度。"
        + sign.format(unit="特种设备安全监察处", day="2026年11月16日"),
    )
    # 12. a bounce of one of our receipts
    original = msg(
        [
            ("From", f"{ew('区局办公室', 'utf-8')} <jbgs@xjzj.gov.cn>"),
            ("To", "bgs@bzzjj.xjzj.gov.cn"),
            ("Subject", ew("回执：已收到贵单位报送的政务信息", "utf-8")),
            ("Date", "Wed, 18 Nov 2026 08:30:00 +0800"),
            ("Message-ID", "<receipt.demo07@mailbot.xjzj.gov.cn>"),
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Transfer-Encoding", "base64"),
        ],
        b64_lines("已收到。".encode()),
    )
    ctype, body = multipart(
        "report",
        "demo12.dsn/mail.xjzj.gov.cn",
        [
            part(
                [("Content-Type", "text/plain; charset=us-ascii")],
                b"This is the mail system at host mail.xjzj.gov.cn.\r\n\r\n<bgs@bzzjj.xjzj.gov.cn>: User unknown\r\n",
            ),
            part(
                [("Content-Type", "message/delivery-status")],
                b"Reporting-MTA: dns; mail.xjzj.gov.cn\r\n\r\nFinal-Recipient: rfc822; bgs@bzzjj.xjzj.gov.cn\r\n"
                b"Action: failed\r\nStatus: 5.1.1\r\n",
            ),
            part([("Content-Type", "message/rfc822")], original),
        ],
        params="; report-type=delivery-status",
    )
    MESSAGES.append(
        (
            "12-bounce",
            "bounce",
            msg(
                [
                    ("Return-Path", "<>"),
                    ("Delivered-To", OFFICE),
                    ("From", "MAILER-DAEMON@xjzj.gov.cn (Mail Delivery System)"),
                    ("To", OFFICE),
                    ("Subject", "Undelivered Mail Returned to Sender"),
                    ("Date", "Wed, 18 Nov 2026 08:30:01 +0800"),
                    ("Message-ID", "<20261118003001.demo12@mail.xjzj.gov.cn>"),
                    ("Auto-Submitted", "auto-replied"),
                    ("MIME-Version", "1.0"),
                    ("Content-Type", ctype),
                ],
                body,
            ),
        )
    )
    # 13. an auto-reply (QQ mail)
    report(
        "13-auto-reply",
        "auto_reply",
        name="张伟",
        addr="276543210@qq.com",
        subject="自动回复: 回执：已收到贵单位报送的政务信息",
        date="Wed, 18 Nov 2026 08:31:02 +0800",
        mid="tencent_DEMO13@qq.com",
        body="您好，您的邮件我已收到，我会尽快处理。【此为QQ邮箱自动回复】",
        charset="gb18030",
        extra=[("Auto-Submitted", "auto-replied"), ("X-QQ-mid", "bizesmtp12t1763425862tdemo13")],
    )
    # 14. liaison registration with .xlsx (附件1)
    xlsx_name = "附件1：信息宣传联络员登记表（昌吉州质监局）.xlsx"
    ctype, body = multipart(
        "mixed",
        "----=_Part_demo14",
        [
            part(
                [("Content-Type", "text/plain; charset=gb2312"), ("Content-Transfer-Encoding", "base64")],
                b64_lines("按通知要求报送信息宣传联络员登记表，请查收。".encode("gb2312")),
            ),
            part(
                [
                    ("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                    ("Content-Transfer-Encoding", "base64"),
                    ("Content-Disposition", f'attachment; filename="{ew(xlsx_name, "gb2312", "gb18030")}"'),
                ],
                b64_lines(make_xlsx(LIAISON_FIELDS)),
            ),
        ],
    )
    MESSAGES.append(
        (
            "14-registration",
            "registration",
            msg(
                [
                    ("Return-Path", "<cjzjj@xjzj.gov.cn>"),
                    ("Delivered-To", OFFICE),
                    ("From", f"{ew('昌吉州质监局', 'gb2312')} <cjzjj@xjzj.gov.cn>"),
                    ("To", OFFICE),
                    ("Subject", ew("报送信息宣传联络员登记表", "gb2312")),
                    ("Date", "Mon, 02 Nov 2026 10:15:00 +0800"),
                    ("Message-ID", "<demo-14.cj.reg@xjzj.gov.cn>"),
                    ("MIME-Version", "1.0"),
                    ("Content-Type", ctype),
                ],
                body,
            ),
        )
    )


def with_received(raw: bytes) -> bytes:
    """Prepend the delivering MTA's ``Received:`` stamp (30 s after the Date header): the arrival time
    mailbot reads for Maildir messages, so the demo's verdicts do not depend on file times."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    date_line = next(line for line in head.split(b"\r\n") if line.lower().startswith(b"date:"))
    sent = parsedate_to_datetime(date_line.split(b":", 1)[1].strip().decode())
    stamp = format_datetime(sent + timedelta(seconds=30))
    received = f"Received: from smtp.xjzj.gov.cn (smtp.xjzj.gov.cn [10.65.1.20])\r\n\tby mx.xjzj.gov.cn (Postfix) with ESMTP; {stamp}\r\n"
    return received.encode() + raw


def main() -> None:
    build()
    for sub in ("cur", "new", "tmp"):
        (MAILDIR / sub).mkdir(parents=True, exist_ok=True)
        for old in (MAILDIR / sub).iterdir():
            if old.is_file():
                old.unlink()
    for sub in ("cur", "tmp"):
        # git keeps no empty folder, and mailbox.Maildir reads every *file* in cur/ as a message
        # (dotfiles included) but skips sub-folders: so the placeholder is a folder.
        keep = MAILDIR / sub / ".keep"
        keep.mkdir(exist_ok=True)
        (keep / "README").write_text("placeholder so that git keeps this Maildir folder\n", encoding="utf-8")
    for n, (key, _intended, raw) in enumerate(MESSAGES, start=1):
        raw = with_received(raw)
        # Maildir key: <time>.M<n>P<n>.<host> — fixed, so reruns reproduce identical files
        (MAILDIR / "new" / f"1763251200.M{n:02d}P{n}.mailbot-demo.{key}").write_bytes(raw)
    listing = "\n".join(f"{key}\t{intended}" for key, intended, _ in MESSAGES)
    (MAILDIR / "INTENDED.tsv").write_text("key\tintended\n" + listing + "\n", encoding="utf-8")
    print(f"wrote {len(MESSAGES)} messages to {MAILDIR / 'new'}")


if __name__ == "__main__":
    main()
