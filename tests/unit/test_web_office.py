"""The console's pure office rules: who may decide a publicity step, what a decision needs, the unit
edit form and its diff."""

from __future__ import annotations

import pytest

from mailbot.web.publicity import deciding_as, decision_problem
from mailbot.web.unitform import UnitEdit, changed, field_label, flat, parse_unit_form


@pytest.mark.parametrize(
    ("approvers", "email", "role", "expected"),
    [
        (["head@x.cn"], "HEAD@x.cn", "leader", "approver"),
        (["head@x.cn"], "other@x.cn", "staff", None),
        (["head@x.cn"], None, "admin", None),
        ([], None, "staff", "office"),
        ([], None, "leader", None),
        ([], "head@x.cn", "admin", "office"),
    ],
)
def test_deciding_as(approvers: list[str], email: str | None, role: str, expected: str | None) -> None:
    assert deciding_as(approvers, email, role) == expected


def test_decision_problem() -> None:
    assert decision_problem("head", "approve", "", "") is None
    assert "理由" in str(decision_problem("head", "reject", " ", ""))
    assert "媒体" in str(decision_problem("office", "approve", "", ""))
    assert decision_problem("office", "approve", "", "新疆电视台") is None
    assert decision_problem("head", "delete", "", "") == "未知操作"


def test_unit_form_ok_and_flat() -> None:
    edit = parse_unit_form(
        {
            "short_name": " 昌吉局 ",
            "addresses": "A@cj.gov.cn；b@cj.gov.cn",
            "liaison_name": "张三",
            "liaison_mobile": "139 1234 5678",
            "liaison_email": "ZS@cj.gov.cn",
            "leader_name": "",
        }
    )
    assert isinstance(edit, UnitEdit)
    assert edit.addresses == ("a@cj.gov.cn", "b@cj.gov.cn")
    assert edit.people["liaison"]["email"] == "zs@cj.gov.cn" and edit.people["leader"] == {}
    state = flat(edit.short_name, list(edit.addresses), edit.people)
    assert state["liaison_mobile"] == "139 1234 5678" and state["leader_name"] == ""


def test_unit_form_reports_every_problem_in_chinese() -> None:
    errors = parse_unit_form(
        {
            "addresses": "not-an-address",
            "liaison_mobile": "13900000000",
            "leader_name": "王五",
            "leader_office_phone": "call me",
            "liaison_qq": "12",
        }
    )
    assert isinstance(errors, list) and len(errors) == 4
    assert any("邮箱地址格式不正确" in e for e in errors)
    assert any("没有填写联络员姓名" in e for e in errors)
    assert any("分管领导办公电话" in e and "不是电话号码" in e for e in errors)
    assert any("QQ" in e for e in errors)


def test_changed_and_labels() -> None:
    before = {"short_name": "a", "addresses": ["x@a.cn"], "liaison_mobile": "1"}
    after = {"short_name": "a", "addresses": ["x@a.cn", "y@a.cn"], "liaison_mobile": "2"}
    assert changed(before, after) == (
        {"addresses": ["x@a.cn"], "liaison_mobile": "1"},
        {"addresses": ["x@a.cn", "y@a.cn"], "liaison_mobile": "2"},
    )
    assert field_label("liaison_mobile") == "联络员手机号码" and field_label("addresses") == "邮箱"
