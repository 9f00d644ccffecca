"""units: table-driven import (Chinese headers, bad rows with reasons), re-import, history, round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.judge.olddomain import DEFAULT_POLICY
from mailbot.registry.contacts import export_rows, import_file, import_rows
from mailbot.registry.lookup import unit_for_address
from mailbot.registry.rows import parse_table, split_addresses, write_table
from mailbot.store.db import Database
from mailbot.store.models import UnitContact

T0 = datetime(2026, 4, 1, tzinfo=UTC)
HEAD = ["填报单位", "简称", "类别", "邮箱", "分管领导姓名", "联络员姓名", "性别", "手机号码", "办公电话"]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'u.db'}")


def test_split_addresses() -> None:
    assert split_addresses("A@x.cn; b@y.cn，c@z.cn、d@q.com e@f.cn;;") == [
        "a@x.cn",
        "b@y.cn",
        "c@z.cn",
        "d@q.com",
        "e@f.cn",
    ]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (["", "", "地州市局", "a@xjzj.gov.cn", "", "", "", "", ""], "missing unit name"),
        (
            ["哈密市质监局", "", "地州市局", "not-an-address", "", "", "", "", ""],
            "bad e-mail address not-an-address",
        ),
        (["哈密市质监局", "", "兵团", "hmzjj@xjzj.gov.cn", "", "", "", "", ""], "unknown kind '兵团'"),
        (["哈密市质监局", "", "", "hmzjj@xjzj.gov.cn", "", "", "", "", ""], "unknown kind: 类别 is empty"),
        (
            ["哈密市质监局", "", "地州市局", "wlmqzjj@xjnewqi.gov.cn", "", "", "", "", ""],
            "address already belongs to another unit: wlmqzjj@xjnewqi.gov.cn belongs to 乌鲁木齐市质监局",
        ),
        (["哈密市质监局", "", "地州市局", "", "", "", "女", "", ""], "liaison details given without a name"),
    ],
)
def test_rejected_rows_say_why(db: Database, row: list[str], reason: str) -> None:
    first = [
        "乌鲁木齐市质监局",
        "乌市局",
        "地州市局",
        "wlmqzjj@xjzj.gov.cn",
        "王建国",
        "刘晓燕",
        "女",
        "13899812306",
        "",
    ]
    with db.session() as s:
        reports = import_rows(s, parse_table(HEAD, [first, row]), T0, DEFAULT_POLICY)
    assert reports[0].action == "added"
    assert reports[1].action == "rejected" and reason in reports[1].detail, reports[1]
    assert reports[1].line == 3


def test_english_headers_and_kinds(db: Database) -> None:
    head = ["name", "short_name", "kind", "addresses", "liaison_name", "liaison_mobile"]
    rows = [
        ["Office", "bgs", "department", "BGS@xjzj.gov.cn", "Zou", "13899817458"],
        ["特检院", "", "直属单位", "tsjc@xjzj.gov.cn", "", ""],
    ]
    with db.session() as s:
        reports = import_rows(s, parse_table(head, rows), T0, DEFAULT_POLICY)
        assert [r.action for r in reports] == ["added", "added"]
        unit = unit_for_address(s, "bgs@XJZJ.gov.cn", DEFAULT_POLICY)
        assert unit is not None and unit.kind == "department"
        assert unit_for_address(s, "bgs@xjnewqi.gov.cn", DEFAULT_POLICY) is unit, "old-domain twin"


def test_reimport_changes_nothing_and_a_new_liaison_keeps_history(db: Database) -> None:
    row = [
        "昌吉州质监局",
        "",
        "地州市局",
        "cjzjj@xjzj.gov.cn; cj@163.com",
        "马建新",
        "李娜",
        "女",
        "13899651234",
        "",
    ]
    with db.session() as s:
        assert [r.action for r in import_rows(s, parse_table(HEAD, [row]), T0, DEFAULT_POLICY)] == ["added"]
    with db.session() as s:
        assert [
            r.action for r in import_rows(s, parse_table(HEAD, [row]), T0 + timedelta(days=1), DEFAULT_POLICY)
        ] == ["unchanged"]
    changed = [*row[:5], "张伟", "男", "13999990000", "0994-1234567"]
    with db.session() as s:
        (report,) = import_rows(s, parse_table(HEAD, [changed]), T0 + timedelta(days=2), DEFAULT_POLICY)
    assert report.action == "changed" and "liaison (name, gender, office_phone, mobile)" in report.detail
    with db.session() as s:
        liaisons = s.scalars(
            select(UnitContact).where(UnitContact.role == "liaison").order_by(UnitContact.id)
        ).all()
        assert [(c.name, c.valid_to) for c in liaisons] == [("李娜", T0 + timedelta(days=2)), ("张伟", None)]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_import_round_trip(db: Database, tmp_path: Path, suffix: str) -> None:
    sample = Path(__file__).resolve().parents[2] / "examples" / "units.csv"
    with db.session() as s:
        reports, unknown = import_file(s, sample, T0, DEFAULT_POLICY)
    assert unknown == [] and {r.action for r in reports} == {"added"} and len(reports) >= 20
    with db.session() as s:
        before = export_rows(s)
    out = tmp_path / f"registry{suffix}"
    write_table(out, before)
    with db.session() as s:
        again, _ = import_file(s, out, T0 + timedelta(days=1), DEFAULT_POLICY)
    assert {r.action for r in again} == {"unchanged"}
    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    with fresh.session() as s:
        import_file(s, out, T0, DEFAULT_POLICY)
    with fresh.session() as s:
        assert export_rows(s) == before
