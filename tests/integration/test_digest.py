"""The digest against a seeded register on SQLite and PostgreSQL; sent once per period (time travel with an
injected clock, missed-while-down within and beyond the grace, a racing second daemon); the CLI; the
preview page rendered by headless Chromium."""

from __future__ import annotations

import base64
import email
import email.policy
import io
import logging
import re
import shutil
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.daemon.jobs import Daemon
from mailbot.digest import send as digest_send
from mailbot.digest.period import parse_week
from mailbot.digest.send import build, send_digest, send_due_digest
from mailbot.store.models import DigestRun, OutboxItem
from tests.integration.digest_seed import CST, NOW, seed


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def make_app(db_url: str, clock: Clock, **sections: Any) -> App:
    data = {
        "database": {"url": db_url},
        "digest": {"recipients": ["leader@xjzj.gov.cn", "jbgs@xjzj.gov.cn"]},
        **sections,
    }
    return App.create(build_config(data, env={}), clock=clock)


def seeded_app(db_url: str, when: datetime = NOW, **sections: Any) -> App:
    app = make_app(db_url, Clock(when), **sections)
    with app.db.session() as s:
        seed(s)
    return app


def digest_rows(app: App) -> list[tuple[str, str]]:
    with app.db.session() as s:
        return [
            (r.period_key, k)
            for r, k in s.execute(
                select(DigestRun, OutboxItem.kind).join(OutboxItem, OutboxItem.id == DigestRun.outbox_id)
            )
        ]


def outbox_digests(app: App) -> int:
    with app.db.session() as s:
        return int(s.scalar(select(func.count(OutboxItem.id)).where(OutboxItem.kind == "digest")) or 0)


def test_digest_figures_match_the_seeded_register(db_url: str) -> None:
    app = seeded_app(db_url)
    week = parse_week("2026-W47", CST)
    started = time.perf_counter()
    built = build(app, week)
    elapsed = time.perf_counter() - started
    d = built.digest
    t = d.totals
    assert (t.reports, t.urgent, t.on_time, t.late, t.unknown, t.old_domain) == (12, 2, 7, 4, 0, 1)
    assert t.untimed == 1, "the research piece that dates no research activity is not judged"
    assert t.on_time_rate == pytest.approx(7 / 11)
    p = d.previous
    assert (p.reports, p.urgent, p.on_time, p.late, p.unknown, p.old_domain) == (5, 0, 4, 1, 0, 0)
    assert dict(d.by_category) == {
        "urgent": 2,
        "followup": 1,
        "routine": 8,
        "research": 1,
        "registration": 1,
        "bounce": 1,
    }
    assert d.quarantined == 1
    units = {
        u.name: (u.reports, u.urgent, u.on_time, u.late, u.unknown, u.old_domain, u.unit_id is not None)
        for u in d.units
    }
    assert units == {
        "昌吉州质监局": (6, 1, 5, 1, 0, 1, True),
        "哈密市质监局": (4, 1, 0, 3, 0, 0, True),
        "x@163.com": (2, 0, 2, 0, 0, 0, False),
    }
    assert [u.name for u in d.units] == ["昌吉州质监局", "哈密市质监局", "x@163.com"], "most reports first"
    assert d.units[1].on_time_rate == 0.0 and d.units[0].on_time_rate == pytest.approx(5 / 6)
    assert [(c.number, c.status, c.followups) for c in d.cases_opened] == [
        ("JB-2026-A", "closed", 1),
        ("JB-2026-B", "open", 0),
    ]
    assert [
        (c.number, c.followups, c.reminders_sent, c.overdue_minutes, c.missed_followups) for c in d.cases_open
    ] == [("JB-2026-Z", 2, 3, (8 * 24 + 21 - 12) * 60, 17), ("JB-2026-B", 0, 0, (71 - 12) * 60, 5)]
    assert [(r.unit, r.lateness_minutes, r.category) for r in d.late] == [
        ("哈密市质监局", 4000, "routine"),
        ("昌吉州质监局", 120, "routine"),
        ("哈密市质监局", 45, "urgent"),
        ("哈密市质监局", 30, "routine"),
    ]
    assert d.silent_units == ["区局稽查总队"], "the inactive unit is not listed"
    assert [(s.address, s.name, s.count) for s in d.unregistered] == [
        ("x@163.com", "某县局", 2),
        ("y@qq.com", "", 1),
    ]
    assert d.unregistered_total == 2

    # the register attachment: exactly the period's 12 reports, in time order
    assert built.register is not None
    sheet = load_workbook(io.BytesIO(built.register), read_only=True)["登记簿"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "登记编号" and len(rows) == 2 + 12
    assert rows[2][1] == datetime(2026, 11, 16, 0, 0) and rows[-1][1] == datetime(2026, 11, 22, 23, 59, 59)
    assert sum(1 for r in rows[2:] if r[8] == "报送超时") == 4
    # lists are capped, their totals are not
    capped = make_app(db_url, Clock(NOW), digest={"recipients": ["a@xjzj.gov.cn"], "max_rows": 1})
    small = build(capped, week, register=False, chart=False).digest
    assert len(small.late) == 1 and small.totals.late == 4 and len(small.unregistered) == 1
    assert small.unregistered_total == 2
    print(
        f"\ndigest build ({app.db.dialect}, seeded register, chart and xlsx included): {elapsed * 1000:.0f} ms"
    )
    capped.close()
    app.close()


def test_missed_while_down_is_sent_once_on_start_within_the_grace(db_url: str) -> None:
    # the daemon was down at Monday 09:00 and starts at 11:30
    app = seeded_app(db_url, when=NOW + timedelta(hours=2, minutes=30))
    daemon = Daemon(app)
    daemon.schedule_catch_up()
    assert {j.id for j in daemon.scheduler.get_jobs()} >= {"digest", "digest:catch-up", "reminders", "outbox"}
    daemon._digest()  # what the catch-up job runs
    assert daemon.outbox_kick.is_set()
    assert digest_rows(app) == [("2026-W47", "digest")]
    # a second start (or the cron job at a later minute): nothing more
    again = Daemon(app)
    again.schedule_catch_up()
    again._digest()
    assert not again.outbox_kick.is_set()
    outcome = send_due_digest(app)
    assert outcome is not None and outcome.status == "already_sent" and outcome.period.key == "2026-W47"
    assert outbox_digests(app) == 1
    app.close()


def test_beyond_the_grace_it_is_not_sent_but_logged(db_url: str, caplog: pytest.LogCaptureFixture) -> None:
    app = seeded_app(db_url, when=NOW + timedelta(hours=48, minutes=1))
    with caplog.at_level(logging.WARNING, logger="mailbot.digest.send"):
        outcome = send_due_digest(app)
    assert outcome is not None and outcome.status == "missed"
    assert "2026-W47" in caplog.text and "mailbot digest --week 2026-W47 --send" in caplog.text
    assert digest_rows(app) == [] and outbox_digests(app) == 0
    app.close()


def test_scheduled_runs_week_after_week_by_time_travel(db_url: str) -> None:
    clock = Clock(NOW - timedelta(minutes=1))  # Monday 08:59: last week's digest is not due yet …
    app = make_app(db_url, clock, schedule={"digest_grace_hours": 24})
    with app.db.session() as s:
        seed(s)
    outcome = send_due_digest(app)
    assert outcome is not None and outcome.status == "missed" and outcome.period.key == "2026-W46"
    clock.now = NOW  # … 09:00: the cron fires
    outcome = send_due_digest(app)
    assert outcome is not None and outcome.status == "queued" and outcome.period.key == "2026-W47"
    clock.now = NOW + timedelta(days=3)  # mid-week: nothing new
    assert send_due_digest(app).status == "already_sent"  # type: ignore[union-attr]
    clock.now = NOW + timedelta(days=7, seconds=5)  # next Monday
    outcome = send_due_digest(app)
    assert outcome is not None and outcome.status == "queued" and outcome.period.key == "2026-W48"
    assert sorted(digest_rows(app)) == [("2026-W47", "digest"), ("2026-W48", "digest")]
    app.close()


def test_a_second_daemon_racing_for_the_same_period_sends_nothing(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = seeded_app(db_url)
    second = make_app(db_url, Clock(NOW))
    week = parse_week("2026-W47", CST)
    assert send_digest(first, week).status == "queued"
    # the second daemon checked before the first committed: its insert must fail, not send twice
    monkeypatch.setattr(digest_send, "recorded", lambda app, period: None)
    monkeypatch.setattr(digest_send, "enqueue", _enqueue_without_check)
    outcome = send_digest(second, week)
    assert outcome.status == "already_sent"
    assert outbox_digests(first) == 1 and len(digest_rows(first)) == 1
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


def test_jobs_lists_the_digest_with_its_schedule(db_url: str) -> None:
    app = make_app(db_url, Clock(NOW), schedule={"reminders_interval_seconds": 120})
    daemon = Daemon(app)
    daemon.scheduler.start(paused=True)
    try:
        jobs = {j.id: j for j in daemon.jobs()}
    finally:
        daemon.scheduler.shutdown(wait=False)
    assert jobs["digest"].trigger == "cron '0 9 * * mon' (Asia/Shanghai)"
    nxt = jobs["digest"].next_run
    assert nxt is not None
    local = nxt.astimezone(CST)
    assert (local.weekday(), local.hour, local.minute) == (0, 9, 0)
    assert jobs["reminders"].trigger == "interval[0:02:00]"
    app.close()
    # no recipients: no digest job
    quiet = App.create(build_config({"database": {"url": db_url}}, env={}), clock=Clock(NOW))
    assert "digest" not in {j.id for j in Daemon(quiet).scheduler.get_jobs()}
    quiet.close()


def _config_file(tmp_path: Path, sink_port: int) -> Path:
    path = tmp_path / "mailbot.toml"
    path.write_text(
        f'[smtp]\nurl = "smtp://127.0.0.1:{sink_port}?tls=none"\n'
        '[digest]\nrecipients = ["leader@xjzj.gov.cn"]\n',
        encoding="utf-8",
    )
    return path


def test_cli_send_delivers_the_digest_once(
    db_url: str,
    smtp_sink: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seeded_app(db_url).close()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    config = str(_config_file(tmp_path, smtp_sink.port))
    assert main(["--config", config, "digest", "--week", "2026-W47", "--send"]) == 0
    assert "digest 2026-W47 queued" in capsys.readouterr().out
    assert len(smtp_sink.messages) == 1
    received = smtp_sink.messages[0]
    assert received.rcpt_tos == ("leader@xjzj.gov.cn",)
    msg = email.message_from_bytes(received.message().as_bytes(), policy=email.policy.default)
    html_part = next(p for p in msg.walk() if p.get_content_type() == "text/html")
    png_part = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    html = html_part.get_content()
    assert f'src="cid:{png_part["Content-ID"].strip("<>")}"' in html
    assert Image.open(io.BytesIO(png_part.get_content())).format == "PNG"
    assert "&lt;b&gt;迟报&lt;/b&gt; &amp; 说明" in html, "mail content is escaped"
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain").get_content()
    assert "本期共收到报送信息 12 件" in text and "按时率 63.6%" in text
    assert "无法判断时间 0 件，调研信息不计时限 1 件" in text
    assert "和未写明调研时间的调研信息（1 件）不计入" in html
    # again: refused, nothing sent
    assert main(["--config", config, "digest", "--week", "2026-W47", "--send"]) == 1
    assert "already sent" in capsys.readouterr().out
    assert len(smtp_sink.messages) == 1
    # the text version of a range, without sending
    assert main(["--config", config, "digest", "--from", "2026-11-16", "--to", "2026-11-22"]) == 0
    assert "本期共收到报送信息 12 件" in capsys.readouterr().out
    assert main(["--config", config, "digest", "--from", "2026-11-16"]) == 1


PROBE = """<script>
window.addEventListener('load', function () {
  var img = document.getElementById('chart');
  document.body.setAttribute('data-chart-width', img ? String(img.naturalWidth) : 'none');
});
</script>"""


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "Debian chromium is installed by scripts/test"
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1200,1600",
    ]
    return subprocess.run([exe, *flags, *args], capture_output=True, text=True, timeout=180, check=False)


def test_preview_renders_in_headless_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db_url = f"sqlite:///{tmp_path / 'mailbot.db'}"
    seeded_app(db_url).close()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    preview = tmp_path / "out" / "digest.html"
    assert main(["digest", "--week", "2026-W47", "--preview", str(preview)]) == 0
    assert "with its chart" in capsys.readouterr().out
    html = preview.read_text(encoding="utf-8")
    # the embedded chart is a valid PNG
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html)
    assert data is not None
    chart = Image.open(io.BytesIO(base64.b64decode(data.group(1))))
    assert chart.format == "PNG" and chart.size[0] == 800 and chart.size[1] > 200

    shot = tmp_path / "shot.png"
    run = _chromium(f"--screenshot={shot}", preview.resolve().as_uri(), profile=tmp_path / "profile1")
    assert shot.exists(), run.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1200, 1600)
    colours = image.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 200, "the page is not blank"

    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    run = _chromium("--dump-dom", probe.resolve().as_uri(), profile=tmp_path / "profile2")
    dom = run.stdout
    assert 'id="units"' in dom and "昌吉州质监局" in dom and "哈密市质监局" in dom, run.stderr[-2000:]
    assert re.search(r'<img[^>]+id="chart"', dom)
    width = re.search(r'data-chart-width="(\d+|none)"', dom)
    assert width is not None and width.group(1) == "800", "the chart image loaded in the browser"
