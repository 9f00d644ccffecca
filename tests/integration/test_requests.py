"""约稿 end to end through Dovecot, the pipeline and the SMTP sink, by time travel, on SQLite and
PostgreSQL: the request mailed to three units; one answers by replying, one late by the tag, one not at
all; reminders before and after the deadline to those who had not answered, each once; the accounting
in the quarterly scores (answered +2, late −1, missed −2 by the example table)."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from mailbot.app import App
from mailbot.cli import main
from mailbot.config import build_config
from mailbot.intake.runner import flush_outbox, poll_once
from mailbot.notices.gather import gather
from mailbot.notices.quarter import quarter_of
from mailbot.notices.quotas import remind_quota
from mailbot.notices.requests import check_requests, new_request
from mailbot.store.models import RequestTarget, Unit, UnitAddress
from tests import mailgen
from tests.integration.digest_seed import sub, unit

CST = mailgen.CST
CJ, YL, KS = mailgen.UNITS[1], mailgen.UNITS[2], mailgen.UNITS[3]


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _kinds(sink: Any) -> list[tuple[str, str]]:
    out = []
    for m in sink.messages:
        msg = email.message_from_bytes(m.message().as_bytes(), policy=email.policy.default)
        out.append((str(msg["X-Mailbot-Kind"]), str(msg["To"])))
    return out


def test_request_answers_reminders_and_scores(
    dovecot: Any, imap_user: str, smtp_sink: Any, db_url: str, monkeypatch: Any, capsys: Any
) -> None:
    # near the real time, so that `mailbot request list` (the real clock) sees the deadline passed
    t0 = datetime.now(CST).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=5)
    clock = Clock(t0)
    data = {
        "database": {"url": db_url},
        "imap": [{"name": "main", "url": dovecot.url(imap_user)}],
        "smtp": {"url": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none"},
    }
    app = App.create(build_config(data, env={}), clock=clock)
    with app.db.session() as s:
        for addr, name in (CJ, YL, KS):
            u = Unit(
                name=name,
                kind="prefecture",
                active=True,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
                updated_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
            s.add(u)
            s.flush()
            s.add(UnitAddress(unit_id=u.id, address=addr))
    deadline = t0 + timedelta(days=2)
    number, lines = new_request(
        app,
        topic="冬季锅炉安全",
        deadline=deadline,
        units=None,
        keywords=["锅炉"],
        text="请报送辖区冬季锅炉安全检查情况。",
        actor="cli:test",
    )
    assert number == f"YG-{t0.year}-001" and len(lines) == 3
    flush_outbox(app)
    requests = {}
    for m in smtp_sink.messages:
        msg = email.message_from_bytes(m.message().as_bytes(), policy=email.policy.default)
        assert msg["Subject"] == f"【约稿】[{number}] 冬季锅炉安全"
        requests[str(msg["To"])] = str(msg["Message-ID"]).strip("<>")
    assert set(requests) == {CJ[0], YL[0], KS[0]}
    smtp_sink.clear()

    # 昌吉 answers by replying (no keyword); 喀什 sends something else (no keyword, no tag)
    clock.now = t0 + timedelta(hours=1)
    reply = mailgen.report(
        1,
        sender=CJ,
        subject="回复：约稿",
        body="我局冬季安全检查情况如下。",
        in_reply_to=requests[CJ[0]],
        sent=clock.now,
    )
    other = mailgen.report(
        2, sender=KS, subject="喀什地区开展计量器具检定", body="我局开展计量器具检定工作。", sent=clock.now
    )
    for raw in (reply, other):
        dovecot.append(imap_user, raw, internaldate=clock.now)
    poll_once(app)
    clock.now = deadline - timedelta(hours=23)  # within remind_before_hours (24)
    assert check_requests(app) == (1, 2), "昌吉 linked; 伊犁 and 喀什 reminded"
    assert check_requests(app) == (0, 0), "each reminder once"
    flush_outbox(app)
    reminders = [k for k in _kinds(smtp_sink) if k[0] == "request_reminder"]
    assert sorted(reminders) == sorted([("request_reminder", YL[0]), ("request_reminder", KS[0])])

    # after the deadline: 伊犁 answers by the tag (late); 喀什 only gets the after-deadline reminder
    clock.now = deadline + timedelta(hours=3)
    late = mailgen.report(
        3, sender=YL, subject=f"[{number}] 伊犁州冬季安全工作", body="见附件。", sent=clock.now
    )
    dovecot.append(imap_user, late, internaldate=clock.now)
    poll_once(app)
    smtp_sink.clear()
    assert check_requests(app) == (1, 1)
    flush_outbox(app)
    assert [k for k in _kinds(smtp_sink) if k[0] == "request_reminder"] == [("request_reminder", KS[0])]
    with app.db.session() as s:
        got = {
            name: (t.status, t.matched_by)
            for t, name in s.execute(
                select(RequestTarget, Unit.name).join(Unit, Unit.id == RequestTarget.unit_id)
            )
        }
    assert got == {CJ[1]: ("answered", "reply"), YL[1]: ("late", "tag"), KS[1]: ("pending", None)}

    # the quarter's scores: answered +2, late −1, missed −2 (the example table)
    clock.now = deadline + timedelta(days=1)
    with app.db.session() as s:
        n = gather(s, quarter_of(deadline.date(), CST), app.config.scores, now=clock.now)
    lines_by = {x.name: x for x in n.units}
    cj, yl, ks = lines_by[CJ[1]], lines_by[YL[1]], lines_by[KS[1]]
    assert (cj.requests_answered, cj.requests_late, cj.requests_missed, cj.score.total) == (1, 0, 0, 2.0)
    assert (yl.requests_answered, yl.requests_late, yl.requests_missed, yl.score.total) == (1, 1, 0, -1.0)
    assert (ks.requests_answered, ks.requests_missed, ks.score.total) == (0, 1, -2.0)
    assert "约稿未报送 1件 × -2分 = -2分" in ks.score.parts
    app.close()

    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    assert main(["request", "list"]) == 0
    out = capsys.readouterr().out
    assert (
        f"{CJ[1]}" in out and "已报送" in out and "逾期报送" in out and "未报送" in out and "(reply)" in out
    )


def test_quota_reminders_once_per_week(db_url: str, smtp_sink: Any) -> None:
    # Monday 7 December 2026: the last complete week is 30 Nov – 6 Dec (2026-W49); quota 2
    clock = Clock(datetime(2026, 12, 7, 10, 0, tzinfo=CST))
    data = {
        "database": {"url": db_url},
        "smtp": {"url": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none"},
        "requests": {"quota_per_week": 2},
    }
    app = App.create(build_config(data, env={}), clock=clock)
    with app.db.session() as s:
        two, one, none, silent = (unit(s, n) for n in ("两件单位", "一件单位", "零件单位", "无地址单位"))
        for u in (two, one, none):
            s.add(UnitAddress(unit_id=u.id, address=f"u{u.id}@xjzj.gov.cn"))
        for day in (1, 5):
            sub(
                s,
                when=datetime(2026, 12, day, 10, tzinfo=CST),
                category="routine",
                verdict="on_time",
                unit=two,
            )
        sub(s, when=datetime(2026, 12, 2, 10, tzinfo=CST), category="routine", verdict="on_time", unit=one)
        sub(
            s, when=datetime(2026, 12, 7, 9, tzinfo=CST), category="routine", verdict="on_time", unit=none
        )  # this week
        sub(s, when=datetime(2026, 12, 3, 10, tzinfo=CST), category="bounce", unit=none)  # not a report
        ids = {u.name: u.id for u in (two, one, none, silent)}
    assert remind_quota(app) == 2
    assert remind_quota(app) == 0, "once per unit and week"
    flush_outbox(app)
    to = sorted(k[1] for k in _kinds(smtp_sink) if k[0] == "quota_reminder")
    assert to == sorted([f"u{ids['一件单位']}@xjzj.gov.cn", f"u{ids['零件单位']}@xjzj.gov.cn"])
    body = email.message_from_bytes(smtp_sink.messages[0].message().as_bytes(), policy=email.policy.default)
    assert "每周报送不少于 2 件" in body.get_body(("plain",)).get_content()
    clock.now += timedelta(days=7)  # the next week: 两件单位 sent nothing in W50 either
    assert remind_quota(app) == 3
    off = App.create(build_config({"database": {"url": db_url}}, env={}), clock=clock)
    assert remind_quota(off) == 0, "quota 0: no reminders"
    off.close()
    app.close()
