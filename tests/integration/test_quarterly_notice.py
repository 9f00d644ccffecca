"""The quarterly adoption notice and the annual awards from a seeded year (tests/integration/notice_seed.py)
on SQLite and PostgreSQL: the figures, the .docx read back with python-docx and the .xlsx with openpyxl,
sent once per quarter (time travel, restart, a racing second App on the same database), the CLI."""

from __future__ import annotations

import email
import email.policy
import io
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docx.shared import RGBColor
from openpyxl import load_workbook
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.daemon.jobs import Daemon
from mailbot.notices import send as notice_send
from mailbot.notices.awards import build_awards
from mailbot.notices.quarter import parse_quarter
from mailbot.notices.quarterly import build
from mailbot.notices.send import send_due_notice, send_notice
from mailbot.store.models import NoticeRun, OutboxItem
from tests.integration.notice_seed import CST, NOW, seed_year


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_app(db_url: str, clock: Clock, **sections: Any) -> App:
    data = {"database": {"url": db_url}, "notices": {"recipients": ["leader@xjzj.gov.cn"]}, **sections}
    return App.create(build_config(data, env={}), clock=clock)


def seeded_app(db_url: str, when: datetime = NOW, **sections: Any) -> App:
    app = make_app(db_url, Clock(when), **sections)
    with app.db.session() as s:
        seed_year(s)
    return app


def notices_queued(app: App) -> int:
    with app.db.session() as s:
        return int(s.scalar(select(func.count(OutboxItem.id)).where(OutboxItem.kind == "notice")) or 0)


def runs(app: App) -> list[str]:
    with app.db.session() as s:
        return sorted(s.scalars(select(NoticeRun.period_key)))


def test_notice_figures_match_the_seeded_year(db_url: str) -> None:
    app = seeded_app(db_url)
    n = build(app, parse_quarter("2026Q4", CST)).notice
    units = {
        x.name: (x.rank, x.liaison, x.submitted, x.adopted_items, x.on_time, x.late, x.unknown, x.score.total)
        for x in n.units
    }
    assert units == {  # a unit's liaison: the one in office at the end of the quarter
        "昌吉州质监局": (1, "李四", 4, 2, 3, 1, 0, 26.0),
        "哈密市质监局": (2, "王五", 3, 1, 1, 1, 1, 14.0),
        "区局稽查总队": (3, "", 0, 0, 0, 0, 0, 0.0),
    }
    assert [(x.name, x.rank, x.submitted, x.adopted_items, x.score.total) for x in n.units] == [
        ("昌吉州质监局", 1, 4, 2, 26.0),
        ("哈密市质监局", 2, 3, 1, 14.0),
        ("区局稽查总队", 3, 0, 0, 0.0),
    ]
    cj, hm = n.units[0], n.units[1]
    assert (cj.adoption_rate, cj.on_time_rate, cj.urgent, cj.urgent_on_time) == (0.5, 0.75, 1, 1)
    assert (hm.on_time, hm.late, hm.unknown, hm.urgent_late, hm.urgent_on_time_rate) == (1, 1, 1, 1, 0.0)
    assert cj.by_kind == {"office": 2, "upward": 0, "adopted": 1, "media": 0, "instruction": 0}
    assert [i.points for i in cj.items] == [20.0, 6.0], "two outlets: the top award"
    assert "紧急信息超时 1件 × -2分 = -2分" in hm.score.parts
    assert [(x.name, x.rank, x.score.total) for x in n.liaisons] == [
        ("张三（昌吉州质监局）", 1, 20.0),
        ("王五（哈密市质监局）", 2, 14.0),
        ("李四（昌吉州质监局）", 3, 6.0),
    ]
    t, p = n.total, n.previous_total
    assert (t.submitted, t.adopted_items, t.urgent, t.urgent_on_time, t.score.total) == (7, 3, 2, 1, 40.0)
    assert (p.submitted, p.adopted_items, p.score.total) == (3, 2, 16.0)
    assert {k: (v.rank, v.score.total) for k, v in n.previous_units.items()} == {
        "哈密市质监局": (1, 10.0),
        "昌吉州质监局": (2, 6.0),
        "区局稽查总队": (3, 0.0),
    }
    # another rule, same register: sum counts both adoptions of r1 (8 + 20) and the instruction
    summed = make_app(db_url, Clock(NOW), scores={"multiple": "sum"})
    s = build(summed, parse_quarter("2026Q4", CST)).notice
    assert [(x.name, x.score.total) for x in s.units][:2] == [("昌吉州质监局", 34.0), ("哈密市质监局", 14.0)]
    summed.close()
    app.close()


def _cell_texts(table: Any) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_docx_and_xlsx_read_back(db_url: str) -> None:
    app = seeded_app(db_url)
    built = build(app, parse_quarter("2026Q4", CST))
    doc = Document(io.BytesIO(built.docx))
    head = doc.paragraphs[0]
    assert head.text == "自治区质量技术监督局办公室"
    assert head.runs[0].font.color.rgb == RGBColor(0xC0, 0x00, 0x00) and head.runs[0].font.bold
    assert 'w:color="C00000"' in doc.paragraphs[1]._p.xml, "the red rule under the header"
    assert any(p.text == "2026年第四季度信息采用情况通报" for p in doc.paragraphs)
    assert any("全系统共报送信息7件（上季度3件），被采用3件" in p.text for p in doc.paragraphs)
    units, liaisons, comparison, items = doc.tables
    rows = _cell_texts(units)
    assert rows[0][:5] == ["名次", "单位", "联络员", "报送", "采用"] and rows[0][-2:] == ["得分", "较上季度"]
    assert rows[1][:5] == ["1", "昌吉州质监局", "李四", "4", "2"]
    assert rows[1][-2:] == ["26", "得分+20，名次上升1位"]
    assert rows[2][1] == "哈密市质监局" and rows[2][-2] == "14" and rows[2][-1] == "得分+4，名次下降1位"
    assert [r[1] for r in _cell_texts(liaisons)[1:]] == ["张三", "王五", "李四"]
    assert _cell_texts(comparison)[1] == ["报送信息", "7", "3", "+4"]
    explained = [r for r in _cell_texts(items) if r[2] == "昌吉州开展电梯安全检查"]
    assert (
        explained
        and explained[0][3] == "信息专报 2026年第12期 8分；中办、国办采用 20分（2家采用，按奖励上限 20分）"
    )

    wb = load_workbook(io.BytesIO(built.xlsx), read_only=True)
    assert wb.sheetnames == ["单位", "联络员", "对比", "采用明细"]
    sheet = list(wb["单位"].iter_rows(values_only=True))
    assert sheet[1][1] == "单位" and sheet[2][1] == "昌吉州质监局" and sheet[2][-2] == 26
    assert [r[1] for r in sheet[2:]] == ["昌吉州质监局", "哈密市质监局", "区局稽查总队"]
    app.close()


def test_sent_once_per_quarter_by_time_travel(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock(NOW - timedelta(minutes=1))  # 5 Jan 08:59: Q4's notice is not due; Q3's is long past
    app = make_app(db_url, clock, notices={"recipients": ["leader@xjzj.gov.cn"], "to_units": True})
    with app.db.session() as s:
        seed_year(s)
    with caplog.at_level(logging.WARNING, logger="mailbot.notices.send"):
        outcome = send_due_notice(app)
    assert outcome is not None and (outcome.status, outcome.span.key) == ("missed", "2026Q3")
    assert "mailbot notice --quarter 2026Q3 --send" in caplog.text
    clock.now = NOW  # 09:00: the cron fires
    outcome = send_due_notice(app)
    assert outcome is not None and (outcome.status, outcome.span.key) == ("queued", "2026Q4")
    assert outcome.mails == 1, "the units have no registered addresses: leadership only"
    clock.now = NOW + timedelta(days=30)
    assert send_due_notice(app).status == "already_sent"  # type: ignore[union-attr]
    # a restart within the grace: the catch-up job runs and sends nothing more
    daemon = Daemon(app)
    assert {"notice"} <= {j.id for j in daemon.scheduler.get_jobs()}
    daemon.schedule_catch_up()
    assert "notice:catch-up" in {j.id for j in daemon.scheduler.get_jobs()}
    daemon._notice()
    assert not daemon.outbox_kick.is_set()
    clock.now = datetime(2027, 4, 5, 9, 0, 5, tzinfo=CST)  # next quarter
    outcome = send_due_notice(app)
    assert outcome is not None and (outcome.status, outcome.span.key) == ("queued", "2027Q1")
    assert runs(app) == ["2027Q1", "2026Q4"][::-1] and notices_queued(app) == 2
    app.close()


def test_missed_while_down_is_sent_on_start_within_the_grace(db_url: str) -> None:
    app = seeded_app(db_url, when=NOW + timedelta(hours=30))
    daemon = Daemon(app)
    daemon.schedule_catch_up()
    daemon._notice()
    assert daemon.outbox_kick.is_set() and runs(app) == ["2026Q4"]
    late = make_app(db_url, Clock(NOW + timedelta(hours=73)))
    assert send_due_notice(late).status == "already_sent"  # type: ignore[union-attr]
    late.close()
    app.close()


def test_a_second_app_racing_for_the_same_quarter_sends_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = seeded_app(db_url)
    second = make_app(db_url, Clock(NOW))
    q4 = parse_quarter("2026Q4", CST)
    assert send_notice(first, q4).status == "queued"
    # the second checked before the first committed: its insert must fail, not send twice
    monkeypatch.setattr(notice_send, "recorded", lambda app, span: None)
    monkeypatch.setattr(notice_send, "enqueue", _enqueue_without_check)
    outcome = send_notice(second, q4)
    assert outcome.status == "already_sent" and outcome.detail == "recorded concurrently"
    assert notices_queued(first) == 1 and runs(first) == ["2026Q4"]
    first.close()
    second.close()


def _enqueue_without_check(app: App, session: Any, reply: Any, *, dedupe_key: str, **kw: Any) -> OutboxItem:
    now = app.now()
    item = OutboxItem(
        dedupe_key=f"{dedupe_key}:other",
        kind=reply.kind,
        recipient=reply.to[0],
        to_addrs=list(reply.to),
        cc_addrs=[],
        subject=reply.subject,
        message_id=f"other-{reply.message_id}",
        raw=reply.raw,
        status="pending",
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(item)
    return item


def test_cli_notice_send_preview_and_awards(
    db_url: str,
    smtp_sink: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seeded_app(db_url).close()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    config = tmp_path / "mailbot.toml"
    config.write_text(
        f'[smtp]\nurl = "smtp://127.0.0.1:{smtp_sink.port}?tls=none"\n'
        '[notices]\nrecipients = ["leader@xjzj.gov.cn"]\naward_min_adoptions = 2\n',
        encoding="utf-8",
    )
    c = str(config)
    preview = tmp_path / "notice.html"
    assert main(["--config", c, "notice", "--quarter", "2026Q4", "--preview", str(preview)]) == 0
    html = preview.read_text(encoding="utf-8")
    assert "2026年第四季度信息采用情况通报" in html and "昌吉州质监局" in html and "#c00000" in html
    assert main(["--config", c, "notice", "--quarter", "2026Q4", "--send"]) == 0
    assert "notice 2026Q4 queued (1 mail(s))" in capsys.readouterr().out
    assert len(smtp_sink.messages) == 1
    msg = email.message_from_bytes(smtp_sink.messages[0].message().as_bytes(), policy=email.policy.default)
    assert msg["Subject"] == "【信息采用情况通报】2026年第四季度"
    names = {p.get_filename(): p for p in msg.iter_attachments()}
    assert set(names) == {"notice-2026Q4.docx", "notice-2026Q4.xlsx"}
    attached = Document(io.BytesIO(names["notice-2026Q4.docx"].get_content()))
    assert _cell_texts(attached.tables[0])[1][1] == "昌吉州质监局"
    assert main(["--config", c, "notice", "--quarter", "2026Q4", "--send"]) == 1
    assert "already sent" in capsys.readouterr().out and len(smtp_sink.messages) == 1
    assert main(["--config", c, "notice", "--quarter", "2026-13"]) == 1

    out = tmp_path / "awards"
    assert main(["--config", c, "awards", "--year", "2026", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2026 先进集体（建议）: 昌吉州质监局" in text
    assert "2026 优秀信息联络员（建议）: 张三（昌吉州质监局）" in text
    doc = Document(str(out / "awards-2026.docx"))
    units = _cell_texts(doc.tables[0])
    assert [r[1] for r in units[1:]] == ["昌吉州质监局", "哈密市质监局", "区局稽查总队"]
    assert units[1][2] == "32" and units[1][8] == "建议" and units[1][9] == "符合条件"
    assert units[2][2] == "24" and units[2][8] == "" and units[2][9] == "紧急信息超时1件"
    assert "中办、国办采用 20分" in units[1][10], "each line says which items and points"
    sheet = load_workbook(out / "awards-2026.xlsx", read_only=True)["优秀信息联络员"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][1] == "张三（昌吉州质监局）" and rows[2][8] == "建议"


def test_awards_criteria_from_configuration(db_url: str) -> None:
    app = seeded_app(
        db_url
    )  # award_min_adoptions 3 (default): 昌吉 has 3 items, 哈密 2 and a late urgent one
    awards = build_awards(app, 2026)
    assert [(c.line.name, c.proposed, c.shortfalls) for c in awards.collectives] == [
        ("昌吉州质监局", True, ()),
        ("哈密市质监局", False, ("采用2件，少于3件", "紧急信息超时1件")),
        ("区局稽查总队", False, ("采用0件，少于3件",)),
    ]
    assert not any(c.proposed for c in awards.liaisons), "no liaison has three adopted items"
    lenient = make_app(db_url, Clock(NOW), notices={"award_min_adoptions": 0, "award_no_late_urgent": False})
    assert [c.line.name for c in build_awards(lenient, 2026).collectives if c.proposed] == [
        "昌吉州质监局",
        "哈密市质监局",
        "区局稽查总队",
    ]
    lenient.close()
    app.close()
