"""``mailbot correct`` end to end: a real .eml through Dovecot and the pipeline, corrected by the CLI, the
register and the correction row checked in both databases, the corrected receipt delivered to the SMTP sink,
the export valid for the evaluation script. Also the calendar: a 2027 report without the year's schedule is
provisional in the register, the receipt and the digest, and the daemon tells the office once."""

from __future__ import annotations

import importlib.util
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.daemon.jobs import Daemon
from mailbot.intake.pipeline import process_one
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.model import FetchedMail
from mailbot.store.models import Case, Correction, OutboxItem, Submission
from tests import mailgen
from tests.registry_util import import_sample_units

CST = mailgen.CST
ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "mail" / "gbk_routine.eml"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _data(dovecot: Any, user: str, sink: Any, db_url: str, **sections: Any) -> dict[str, Any]:
    return {
        "database": {"url": db_url},
        "imap": [{"name": "main", "url": dovecot.url(user)}],
        "smtp": {"url": f"smtp://127.0.0.1:{sink.port}?tls=none"},
        "office": {"alert_recipients": ["zhiban@xjzj.gov.cn"], "notify": ["jbgs@xjzj.gov.cn"]},
        **sections,
    }


def _toml(data: dict[str, Any]) -> str:
    lines = [f'[database]\nurl = "{data["database"]["url"]}"', f'[smtp]\nurl = "{data["smtp"]["url"]}"']
    lines.append('[office]\nalert_recipients = ["zhiban@xjzj.gov.cn"]\nnotify = ["jbgs@xjzj.gov.cn"]')
    return "\n\n".join(lines) + "\n"


def _fetched(raw: bytes, arrived: datetime) -> FetchedMail:
    return FetchedMail("main", "INBOX", 1, 1, "1", raw, arrived)


def _kinds(sink: Any) -> list[str]:
    return [m.message()["X-Mailbot-Kind"] for m in sink.messages]


def _load_eval_rows(path: Path) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("mailbot_eval_script_c", ROOT / "scripts" / "evaluate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows: list[dict[str, Any]] = module.load_rows(path)
    return rows


def test_correct_a_stored_report_end_to_end(dovecot, imap_user, smtp_sink, db_url, tmp_path, capsys):  # type: ignore[no-untyped-def]
    arrived = datetime(2026, 11, 13, 10, 5, tzinfo=CST)
    data = _data(dovecot, imap_user, smtp_sink, db_url)
    app = App.create(build_config(data, env={}), clock=Clock(arrived))
    dovecot.append(imap_user, FIXTURE.read_bytes(), internaldate=arrived)
    poll_once(app)
    flush_outbox(app)
    with app.db.session() as s:
        sub = s.scalars(select(Submission)).one()
        assert sub.category == "routine" and sub.tracking_no == "JB-2026-000001"
        before_verdict, before_event = sub.verdict, sub.event_start
    assert "receipt" in _kinds(smtp_sink)
    smtp_sink.clear()

    config = tmp_path / "mailbot.toml"
    config.write_text(_toml(data), encoding="utf-8")
    code = main(
        [
            "--config",
            str(config),
            "correct",
            "JB-2026-000001",
            "--category",
            "urgent",
            "--event-time",
            "2026-11-13 08:00",
            "--by",
            "邹思媛",
            "--note",
            "电梯困人，非专项检查",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "urgent case JB-2026-000001 opened" in out and "corrected receipt queued" in out

    with app.db.session() as s:
        sub = s.scalars(select(Submission)).one()
        assert sub.category == "urgent" and "corrected" in sub.flags
        assert sub.event_start == datetime(2026, 11, 13, 8, 0, tzinfo=CST) != before_event
        assert sub.deadline == datetime(2026, 11, 13, 10, 0, tzinfo=CST)
        assert sub.verdict == "late" != before_verdict and sub.lateness_minutes == 5
        case = s.scalars(select(Case)).one()
        assert case.number == "JB-2026-000001" and case.status == "open" and sub.case_id == case.id
        corr = s.scalars(select(Correction)).one()
        assert (corr.corrected_by, corr.before_category, corr.after_category) == (
            "邹思媛",
            "routine",
            "urgent",
        )
        assert corr.before_event_start == before_event and corr.after_event_granularity == "minute"
        assert corr.note == "电梯困人，非专项检查" and corr.corrected_at is not None

    live = App.create(
        build_config(data, env={})
    )  # the CLI queued with the real clock: send as the daemon would
    report = flush_outbox(live)
    assert report.sent == 2 and sorted(_kinds(smtp_sink)) == ["alert", "receipt_corrected"]
    mail = next(m for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "receipt_corrected")
    assert mail.rcpt_tos == ("wlmqzjj@xjzj.gov.cn",)
    msg = mail.message()
    assert "JB-2026-000001" in str(msg["Subject"]) and msg["In-Reply-To"] == "<wlmq-20261113-001@xjzj.gov.cn>"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for body in (text, html):
        assert "【更正】" in body and "信息类别由“一般性信息”更正为“紧急信息”" in body
        assert "2026年11月13日 08:00" in body and "报送超时" in body and "5分钟" in body
        assert "【续报】JB-2026-000001" in body

    # back to routine, without a receipt: the case it opened is closed, no new reply
    smtp_sink.clear()
    assert main(["--config", str(config), "correct", "#1", "--category", "routine", "--no-receipt"]) == 0
    out = capsys.readouterr().out
    assert "closed" in out and "no corrected receipt (switched off)" in out
    with app.db.session() as s:
        case = s.scalars(select(Case)).one()
        assert case.status == "closed" and case.closed_by == "correction"
        assert len(s.scalars(select(Correction)).all()) == 2
        kinds = s.scalars(select(OutboxItem.kind)).all()
        assert kinds.count("receipt_corrected") == 1
        assert s.scalars(select(Submission)).one().verdict == "on_time"  # 3 days after 08:00 on the 13th
    assert flush_outbox(live).sent == 0

    assert main(["--config", str(config), "corrections", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and "routine → urgent" in listed[0] and "urgent → routine" in listed[1]

    export = tmp_path / "corrections.jsonl"
    assert main(["--config", str(config), "corrections", "export", str(export)]) == 0
    assert "exported 1" in capsys.readouterr().out
    assert export.stat().st_mode & 0o077 == 0, "created 0600"
    rows = [json.loads(line) for line in export.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert set(row) == {
        "id",
        "subject",
        "body",
        "sent_at",
        "category",
        "event_time",
        "granularity",
        "event_time_text",
        "source",
    }
    assert row["source"] == "correction:JB-2026-000001" and row["category"] == "routine"
    assert row["event_time"] == "2026-11-13T08:00:00+08:00" and row["granularity"] == "minute"
    assert row["event_time_text"] is None, "the office gave the time; no phrase of the mail"
    assert row["subject"] == "乌鲁木齐市质监局开展冬季电梯安全专项检查" and "电梯216台" in row["body"]
    assert datetime.fromisoformat(row["sent_at"]) == datetime(2026, 11, 13, 10, 2, 11, tzinfo=CST)
    loaded = _load_eval_rows(export)
    assert [r["id"] for r in loaded] == [row["id"]]
    live.close()
    app.close()


def test_unknown_number_and_bad_event_time_fail_with_what_to_do(db_url, tmp_path, capsys):  # type: ignore[no-untyped-def]
    config = tmp_path / "mailbot.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n', encoding="utf-8")
    assert main(["--config", str(config), "correct", "JB-2026-999999", "--category", "urgent"]) == 1
    assert "give a tracking number" in capsys.readouterr().err
    assert (
        main(["--config", str(config), "correct", "#1", "--category", "urgent", "--event-time", "昨天下午"])
        == 1
    )
    assert "YYYY-MM-DD" in capsys.readouterr().err


HOLIDAY_2027 = {
    "year": 2027,
    "days": [{"name": "春节", "date": f"2027-02-{d:02d}", "isOffDay": True} for d in range(5, 12)]
    + [{"name": "春节", "date": "2027-02-13", "isOffDay": False}],
}


def test_a_2027_report_without_the_schedule_is_provisional(dovecot, imap_user, smtp_sink, db_url):  # type: ignore[no-untyped-def]
    from mailbot.digest.data import totals
    from mailbot.digest.period import day_range

    sent = datetime(2027, 2, 4, 10, 0, tzinfo=CST)
    data = _data(dovecot, imap_user, smtp_sink, db_url, deadlines={"routine_mode": "working_days"})
    app = App.create(build_config(data, env={}), clock=Clock(sent))
    import_sample_units(app)  # the sender is a unit: its receipt is the full one
    # Dovecot clamps an INTERNALDATE in the future to now: a 2027 arrival goes through process_one
    process_one(app, _fetched(mailgen.report(1, sent=sent), sent + timedelta(minutes=1)))
    flush_outbox(app)
    with app.db.session() as s:
        sub = s.scalars(select(Submission)).one()
        assert "calendar_provisional" in sub.flags
        # event 3 Feb; Monday–Friday: 4, 5, 8 → end of 8 Feb
        assert sub.deadline == datetime(2027, 2, 9, tzinfo=CST)
        t = totals(s, day_range(date(2027, 2, 1), date(2027, 2, 7), app.config.timezone))
        assert t.reports == 1 and t.provisional == 1
    receipt = next(m for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "receipt")
    assert "暂按周一至周五计算" in receipt.message().get_body(("plain",)).get_content()
    app.close()


def test_with_the_2027_file_the_same_report_is_not_provisional(
    dovecot, imap_user, smtp_sink, db_url, tmp_path
):  # type: ignore[no-untyped-def]
    path = tmp_path / "2027.json"
    path.write_text(json.dumps(HOLIDAY_2027, ensure_ascii=False), encoding="utf-8")
    sent = datetime(2027, 2, 4, 10, 0, tzinfo=CST)
    data = _data(
        dovecot,
        imap_user,
        smtp_sink,
        db_url,
        deadlines={"routine_mode": "working_days"},
        calendar={"holiday_files": [str(path)]},
    )
    app = App.create(build_config(data, env={}), clock=Clock(sent))
    import_sample_units(app)  # the sender is a unit: its receipt is the full one
    # Dovecot clamps an INTERNALDATE in the future to now: a 2027 arrival goes through process_one
    process_one(app, _fetched(mailgen.report(1, sent=sent), sent + timedelta(minutes=1)))
    flush_outbox(app)
    with app.db.session() as s:
        sub = s.scalars(select(Submission)).one()
        assert "calendar_provisional" not in sub.flags
        # event 3 Feb; 4 (1); 5–11 off; 12 (2); make-up Sat 13 (3) → end of 13 Feb
        assert sub.deadline == datetime(2027, 2, 14, tzinfo=CST)
    receipt = next(m for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "receipt")
    assert "暂按周一至周五" not in receipt.message().get_body(("plain",)).get_content()
    app.close()


def test_daemon_tells_the_office_once_from_1_december(dovecot, imap_user, smtp_sink, db_url, tmp_path):  # type: ignore[no-untyped-def]
    data = _data(dovecot, imap_user, smtp_sink, db_url, deadlines={"routine_mode": "working_days"})
    clock = Clock(datetime(2026, 11, 30, 23, 0, tzinfo=CST))
    app = App.create(build_config(data, env={}), clock=clock)
    daemon = Daemon(app)
    assert daemon.check_calendar() is None, "not before 1 December"
    clock.now = datetime(2026, 12, 1, 9, 0, tzinfo=CST)
    assert daemon.check_calendar() == 2027
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=CST)
    assert daemon.check_calendar() == 2027
    assert flush_outbox(app).sent == 1
    notices = [m for m in smtp_sink.messages if m.message()["X-Mailbot-Kind"] == "notice_office"]
    assert len(notices) == 1 and notices[0].rcpt_tos == ("jbgs@xjzj.gov.cn",)
    body = notices[0].message().get_body(("plain",)).get_content()
    assert "2027年" in body and "holiday_files" in body
    assert "calendar_check" in {j.id for j in daemon.scheduler.get_jobs()}
    app.close()

    path = tmp_path / "2027.json"
    path.write_text(json.dumps(HOLIDAY_2027), encoding="utf-8")
    with_file = App.create(
        build_config({**data, "calendar": {"holiday_files": [str(path)]}}, env={}), clock=clock
    )
    assert Daemon(with_file).check_calendar() is None
    with_file.close()
