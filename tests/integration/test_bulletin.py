"""An issue of the bulletin from chosen reports: the .docx read back with python-docx, the adoption of
every item recorded once, an unknown number refused with nothing written (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from docx.shared import RGBColor
from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.store.models import Adoption, Submission
from tests.integration.digest_seed import sub, unit

WHEN = datetime.fromisoformat("2026-12-10T10:00:00+08:00")


def test_bulletin_issue_is_written_and_recorded(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    app = App.create(build_config({"database": {"url": db_url}}, env={}), clock=lambda: WHEN)
    with app.db.session() as s:
        cj = unit(s, "昌吉州质监局")
        hm = unit(s, "哈密市质监局")
        a = sub(
            s, when=WHEN, category="routine", verdict="on_time", unit=cj, subject="昌吉州开展电梯安全大检查"
        )
        a.body_text = "11月以来，昌吉州局组织开展电梯安全大检查。\n\n共检查电梯 320 台，发现隐患 12 处。"
        b = sub(
            s, when=WHEN, category="routine", verdict="on_time", unit=hm, subject="哈密市局加强冬季锅炉监管"
        )
        b.body_text = "哈密市局部署冬季锅炉安全监管工作。"
        numbers = (a.tracking_no or "", b.tracking_no or "")
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    out = tmp_path / "issue13.docx"
    argv = ["bulletin", numbers[0], f"基层信息:{numbers[1]}", "--issue", "2026年第13期", "--out", str(out)]
    assert main([*argv, "--date", "2026-12-11", "--by", "邹思媛"]) == 0
    text = capsys.readouterr().out
    assert f"{numbers[0]}: adoption added" in text and "(2 item(s))" in text
    doc = Document(str(out))
    paragraphs = [p.text for p in doc.paragraphs]
    assert paragraphs[:2] == ["质监信息", "2026年第13期"]
    assert doc.paragraphs[0].runs[0].font.color.rgb == RGBColor(0xC0, 0x00, 0x00)
    assert paragraphs[2] == "自治区质量技术监督局办公室    2026年12月11日"
    assert paragraphs[3:] == [
        "【工作动态】",
        "昌吉州开展电梯安全大检查",
        "11月以来，昌吉州局组织开展电梯安全大检查。",
        "共检查电梯 320 台，发现隐患 12 处。",
        "（昌吉州质监局供稿）",
        "【基层信息】",
        "哈密市局加强冬季锅炉监管",
        "哈密市局部署冬季锅炉安全监管工作。",
        "（哈密市质监局供稿）",
    ]
    with app.db.session() as s:
        rows = s.execute(
            select(Submission.tracking_no, Adoption.kind, Adoption.level, Adoption.issue, Adoption.source)
            .join(Submission, Submission.id == Adoption.submission_id)
            .order_by(Adoption.id)
        ).all()
        assert [tuple(r) for r in rows] == [
            (numbers[0], "office", "bulletin", "2026年第13期", "bulletin"),
            (numbers[1], "office", "bulletin", "2026年第13期", "bulletin"),
        ]
        assert {a.adopted_on.isoformat() for a in s.scalars(select(Adoption))} == {"2026-12-11"}
        assert {a.created_by for a in s.scalars(select(Adoption))} == {"bulletin:邹思媛"}
    # the same issue again: the file is rewritten, the adoptions are not recorded twice
    assert main(argv) == 0 and "adoption unchanged" in capsys.readouterr().out
    # an unknown number: refused, nothing written or recorded
    other = tmp_path / "bad.docx"
    assert main(["bulletin", numbers[0], "JB-2026-999999", "--issue", "第14期", "--out", str(other)]) == 1
    assert "no report JB-2026-999999" in capsys.readouterr().err and not other.exists()
    with app.db.session() as s:
        assert len(s.scalars(select(Adoption)).all()) == 2
    app.close()
