"""The outbox against a real, strict MTA: the rig's private Postfix (STARTTLS, SASL through Dovecot,
reject_sender_login_mismatch, SMTPUTF8 on or off, a 5xx map, a rate limit), relaying to the aiosmtpd sink.

One bad reply never blocks the queue; a session failure (535, 553 sender not owned, 450 at MAIL FROM,
server unreachable) charges no reply, backs off and tells the office once.
"""

from __future__ import annotations

import email
import email.policy
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.commands import outbox as outbox_cmd
from mailbot.config import build_config
from mailbot.errors import SendError
from mailbot.intake.pipeline import process_one
from mailbot.model import FetchedMail
from mailbot.replies.outbox import check_login, drain
from mailbot.store.models import OutboxItem, SmtpHealth
from tests import mailgen
from tests.rig import free_port
from tests.rig.dovecot import Dovecot
from tests.rig.postfix import Postfix
from tests.rig.smtpsink import SmtpSink

OFFICE = "jbgs@xjzj.gov.cn"
OTHER_LOGIN = "zwxx@xjzj.gov.cn"  # a Dovecot account that may send only as itself
DUTY = "duty@example.gov.cn"  # office.notify: relayed to the sink
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "outbox"
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def smtp_url(mta: Postfix, user: str, password: str) -> str:
    return f"smtp://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{mta.port}"


def make_app(
    db_url: str, mta: Postfix, *, user: str = OFFICE, password: str | None = None, clock: Clock | None = None
) -> App:
    config = build_config(
        {
            "database": {"url": db_url},
            "smtp": {
                "url": smtp_url(mta, user, password if password is not None else mta.dovecot.password(user)),
                "ca_file": str(mta.ca_file),
            },
            "office": {"address": OFFICE, "notify": [DUTY], "alert_recipients": []},
            "replies": {"rate_limit_count": 1000},
            "outbox": {"backoff_base_seconds": 60, "max_attempts": 5},
        },
        env={},
    )
    return App.create(config, clock=clock) if clock else App.create(config)


def queue_reports(app: App, raws: list[bytes]) -> None:
    now = app.now()
    for i, raw in enumerate(raws, start=1):
        process_one(app, FetchedMail("main", "INBOX", 1, i, str(i), raw, now))


def report_from(n: int, addr: str) -> bytes:
    return mailgen.report(n, sender=(addr, "某县市场监督管理局"))


def rows(app: App) -> list[OutboxItem]:
    with app.db.session() as s:
        return list(s.scalars(select(OutboxItem).order_by(OutboxItem.id)))


def receipts_to(sink: SmtpSink) -> list[str]:
    return sorted(r for m in sink.messages for r in m.rcpt_tos if DUTY not in m.rcpt_tos)


def no_repr(text: str | None) -> None:
    assert text is not None and "b'" not in text and 'b"' not in text, text


# ------------------------------------------------------------------------------ non-ASCII recipients


def test_non_ascii_recipient_goes_over_smtputf8(
    tmp_path: Path, postfix: Postfix, smtp_sink: SmtpSink
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'u.db'}", postfix)
    try:
        utf8 = (FIXTURES / "report-utf8-sender.eml").read_bytes()
        queue_reports(app, [report_from(1, "a@qq.com"), utf8, report_from(3, "b@qq.com")])
        report = drain(app)
        assert (report.sent, report.failed) == (3, 0)
        assert postfix.wait_queue_empty()
        got = {r: m for m in smtp_sink.wait_for(3, timeout=15) for r in m.rcpt_tos}
        assert set(got) == {"a@qq.com", "张伟@qq.com", "b@qq.com"}
        mail = got["张伟@qq.com"]
        assert "SMTPUTF8" in mail.mail_options, "Postfix relayed it as SMTPUTF8 mail"
        header = mail.raw.split(b"\r\n\r\n", 1)[0].decode("utf-8")
        to_line = next(line for line in header.split("\r\n") if line.startswith("To:"))
        assert to_line == "To: 张伟@qq.com", "RFC 6532 UTF-8, never an encoded-word in an address"
        parsed = email.message_from_string(header + "\r\n\r\n", policy=email.policy.default)
        (addr,) = parsed["To"].addresses
        assert (addr.username, addr.domain) == ("张伟", "qq.com")  # (the stdlib knows RFC 5322 only)
    finally:
        app.close()


def test_non_ascii_recipient_without_smtputf8_fails_that_reply_only(
    tmp_path: Path, postfix_factory: object, smtp_sink: SmtpSink
) -> None:
    mta = postfix_factory(smtputf8=False)  # type: ignore[operator]
    app = make_app(f"sqlite:///{tmp_path / 'n.db'}", mta)
    try:
        utf8 = (FIXTURES / "report-utf8-sender.eml").read_bytes()
        queue_reports(app, [utf8, report_from(2, "a@qq.com"), report_from(3, "b@qq.com")])
        report = drain(app)
        assert (report.sent, report.failed) == (3, 1), "the bad row first blocks nothing (2 + the notice)"
        by_to = {r.to_addrs[0]: r for r in rows(app)}
        bad = by_to["张伟@qq.com"]
        assert bad.status == "failed" and bad.attempts == 1
        assert "SMTPUTF8" in (bad.last_error or "") and "张伟@qq.com" in (bad.last_error or "")
        no_repr(bad.last_error)
        assert by_to["a@qq.com"].status == by_to["b@qq.com"].status == "sent"
        assert mta.wait_queue_empty()
        smtp_sink.wait_for(3, timeout=15)
        assert receipts_to(smtp_sink) == ["a@qq.com", "b@qq.com"]
        notice = next(m for m in smtp_sink.messages if DUTY in m.rcpt_tos).message()
        text = notice.get_body(("plain",)).get_content()
        assert "SMTPUTF8" in text and f"mailbot outbox retry {bad.id}" in text and "b'" not in text
        assert "reprocess" not in text, "a reply is resent with outbox retry, not reprocess"
    finally:
        app.close()


# ------------------------------------------------------------------------------ session failures


def test_wrong_password_charges_nothing_and_tells_the_office_once(
    db_url: str, postfix: Postfix, smtp_sink: SmtpSink
) -> None:
    clock = Clock()
    app = make_app(db_url, postfix, password="not-the-password", clock=clock)
    try:
        queue_reports(app, [report_from(i, f"u{i}@qq.com") for i in range(3)])
        r1 = drain(app)
        assert (r1.sent, r1.failed, r1.deferred) == (0, 0, 0) and r1.server_down
        assert r1.session_error and "535" in r1.session_error and "not-the-password" not in r1.session_error
        no_repr(r1.session_error)
        assert drain(app).retry_at == r1.retry_at, "backing off: the next run does not even connect"
        clock.now += timedelta(minutes=5)
        drain(app, force=True)  # a second outage run: still one notice
        items = rows(app)
        receipts = [r for r in items if r.kind == "receipt"]
        notices = [r for r in items if r.kind == "notice_office"]
        assert all(r.status == "pending" and r.attempts == 0 for r in receipts), "no reply charged"
        assert len(notices) == 1 and notices[0].status == "pending", "the office is told once"
        with app.db.session() as s:
            health = s.get(SmtpHealth, "smtp")
            assert health is not None and health.failures == 2 and health.alerted
            assert health.next_try_at is not None and health.next_try_at > clock.now
            assert "535" in (health.last_error or "")
        listing = outbox_cmd.list_text(app)
        assert "SMTP session FAILING" in listing and "535" in listing
    finally:
        app.close()
    fixed = make_app(db_url, postfix, clock=clock)  # the office fixes the password
    try:
        report = drain(fixed, force=True)
        assert report.sent == 4 and report.failed == 0, "three receipts and the notice"
        with fixed.db.session() as s:
            health = s.get(SmtpHealth, "smtp")
            assert health is not None and health.failing_since is None and not health.alerted
        assert "FAILING" not in outbox_cmd.list_text(fixed)
        assert postfix.wait_queue_empty()
        smtp_sink.wait_for(4, timeout=15)
        notice = next(m for m in smtp_sink.messages if DUTY in m.rcpt_tos).message()
        assert "SMTP" in notice["Subject"] and "535" in notice.get_body(("plain",)).get_content()
    finally:
        fixed.close()


def test_sender_login_mismatch_553_is_a_session_failure(
    tmp_path: Path, postfix: Postfix, smtp_sink: SmtpSink
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'm.db'}", postfix, user=OTHER_LOGIN)
    try:
        queue_reports(app, [report_from(i, f"v{i}@qq.com") for i in range(3)])
        report = drain(app)
        assert report.server_down and report.sent == 0 and report.failed == 0
        assert "553" in (report.session_error or "") and "Sender address rejected" in (
            report.session_error or ""
        )
        assert all(r.status == "pending" and r.attempts == 0 for r in rows(app))
        no_repr(report.session_error)
        assert smtp_sink.messages == []
        with pytest.raises(SendError, match=r"may not send as jbgs@xjzj\.gov\.cn \(553"):
            check_login(postfix.settings(OTHER_LOGIN), OFFICE)
        ok = check_login(postfix.settings(OFFICE), OFFICE)
        assert ok.startswith("SMTP OK") and "may send as jbgs@xjzj.gov.cn" in ok
        with pytest.raises(SendError, match=r"refused the login.*535"):
            check_login(postfix.settings(OFFICE, password="wrong"), OFFICE)
    finally:
        app.close()
    assert smtp_sink.messages == [], "check-config sends nothing (no DATA)"


def test_rate_limit_450_at_mail_from_stops_the_run_without_charging(
    tmp_path: Path, postfix_factory: object, smtp_sink: SmtpSink
) -> None:
    mta = postfix_factory(rate_limit=2)  # type: ignore[operator]
    clock = Clock()
    app = make_app(f"sqlite:///{tmp_path / 'r.db'}", mta, clock=clock)
    try:
        queue_reports(app, [report_from(i, f"w{i}@qq.com") for i in range(5)])
        report = drain(app)
        assert report.sent == 2 and report.server_down and "450" in (report.session_error or "")
        items = rows(app)
        assert [r.status for r in items[:2]] == ["sent", "sent"]
        waiting = [r for r in items if r.kind == "receipt" and r.status == "pending"]
        assert len(waiting) == 3 and all(r.attempts == 0 for r in waiting), "no reply charged"
        assert report.retry_at is not None and report.retry_at >= clock.now + timedelta(seconds=50)
        again = drain(app)
        assert again.sent == 0 and again.retry_at == report.retry_at, "the run backs off, no hammering"
        assert len(mta.log_lines(r"Message delivery request rate limit exceeded")) == 1, "one 450, then stop"
        assert not [r for r in rows(app) if r.kind == "notice_office"], "a passing 4xx is no news yet"
        clock.now += timedelta(minutes=11)  # still limited (anvil counts a real minute): it lasts
        assert drain(app).server_down
        assert drain(app, force=True).server_down
        notices = [r for r in rows(app) if r.kind == "notice_office"]
        assert len(notices) == 1 and notices[0].status == "pending", "told once, when it lasted"
    finally:
        app.close()


def test_421_at_connect_ends_the_run_without_charging(
    tmp_path: Path, postfix_factory: object, smtp_sink: SmtpSink
) -> None:
    # the start-up probe is the one connection allowed this minute: mailbot's is greeted with 421
    mta = postfix_factory(connection_rate_limit=1)  # type: ignore[operator]
    clock = Clock()
    app = make_app(f"sqlite:///{tmp_path / 'c.db'}", mta, clock=clock)
    try:
        queue_reports(app, [report_from(i, f"c{i}@qq.com") for i in range(3)])
        report = drain(app)
        assert (report.sent, report.failed, report.deferred) == (0, 0, 0) and report.server_down
        assert "421" in (report.session_error or "") and "too many connections" in (
            report.session_error or ""
        )
        no_repr(report.session_error)
        receipts = [r for r in rows(app) if r.kind == "receipt"]
        assert len(receipts) == 3 and all(r.status == "pending" and r.attempts == 0 for r in receipts)
        assert drain(app).retry_at == report.retry_at, "backing off: the next run does not connect"
    finally:
        app.close()


def test_a_5xx_for_one_recipient_fails_that_reply_only(
    tmp_path: Path, postfix: Postfix, smtp_sink: SmtpSink
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'f.db'}", postfix)
    try:
        queue_reports(
            app, [report_from(1, "refused@qq.com"), report_from(2, "c@qq.com"), report_from(3, "d@qq.com")]
        )
        report = drain(app)
        assert (report.sent, report.failed) == (3, 1), "two receipts and the office notice"
        by_to = {r.to_addrs[0]: r for r in rows(app)}
        bad = by_to["refused@qq.com"]
        assert bad.status == "failed" and bad.attempts == 1
        assert "550 5.1.1" in (bad.last_error or "") and "refused@qq.com" in (bad.last_error or "")
        no_repr(bad.last_error)
        assert by_to["c@qq.com"].status == by_to["d@qq.com"].status == "sent"
        assert by_to[DUTY].status == "sent"
        with app.db.session() as s:
            assert s.get(SmtpHealth, "smtp") is None or s.get(SmtpHealth, "smtp").failing_since is None  # type: ignore[union-attr]
        assert postfix.wait_queue_empty()
        smtp_sink.wait_for(3, timeout=15)
        assert receipts_to(smtp_sink) == ["c@qq.com", "d@qq.com"]
    finally:
        app.close()


# ------------------------------------------------------------------------------ commands


def test_outbox_retry_and_release_commands(tmp_path: Path, postfix: Postfix, smtp_sink: SmtpSink) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    app = make_app(url, postfix)
    try:
        queue_reports(app, [report_from(1, "refused@qq.com"), report_from(2, "e@qq.com")])
        drain(app)
        with app.db.session() as s:
            e = next(r for r in s.scalars(select(OutboxItem)) if r.to_addrs == ["e@qq.com"])
            e.status, e.held_reason, e.sent_at = "held", "unregistered_sender", None
        failed = next(r for r in rows(app) if r.to_addrs == ["refused@qq.com"])
        assert "unregistered_sender" in outbox_cmd.list_text(app, "held")
        assert f"{failed.id:>6} failed" in outbox_cmd.list_text(app, "failed")
        text, refused = outbox_cmd.retry(app, e.id)
        assert refused and "not failed" in text
        text, refused = outbox_cmd.retry(app, None, all_failed=True)
        assert not refused and str(failed.id) in text
        again = next(r for r in rows(app) if r.id == failed.id)
        assert again.status == "pending" and again.attempts == 0
        text, refused = outbox_cmd.release(app, e.id, by="邹思媛")
        assert not refused
        released = next(r for r in rows(app) if r.id == e.id)
        assert released.status == "pending" and released.released_by == "邹思媛" and released.released_at
        before = len(smtp_sink.messages)
        report = drain(app)
        assert report.sent == 1 and report.failed == 1, "released one sent; the retried one fails again"
        assert postfix.wait_queue_empty()
        smtp_sink.wait_for(before + 1, timeout=15)
    finally:
        app.close()


def _write_config(path: Path, db_url: str, smtp: str, ca: Path, imap: str) -> Path:
    path.write_text(
        '[general]\nlog_level = "INFO"\n'
        f'[database]\nurl = "{db_url}"\n'
        f'[[imap]]\nname = "main"\nurl = "{imap}"\n'
        f'[smtp]\nurl = "{smtp}"\nca_file = "{ca}"\ntimeout = 5\n'
        f'[office]\naddress = "{OFFICE}"\nnotify = ["{DUTY}"]\nalert_recipients = []\n',
        encoding="utf-8",
    )
    return path


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "mailbot.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
    )


def test_cron_poll_exit_codes_and_logs(
    tmp_path: Path, dovecot: Dovecot, imap_user: str, postfix: Postfix, smtp_sink: SmtpSink
) -> None:
    dead_port = free_port()  # nothing listens there
    db = f"sqlite:///{tmp_path / 'cron.db'}"
    password = dovecot.password(OFFICE)
    down = _write_config(
        tmp_path / "down.toml", db, f"smtp://{quote(OFFICE)}:{password}@127.0.0.1:{dead_port}", postfix.ca_file,
        dovecot.url(imap_user),
    )  # fmt: skip
    dovecot.append(imap_user, report_from(1, "f@qq.com"))
    res = _cli(down, "poll", "--once")
    assert res.returncode == 1, res.stdout + res.stderr
    assert f"127.0.0.1:{dead_port} unreachable" in res.stderr, "cron mode logs an unreachable server"
    assert "no reply charged" in res.stderr

    up = _write_config(
        tmp_path / "up.toml", db, smtp_url(postfix, OFFICE, password), postfix.ca_file, dovecot.url(imap_user)
    )
    dovecot.append(imap_user, report_from(2, "refused@qq.com"))
    res = _cli(up, "poll", "--once")
    assert res.returncode == 1, "a reply failed: cron must hear of it"
    assert "failed 1" in res.stdout and "outbox list --status failed" in res.stderr
    res = _cli(up, "poll", "--once")
    assert res.returncode == 0, res.stdout + res.stderr  # the office notice went out; nothing failed

    res = _cli(up, "outbox", "list", "--status", "failed")
    assert res.returncode == 0 and "refused@qq.com" in res.stdout and "550 5.1.1" in res.stdout
    res = _cli(up, "outbox", "retry", "--all-failed")
    assert res.returncode == 0 and "retried 1 reply" in res.stdout, res.stdout + res.stderr
    res = _cli(up, "outbox", "release", "1")
    assert res.returncode == 1 and "not held" in res.stdout, "only a held reply can be released"
    res = _cli(up, "check-config")
    assert "may send as jbgs@xjzj.gov.cn" in res.stdout, res.stdout
    bad = _write_config(
        tmp_path / "bad.toml", db, smtp_url(postfix, OTHER_LOGIN, dovecot.password(OTHER_LOGIN)),
        postfix.ca_file, dovecot.url(imap_user),
    )  # fmt: skip
    res = _cli(bad, "check-config")
    assert res.returncode == 1 and "may not send as jbgs@xjzj.gov.cn (553" in res.stdout, res.stdout


# ------------------------------------------------------------------------------ our notices come back


def test_office_notice_to_the_watched_mailbox_comes_back_as_our_own(
    tmp_path: Path, dovecot: Dovecot, imap_user: str, postfix_factory: object, smtp_sink: SmtpSink
) -> None:
    """office.notify = the watched mailbox (the default): the notice arrives through Postfix into it, is
    stored as ``other`` (own_address), registers nothing, gets no reply, and stays unread for the office."""
    from mailbot.intake.runner import poll_once
    from mailbot.store.models import Registration, Submission

    mta = postfix_factory()  # type: ignore[operator]  # (started after imap_user exists: it has a mailbox)
    password = dovecot.password(imap_user)
    config = build_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'own.db'}"},
            "imap": [{"name": "main", "url": dovecot.url(imap_user)}],
            "smtp": {"url": smtp_url(mta, imap_user, password), "ca_file": str(mta.ca_file)},
            "office": {
                "address": imap_user,
                "own_addresses": [imap_user],
                "notify": [imap_user],
                "alert_recipients": [],
            },
            "replies": {"rate_limit_count": 1000},
        },
        env={},
    )
    app = App.create(config)
    try:
        dovecot.append(imap_user, report_from(1, "refused@qq.com"))
        poll_once(app)
        report = drain(app)
        assert (report.sent, report.failed) == (1, 1), "the receipt failed; the notice went out"
        assert mta.wait_queue_empty()
        assert len(dovecot.uids(imap_user)) == 2, "the notice was delivered into the watched mailbox"
        stats = poll_once(app)
        assert stats.fetched == 1
        with app.db.session() as s:
            subs = s.scalars(select(Submission).order_by(Submission.id)).all()
            notice = subs[-1]
            assert notice.category == "other" and "own_address" in notice.reasons
            assert notice.tracking_no is None, "never registered as a report"
            assert s.scalars(select(Registration)).all() == []
            kinds = [r.kind for r in s.scalars(select(OutboxItem))]
        assert kinds.count("notice_office") == 1 and kinds.count("receipt") == 1, "no reply to our own mail"
        flags = dovecot.fetch_flags(imap_user)
        uid = max(flags)
        assert "\\Seen" not in flags[uid] and "\\Flagged" not in flags[uid], "left unread for the office"
        assert "\\Seen" in flags[min(flags)], "the report itself is marked done as usual"
        assert poll_once(app).fetched == 0, "and not fetched again"
    finally:
        app.close()
