"""The digest's pure parts: periods, fire times from an explicit now, rendering, the chart, configuration."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import io
import logging
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from mailbot.config import build_config
from mailbot.daemon.schedule import cron_trigger, last_fire, next_fire
from mailbot.digest import chart as chart_mod
from mailbot.digest.data import CaseRow, Digest, LateRow, SenderRow, Totals, UnitRow
from mailbot.digest.mail import change, digest_mail, percent, preview_html, rate_change
from mailbot.digest.period import day_range, month_of, parse_week, period_before
from mailbot.errors import ConfigError
from mailbot.replies.render import Renderer

CST = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def test_iso_weeks_and_the_period_before_a_moment() -> None:
    w = parse_week("2026-W47", CST)
    assert (w.first_day, w.last_day, w.key) == (date(2026, 11, 16), date(2026, 11, 22), "2026-W47")
    assert w.start == datetime(2026, 11, 16, tzinfo=CST) and w.end == datetime(2026, 11, 23, tzinfo=CST)
    assert w.label == "2026年第47周（11月16日—11月22日）"
    assert w.previous().key == "2026-W46"
    assert parse_week("2027-W01", CST).first_day == date(2027, 1, 4)
    assert parse_week("2026-W01", CST).previous().key == "2025-W52"
    # Monday 09:00 local covers last week; a UTC instant late on Sunday is already Monday in Ürümqi's office zone
    assert period_before(datetime(2026, 11, 23, 9, tzinfo=CST), "week", CST).key == "2026-W47"
    assert period_before(datetime(2026, 11, 22, 16, 30, tzinfo=UTC), "week", CST).key == "2026-W47"
    assert period_before(datetime(2026, 11, 22, 15, 30, tzinfo=UTC), "week", CST).key == "2026-W46"
    m = period_before(datetime(2026, 12, 1, 9, tzinfo=CST), "month", CST)
    assert (m.key, m.last_day, m.previous().key) == ("2026-11", date(2026, 11, 30), "2026-10")
    assert month_of(date(2028, 2, 10), CST).last_day == date(2028, 2, 29)
    r = day_range(date(2026, 11, 1), date(2026, 11, 15), CST)
    assert (r.key, r.days, r.previous().key) == ("2026-11-01..2026-11-15", 15, "2026-10-17..2026-10-31")
    for bad in ("2026-47", "2026-W54", "W47"):
        with pytest.raises(ValueError):
            parse_week(bad, CST)
    with pytest.raises(ValueError):
        day_range(date(2026, 11, 2), date(2026, 11, 1), CST)


def test_digest_cron_fires_monday_nine_in_the_configured_zone() -> None:
    trigger = cron_trigger("0 9 * * mon", CST)
    assert next_fire(trigger, datetime(2026, 11, 23, 8, 59, tzinfo=CST)) == datetime(
        2026, 11, 23, 9, tzinfo=CST
    )
    assert next_fire(trigger, datetime(2026, 11, 23, 9, 0, 1, tzinfo=CST)) == datetime(
        2026, 11, 30, 9, tzinfo=CST
    )
    assert next_fire(trigger, datetime(2026, 11, 23, 0, 30, tzinfo=UTC)) == datetime(
        2026, 11, 23, 1, 0, tzinfo=UTC
    )
    now = datetime(2026, 11, 25, 10, tzinfo=CST)
    assert last_fire(trigger, now, timedelta(days=40)) == datetime(2026, 11, 23, 9, tzinfo=CST)
    assert last_fire(trigger, now, timedelta(hours=48)) is None
    assert last_fire(trigger, datetime(2026, 11, 23, 9, tzinfo=CST), timedelta(hours=1)) == now - timedelta(
        days=2, hours=1
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"schedule": {"digest": "0 9 * *"}}, "schedule.digest"),
        ({"schedule": {"digest": "0 25 * * mon"}}, "schedule.digest"),
        ({"schedule": {"digest_grace_hours": -1}}, "schedule.digest_grace_hours"),
        ({"schedule": {"reminders_interval_seconds": 0}}, "schedule.reminders_interval_seconds"),
        ({"schedule": {"unknown": 1}}, "schedule.unknown"),
        ({"digest": {"recipients": ["not an address"]}}, "digest.recipients"),
        ({"digest": {"subject": "周报"}}, "digest.subject"),
        ({"digest": {"subject": "{period} {x}"}}, "digest.subject"),
        ({"digest": {"period": "day"}}, "digest.period"),
    ],
)
def test_schedule_and_digest_configuration_is_validated(table: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_config(table, env={})


def test_defaults() -> None:
    c = build_config({}, env={})
    assert c.digest.recipients == () and c.digest.period == "week" and c.digest.attach_register
    assert (c.schedule.digest, c.schedule.digest_grace_hours, c.schedule.reminders_interval_seconds) == (
        "0 9 * * mon",
        48.0,
        300.0,
    )


def test_changes_in_words() -> None:
    assert (change(5, 3), change(3, 5), change(4, 4)) == ("+2", "−2", "持平")
    assert percent(None) == "—" and percent(2 / 3) == "66.7%"
    assert rate_change(0.5, 0.75) == "−25.0个百分点" and rate_change(None, 0.5) == "—"


def _digest() -> Digest:
    w = parse_week("2026-W47", CST)
    units = [
        UnitRow(reports=3, urgent=1, on_time=2, late=1, unit_id=1, name="昌吉州<script>质监局"),
        UnitRow(reports=1, unknown=1, name="x@163.com"),
    ]
    now = datetime(2026, 11, 23, 9, tzinfo=CST)
    case = CaseRow(
        "JB-2026-000001",
        "昌吉州质监局",
        "电梯困人 <b>",
        "open",
        now - timedelta(days=3),
        now - timedelta(hours=20),
        1,
        0,
        480,
        1,
    )
    return Digest(
        period=w,
        generated_at=now,
        totals=Totals(4, 1, 2, 1, 1, 0),
        previous=Totals(2, 0, 2, 0, 0, 0),
        by_category=[("urgent", 1), ("routine", 3)],
        units=units,
        cases_opened=[case],
        cases_open=[case],
        late=[LateRow("JB-2026-000002", "昌吉州质监局", "迟报 & <i>", "routine", now, now, 90)],
        silent_units=["区局稽查总队"],
        unregistered=[SenderRow("x@163.com", "某县局", 1, now)],
        unregistered_total=1,
        followup_interval_hours=12,
        max_rows=50,
    )


def _renderer() -> Renderer:
    return Renderer(None, CST)


def test_preview_escapes_mail_content_and_embeds_the_chart() -> None:
    d = _digest()
    png = chart_mod.unit_chart(d.units, "各单位报送件数与按时率")
    assert png is not None
    html = preview_html(_renderer(), d, office=build_config({}, env={}).office, chart=png)
    assert "<script>" not in html and "昌吉州&lt;script&gt;质监局" in html
    assert "迟报 &amp; &lt;i&gt;" in html and "电梯困人 &lt;b&gt;" in html
    assert 'src="data:image/png;base64,' in html
    assert "<link" not in html and "<style" not in html, "inline CSS only"
    assert "66.7%" in html and "区局稽查总队" in html and "逾期 8小时" in html


def test_digest_mail_has_text_html_with_inline_chart_and_the_register() -> None:
    d = _digest()
    cfg = build_config({"digest": {"recipients": ["leader@xjzj.gov.cn"]}}, env={})
    png = chart_mod.unit_chart(d.units, "t")
    reply = digest_mail(
        _renderer(), d, office=cfg.office, settings=cfg.digest, chart=png, register=b"PK-xlsx"
    )
    msg = email.message_from_bytes(reply.raw, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/mixed"
    assert msg["Subject"] == "【政务信息报送周报】2026年第47周（11月16日—11月22日）"
    assert msg["To"] == "leader@xjzj.gov.cn" and msg["X-Mailbot-Kind"] == "digest"
    assert msg["Auto-Submitted"] == "auto-generated"
    types = [p.get_content_type() for p in msg.walk()]
    assert types == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    parts = list(msg.walk())
    html = parts[4].get_content()
    cid = parts[5]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert parts[5].get_content() == png
    assert parts[6].get_filename() == "register-2026-W47.xlsx" and parts[6].get_content() == b"PK-xlsx"
    assert "各单位报送情况" in parts[2].get_content()
    again = digest_mail(
        _renderer(), d, office=cfg.office, settings=cfg.digest, chart=png, register=b"PK-xlsx"
    )
    assert again.message_id == reply.message_id, "deterministic Message-ID per period"


def test_chart_without_a_cjk_font_numbers_its_units(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    chart_mod.cjk_font.cache_clear()
    monkeypatch.setattr(chart_mod, "CJK_FONTS", ("No Such CJK Font",))
    with caplog.at_level(logging.WARNING, logger="mailbot.digest.chart"):
        png = chart_mod.unit_chart(_digest().units, "各单位")
    chart_mod.cjk_font.cache_clear()
    assert png is not None and Image.open(io.BytesIO(png)).format == "PNG"
    assert "no CJK font" in caplog.text
    assert chart_mod.unit_chart([UnitRow(name="空")], "t") is None, "nothing to draw"


def test_chart_uses_an_installed_cjk_font() -> None:
    chart_mod.cjk_font.cache_clear()
    assert chart_mod.cjk_font() is not None, "scripts/test installs fonts-wqy-zenhei"


def test_the_html_headline_follows_the_period() -> None:
    office = build_config({}, env={}).office
    week = preview_html(_renderer(), _digest(), office=office, chart=None)
    assert "政务信息报送周报</div>" in week
    monthly = dataclasses.replace(_digest(), period=month_of(date(2026, 11, 10), CST))
    html = preview_html(_renderer(), monthly, office=office, chart=None)
    assert "政务信息报送月报</div>" in html and "周报" not in html
