"""Spoofing and loops: two mailbots answering each other, a naive auto-responder, Authentication-Results."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake.pipeline import process_one
from mailbot.intake.runner import poll_once
from mailbot.model import FetchedMail
from mailbot.replies.outbox import drain
from mailbot.store.models import OutboxItem
from tests import mailgen


def _bot(tmp: Path, name: str, dovecot, user: str, sink, **extra) -> App:  # type: ignore[no-untyped-def]
    data = {
        "database": {"url": f"sqlite:///{tmp / (name + '.db')}"},
        "imap": [{"name": name, "url": dovecot.url(user), "idle": False}],
        "smtp": {"url": f"smtp://127.0.0.1:{sink.port}?tls=none"},
        "office": {"address": user, "own_addresses": [user], "notify": [], "alert_recipients": []},
        **extra,
    }
    return App.create(build_config(data, env={}))


def _route(sink, dovecot, seen: int, strip_auto: bool = False) -> int:  # type: ignore[no-untyped-def]
    """Deliver what the bots sent into the recipients' Dovecot accounts (the bots' MTA)."""
    mails = sink.messages
    for m in mails[seen:]:
        raw = m.raw
        if strip_auto:  # a naive responder's mail server: no RFC 3834 headers at all
            msg = email.message_from_bytes(raw, policy=email.policy.SMTP)
            del msg["Auto-Submitted"], msg["X-Auto-Response-Suppress"], msg["Precedence"]
            raw = msg.as_bytes()
        for rcpt in m.rcpt_tos:
            if rcpt in dovecot.users:
                dovecot.append(rcpt, raw)
    return len(mails)


def test_two_mailbots_answering_each_other_stop_at_once(tmp_path, dovecot, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    a_user, b_user = dovecot.add_user(), dovecot.add_user()
    a, b = _bot(tmp_path, "a", dovecot, a_user, smtp_sink), _bot(tmp_path, "b", dovecot, b_user, smtp_sink)
    try:
        # one genuine report from B's address to A starts it
        dovecot.append(a_user, mailgen.report(1, sender=(b_user, "昌吉州质监局"), to=a_user))
        seen = 0
        for _ in range(6):
            for bot in (a, b):
                poll_once(bot)
                drain(bot)
            seen = _route(smtp_sink, dovecot, seen)
        total = len(smtp_sink.messages)
    finally:
        a.close()
        b.close()
    print(f"\nLOOP two mailbots (RFC 3834): {total} message(s) in 6 rounds")
    assert total == 1, "A's receipt carries Auto-Submitted: auto-replied, so B never answers it"


def test_naive_auto_responder_is_stopped_by_the_rate_limit(tmp_path, dovecot, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    a_user, b_user = dovecot.add_user(), dovecot.add_user()
    a = _bot(
        tmp_path, "a", dovecot, a_user, smtp_sink, replies={"rate_limit_count": 3, "rate_limit_hours": 3}
    )
    try:
        for i in range(8):  # a unit's broken autoresponder re-sends report-like mail without RFC 3834 headers
            dovecot.append(a_user, mailgen.report(10 + i, sender=(b_user, "昌吉州质监局"), to=a_user))
            poll_once(a)
            drain(a)
        receipts = [m for m in smtp_sink.messages if b_user in m.rcpt_tos]
    finally:
        a.close()
    print(f"\nLOOP naive responder: 8 mails in, {len(receipts)} replies out (rate limit 3 per 3 h)")
    assert len(receipts) == 3


@pytest.mark.parametrize("hold", [True, False])
def test_receipts_for_senders_failing_authentication_results_are_held(tmp_path: Path, hold: bool) -> None:
    app = App.create(
        build_config(
            {
                "database": {"url": f"sqlite:///{tmp_path / 'h.db'}"},
                "office": {"alert_recipients": []},
                "replies": {"hold_on_auth_failure": hold},
            },
            env={},
        )
    )
    spoofed = mailgen.report(
        1, headers={"Authentication-Results": "mx.xjzj.gov.cn; spf=fail smtp.mailfrom=x; dmarc=fail"}
    )
    genuine = mailgen.report(
        2, headers={"Authentication-Results": "mx.xjzj.gov.cn; spf=pass; dkim=pass; dmarc=pass"}
    )
    try:
        for i, raw in enumerate((spoofed, genuine), start=1):
            process_one(
                app, FetchedMail("main", "INBOX", 1, i, str(i), raw, datetime(2026, 11, 20, 3, tzinfo=UTC))
            )
        with app.db.session() as s:
            status = {
                i.submission_id: i.status
                for i in s.scalars(select(OutboxItem).where(OutboxItem.kind == "receipt"))
            }
    finally:
        app.close()
    assert status == ({1: "held", 2: "pending"} if hold else {1: "pending", 2: "pending"})
