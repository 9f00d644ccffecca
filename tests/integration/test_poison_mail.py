"""No message can stop a mailbox: crafted poison, bomb and deep mails (tests/fixtures/hostile) through
Dovecot → the runner → the store, each followed by an urgent report that must be stored and receipted.

Before the fix, ``Date: Fri, 31 Dec 9999 23:59:59 -2359`` could be neither stored nor quarantined (the
UTC conversion overflowed, and the error was taken for a database outage): the daemon fetched it again
every second, stored nothing behind it and logged its body each time.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DataError

import mailbot.intake.prepare as prepare_mod
import mailbot.intake.quarantine as quarantine_mod
from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake.runner import poll_once
from mailbot.store import queries
from mailbot.store.db import Database
from mailbot.store.models import OutboxItem, RawMessage, Submission
from tests import mailgen
from tests.integration.daemon_util import start_daemon, stop_daemon, wait_for, write_config

HOSTILE = Path(__file__).resolve().parents[1] / "fixtures" / "hostile"
SECRET = "POISON-BODY-TEXT"  # in the body of every poison-* fixture
OFFICE = "office-duty@xjzj.gov.cn"
CRAFTED = [
    "poison-date-9999.eml",
    "poison-date-year-100.eml",
    "poison-date-1970.eml",
    "deep-rfc822-16k.eml",
    "deep-multipart-40k.eml",
    "bomb-docx-paragraphs.eml",
]


def test_poison_mail_first_does_not_stop_the_urgent_report_behind_it(  # type: ignore[no-untyped-def]
    tmp_path, dovecot, imap_user, smtp_sink, db_url
) -> None:
    for name in CRAFTED:
        dovecot.append(imap_user, (HOSTILE / name).read_bytes())
    urgent = mailgen.report(1, urgent=True, message_id="urgent-behind-poison@test.xjzj.gov.cn")
    dovecot.append(imap_user, urgent)
    config = write_config(tmp_path / "c.toml")
    config.write_text(
        config.read_text().replace("alert_recipients = []", f'alert_recipients = []\nnotify = ["{OFFICE}"]')
    )
    env = {
        "MAILBOT_DATABASE_URL": db_url,
        "MAILBOT_IMAP_URL": dovecot.url(imap_user),
        "MAILBOT_SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none",
    }
    log = tmp_path / "daemon.log"
    proc = start_daemon(config, env, log)
    db = Database(db_url, migrate_schema=False)

    def receipted() -> bool:
        return any(
            m.message()["X-Mailbot-Kind"] == "receipt"
            and "urgent-behind-poison" in str(m.message()["In-Reply-To"])
            for m in smtp_sink.messages
        )

    try:
        assert wait_for(receipted, 90), log.read_text()[-3000:]
        assert wait_for(
            lambda: not [u for u, f in dovecot.fetch_flags(imap_user).items() if "$MailbotDone" not in f], 30
        ), "every message flagged done on the server"
        assert proc.poll() is None, "the daemon still runs"
    finally:
        assert stop_daemon(proc) == 0
    with db.session() as s:
        subs = s.scalars(select(Submission).order_by(Submission.id)).all()
        by_mid = Counter(sub.message_id for sub in subs)
        poison = [sub for sub in subs if (sub.message_id or "").endswith("@poison.test")]
        raws = {sub.message_id: queries.unpack_raw(s.get(RawMessage, sub.id)) for sub in poison}  # type: ignore[arg-type]
        errors = [sub.error or "" for sub in subs]
        urgent_row = next(sub for sub in subs if sub.message_id == "urgent-behind-poison@test.xjzj.gov.cn")
        notices = s.scalars(select(OutboxItem).where(OutboxItem.kind == "notice_office")).all()
    db.dispose()
    assert len(subs) == len(CRAFTED) + 1 and max(by_mid.values()) == 1, "each stored exactly once"
    assert urgent_row.category == "urgent" and urgent_row.tracking_no
    dated = {sub.message_id: sub for sub in poison if sub.message_id and sub.message_id.startswith("date-")}
    assert len(dated) == 3
    for sub in dated.values():
        assert sub.date_header is None and "date_out_of_range" in sub.defects, "range-checked at parse time"
    for name in CRAFTED:
        raw = (HOSTILE / name).read_bytes()
        assert raw in raws.values(), f"{name} kept with its raw bytes"
    text = log.read_text()
    assert SECRET not in text and "现场人员名单" not in text, "no mail body in the log"
    assert all(SECRET not in e for e in errors)
    fetches = text.count("date-9999@poison.test")
    assert fetches <= 3, f"the poison mail is not retried in a loop ({fetches} log lines name it)"
    quarantined = [sub for sub in subs if sub.status == "quarantined"]
    assert len([n for n in notices if "quarantine" in n.dedupe_key]) == len(quarantined), (
        "office told once each"
    )


def _app(dovecot, imap_user, smtp_sink, tmp_path: Path) -> App:  # type: ignore[no-untyped-def]
    cfg = build_config(
        {
            "database": {"url": f"sqlite:///{tmp_path / 'q.db'}"},
            "imap": [{"name": "main", "url": dovecot.url(imap_user)}],
            "smtp": {"url": f"smtp://127.0.0.1:{smtp_sink.port}?tls=none"},
            "office": {"notify": [OFFICE], "alert_recipients": []},
            "replies": {"rate_limit_count": 10000},
        },
        env={},
    )
    return App.create(cfg)


def _fail_for_poison(monkeypatch: pytest.MonkeyPatch, *, quarantine_too: bool) -> None:
    """Make our own code fail for the poison message only (the servers stay real): judging raises an
    error that quotes the body, and — with ``quarantine_too`` — storing its raw bytes fails as well."""
    real_assess = getattr(prepare_mod, "assess")  # noqa: B009
    real_add_raw = getattr(quarantine_mod, "add_raw")  # noqa: B009

    def assess(parsed, **kw):  # type: ignore[no-untyped-def]
        if SECRET in parsed.text:
            raise ValueError(f"cannot judge: {parsed.text[:60]}")
        return real_assess(parsed, **kw)

    def add_raw(session, sub, raw):  # type: ignore[no-untyped-def]
        if quarantine_too and SECRET.encode() in raw:
            raise DataError("INSERT INTO raw_messages …", {"data": raw}, Exception("value too long"))
        return real_add_raw(session, sub, raw)

    monkeypatch.setattr(prepare_mod, "assess", assess)
    monkeypatch.setattr(quarantine_mod, "add_raw", add_raw)


@pytest.mark.parametrize("quarantine_too", [False, True], ids=["quarantined", "quarantine_fails_too"])
def test_a_message_that_fails_is_quarantined_or_marked_failed_once(  # type: ignore[no-untyped-def]
    tmp_path, dovecot, imap_user, smtp_sink, monkeypatch, caplog, quarantine_too: bool
) -> None:
    poison = (HOSTILE / "poison-date-9999.eml").read_bytes()
    dovecot.append(imap_user, poison)
    dovecot.append(imap_user, mailgen.report(2, urgent=True, message_id="urgent-2@test.xjzj.gov.cn"))
    _fail_for_poison(monkeypatch, quarantine_too=quarantine_too)
    app = _app(dovecot, imap_user, smtp_sink, tmp_path)
    try:
        with caplog.at_level(logging.DEBUG):
            first = poll_once(app)
            second = poll_once(app)  # nothing is fetched again
        with app.db.session() as s:
            subs = s.scalars(select(Submission)).all()
            notices = s.scalars(select(OutboxItem).where(OutboxItem.kind == "notice_office")).all()
            raw_rows = s.scalars(select(RawMessage)).all()
            stored_raws = [queries.unpack_raw(r) for r in raw_rows]
    finally:
        app.close()
    assert first.outcomes.get("quarantined") == 1 and first.outcomes.get("stored") == 1 and not first.errors
    assert second.fetched == 0 and not second.outcomes, "not retried"
    urgent = [sub for sub in subs if sub.message_id == "urgent-2@test.xjzj.gov.cn"]
    assert len(urgent) == 1 and urgent[0].category == "urgent", "the report behind it is stored"
    assert [n.dedupe_key for n in notices if "quarantine" in n.dedupe_key].__len__() == 1, "office told once"
    assert dovecot.uids(imap_user, "mailbot/failed") and len(dovecot.uids(imap_user)) == 1, (
        "the poison mail moved to the failed folder on the server"
    )
    quarantined = [sub for sub in subs if sub.status == "quarantined"]
    if quarantine_too:
        assert not quarantined and poison not in stored_raws
        assert "quarantine_failed:" in next(n.dedupe_key for n in notices if "quarantine" in n.dedupe_key)
    else:
        assert len(quarantined) == 1 and poison in stored_raws, "kept with its raw bytes"
        assert (quarantined[0].error or "").startswith("ValueError: ")
        assert SECRET not in (quarantined[0].error or "")
    assert SECRET not in caplog.text and "现场人员名单" not in caplog.text, "no body in any log line"
    assert "date-9999@poison.test" in caplog.text, "the log names the message"


def test_imap_batches_are_bounded_in_bytes(dovecot, imap_user) -> None:  # type: ignore[no-untyped-def]
    from mailbot.sources.imap import ImapSource

    body = "检查情况。" * 20_000  # ~300 KB each once encoded
    for i in range(5):
        dovecot.append(imap_user, mailgen.report(10 + i, body=body))
    with ImapSource(dovecot.settings(imap_user, batch_size=100)) as source:
        keys = source.pending_keys()
        sizes = source.sizes(keys)
        assert len(sizes) == 5 and all(v > 200_000 for v in sizes.values())
        batches = list(source.batches(keys, max_bytes=2 * max(sizes.values()) + 1))
        assert [len(b) for b in batches] == [2, 2, 1] and [k for b in batches for k in b] == keys
        fetched = [m for b in batches for m in source.fetch(b)]
    assert len(fetched) == 5
