"""The adoption ledger by CLI and by spreadsheet (.xlsx and GB18030 .csv), row by row, on SQLite and
PostgreSQL: every change kept with who, when, before and after; removed adoptions leave the scores."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.notices.quarter import parse_quarter
from mailbot.notices.quarterly import build
from mailbot.store.models import Adoption, AdoptionChange
from tests.integration.digest_seed import sub, unit

CST_NOW = datetime.fromisoformat("2026-12-15T10:00:00+08:00")


def seeded(db_url: str) -> tuple[App, list[str]]:
    app = App.create(build_config({"database": {"url": db_url}}, env={}), clock=lambda: CST_NOW)
    with app.db.session() as s:
        u = unit(s, "伊犁州质监局")
        numbers = [
            sub(
                s,
                when=datetime.fromisoformat(f"2026-11-0{d}T10:00:00+08:00"),
                category="routine",
                verdict="on_time",
                unit=u,
            ).tracking_no
            or ""
            for d in (1, 2, 3)
        ]
        sub(s, when=CST_NOW, category="registration", sender="x@qq.com")
    return app, numbers


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_cli_records_lists_removes_and_keeps_history(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app, (n1, n2, _n3) = seeded(db_url)
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    code, out = run(
        capsys,
        "adopt",
        n1,
        "--as",
        "信息专报",
        "--issue",
        "2026 年第 12 期",
        "--date",
        "2026-11-05",
        "--by",
        "邹思媛",
    )
    assert code == 0 and out.startswith("added: #1 ") and "信息专报 2026年第12期 2026-11-05" in out
    code, out = run(
        capsys,
        "adopt",
        n1,
        "--as",
        "office",
        "--level",
        "special",
        "--issue",
        "2026年第12期",
        "--date",
        "2026-11-05",
    )
    assert code == 0 and out.startswith("unchanged: already recorded as #1")
    code, out = run(capsys, "adopt", n2, "--as", "adopted.central", "--date", "2026-11-20", "--by", "邹思媛")
    assert code == 0 and "中办、国办采用" in out
    code, out = run(capsys, "adopt", "JB-2026-999999", "--as", "中办")
    assert code == 1 and "no report JB-2026-999999" in out
    code, out = run(capsys, "adopt", n1, "--as", "adopted", "--level", "moon")
    assert code == 1
    code, out = run(capsys, "adoptions", "list", "--quarter", "2026Q4")
    assert code == 0 and out.count("\n") == 2 and n1 in out and n2 in out and "伊犁州质监局" in out

    code, out = run(capsys, "adoptions", "remove", "2", "--reason", "误录", "--by", "邹思媛")
    assert code == 0 and out.strip() == "removed: #2 removed"
    assert run(capsys, "adoptions", "remove", "2")[1].startswith("unchanged")
    assert run(capsys, "adoptions", "remove", "99")[0] == 1
    code, out = run(capsys, "adoptions", "list")
    assert n2 not in out and n1 in out
    assert "（已撤销）" in run(capsys, "adoptions", "list", "--all")[1]
    code, out = run(capsys, "adoptions", "history", "2")
    lines = out.splitlines()
    assert lines[0].endswith("added by cli:邹思媛") and lines[2].endswith("removed by cli:邹思媛: 误录")
    assert "'removed': False" in lines[3] and "'removed': True" in lines[4]
    with app.db.session() as s:
        changes = list(s.scalars(select(AdoptionChange).order_by(AdoptionChange.id)))
        assert [(c.adoption_id, c.action) for c in changes] == [(1, "added"), (2, "added"), (2, "removed")]
        assert changes[2].before is not None and changes[2].before["kind"] == "adopted"
        assert s.get(Adoption, 2) is not None, "removal keeps the row"
    # the scores see the live adoption only: 信息专报 8 points
    n = build(app, parse_quarter("2026Q4", app.config.timezone)).notice
    assert [(x.name, x.adopted_items, x.score.total) for x in n.units] == [("伊犁州质监局", 1, 8.0)]
    app.close()


def _xlsx(path: Path, rows: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def test_spreadsheet_import_reports_row_by_row(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app, (n1, n2, n3) = seeded(db_url)
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    path = _xlsx(
        tmp_path / "采用登记.xlsx",
        [
            ["登记编号", "采用类别", "级别", "刊载媒体", "期号", "采用日期", "备注", "经办人"],
            [n1, "信息专报", None, None, 12, datetime(2026, 11, 5), None, "邹"],
            [n1, "信息专报", None, None, "2026年第12期", "2026-11-05", "重复", "邹"],  # same as line 2
            [n2, "媒体刊载", "national", "人民网", None, "2026年11月8日", None, None],
            [None, None, None, None, None, None, None, None],  # blank: skipped
            [n3, "天气预报", None, None, None, "2026-11-09", None, None],
            ["JB-2026-999999", "中办", None, None, None, "2026-11-09", None, None],
            [n3, "中办", None, None, None, None, None, None],
            [n3.lower(), "adopted.region", None, None, None, "2026/11/30", None, None],
        ],
    )
    code, out = run(capsys, "adoptions", "import", str(path), "--by", "邹思媛")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith(f"line 2: added {n1}: #1 ") and "信息专报 第12期" in lines[0]
    assert lines[1] == f"line 3: added {n1}: #2 {n1} 信息专报 2026年第12期 2026-11-05", (
        "第12期 ≠ 2026年第12期"
    )
    assert lines[2].startswith(f"line 4: added {n2}: #3 ") and "人民网" in lines[2]
    assert lines[3].startswith(f"line 6: rejected {n3}: '天气预报' names no adoption kind")
    assert lines[4] == "line 7: rejected JB-2026-999999: no report JB-2026-999999 in the register"
    assert lines[5] == f"line 8: rejected {n3}: missing 采用日期"
    assert lines[6].startswith(f"line 9: added {n3}: ")
    assert lines[7] == "ignored column(s): 经办人" and lines[8] == "added 4, unchanged 0, rejected 3"
    # the same file again: nothing new, row by row
    code, out = run(capsys, "adoptions", "import", str(path))
    assert "added 0, unchanged 4, rejected 3" in out
    with app.db.session() as s:
        actors = set(s.scalars(select(AdoptionChange.actor)))
        assert actors == {"import:邹思媛:采用登记.xlsx"}
    # a GB18030 .csv as saved by a Chinese Excel
    csv = tmp_path / "adoptions.csv"
    csv.write_bytes(f"编号,采用方式,采用日期\n{n3},区局领导批示,2026-12-01\n".encode("gb18030"))
    code, out = run(capsys, "adoptions", "import", str(csv))
    assert code == 0 and "区局领导批示" in out and "added 1, unchanged 0, rejected 0" in out
    bad = _xlsx(tmp_path / "bad.xlsx", [["单位", "日期"], ["x", "2026-11-01"]])
    code = main(["adoptions", "import", str(bad)])
    assert code == 1 and "no 登记编号 / 采用类别 column" in capsys.readouterr().err
    app.close()
