"""The office's 采用： command by mail, pure: the lines read, what they say, and the refusal rules in order."""

from __future__ import annotations

from datetime import date

import pytest

from mailbot.adoption.mailcmd import command_lines, read_command, refusal

OWN = ("jbgs@xjzj.gov.cn",)


def test_command_lines_stop_at_the_quoted_original() -> None:
    text = "采用：信息专报 2026年第12期\n 采用:中办 \n谢谢\n\n-----原始邮件-----\n采用：简报\n> 采用：总局"
    assert command_lines(text) == ["信息专报 2026年第12期", "中办"]
    assert command_lines("在 2026年11月20日 写道：\n采用：中办") == []
    assert command_lines("已采用，谢谢") == []


@pytest.mark.parametrize(
    ("line", "key", "named", "issue", "day"),
    [
        ("信息专报 2026年第12期", "office.special", "", "2026年第12期", None),
        ("中办", "adopted.central", "", "", None),
        ("人民网 media.national 2026-12-01", "media.national", "人民网", "", date(2026, 12, 1)),
        ("《质监信息》 第 40 期", "office.bulletin", "", "第40期", None),
    ],
)
def test_read_command(line: str, key: str, named: str, issue: str, day: date | None) -> None:
    c = read_command(line)
    assert c.outlet is not None and (c.outlet.key, c.outlet_name, c.issue, c.day) == (key, named, issue, day)


def test_unreadable_command() -> None:
    c = read_command("明天再说")
    assert c.outlet is None and "names no adoption kind" in c.error


def test_refusal_rules_in_order() -> None:
    ok = {"own_addresses": OWN, "require_authentication": True, "has_command": True}
    assert refusal(from_addr="JBGS@xjzj.gov.cn", receipt_found=True, auth_problem=None, **ok) is None
    assert (
        refusal(from_addr="x@qq.com", receipt_found=False, auth_problem="auth_failed", **ok) == "not_office"
    )
    assert refusal(from_addr="jbgs@xjzj.gov.cn", receipt_found=False, auth_problem=None, **ok) == "no_receipt"
    assert (
        refusal(from_addr="jbgs@xjzj.gov.cn", receipt_found=True, auth_problem="auth_failed", **ok)
        == "auth_failed"
    )
    lax = {**ok, "require_authentication": False}
    assert (
        refusal(from_addr="jbgs@xjzj.gov.cn", receipt_found=True, auth_problem="auth_missing", **lax) is None
    )
    none = {**ok, "has_command": False}
    assert (
        refusal(from_addr="jbgs@xjzj.gov.cn", receipt_found=True, auth_problem=None, **none) == "no_command"
    )
