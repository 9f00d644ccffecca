"""The drain in chunks (issue 17): each reply sent once over a real SMTP session, on SQLite and
PostgreSQL; two drains at once on PostgreSQL share the queue; a row claimed by another instance is
passed over until it lets go; a row the office held meanwhile is not sent; 8bit bodies go with
BODY=8BITMIME, and in base64 to a server that does not offer 8BITMIME."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from mailbot.app import App
from mailbot.config import build_config
from mailbot.model import OutboxStatus
from mailbot.replies.outbox import CHUNK, DrainReport, _PgClaims, _Run, drain
from mailbot.store import queries
from mailbot.store.models import OutboxItem
from tests.integration.daemon_util import queue_receipts
from tests.rig import free_port


def _app(db_url: str, port: int) -> App:
    config = build_config(
        {
            "database": {"url": db_url},
            "smtp": {"url": f"smtp://127.0.0.1:{port}?tls=none"},
            "office": {"notify": [], "alert_recipients": []},
        },
        env={},
    )
    return App.create(config, clock=lambda: datetime.now(UTC))


def _message_ids(sink: Any) -> list[str]:
    return [m.message()["Message-ID"].strip("<>") for m in sink.messages]


def test_chunks_send_each_reply_once_as_8bit(db_url: str, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    app = _app(db_url, smtp_sink.port)
    try:
        queued = queue_receipts(app, CHUNK * 2 + 7)
        report = drain(app)
        assert (report.sent, report.deferred, report.failed) == (len(queued), 0, 0)
        assert sorted(_message_ids(smtp_sink)) == sorted(queued)
        for mail in smtp_sink.messages:
            assert "BODY=8BITMIME" in mail.mail_options
            msg = email.message_from_bytes(mail.raw, policy=email.policy.default)
            assert msg["Content-Transfer-Encoding"] == "8bit"
            assert "登记编号：JB-2026-" in msg.get_content()  # type: ignore[attr-defined]
        with app.db.session() as s:
            rows = s.scalars(select(OutboxItem)).all()
            assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.SENT, 1)}
            assert all(r.sent_at is not None and r.last_error is None for r in rows)
        assert drain(app).sent == 0
        assert len(smtp_sink.messages) == len(queued)
    finally:
        app.close()


def test_two_drains_at_once_on_postgresql_send_each_reply_once(pg, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    url = pg.create_database()
    apps = [_app(url, smtp_sink.port), _app(url, smtp_sink.port)]
    try:
        queued = queue_receipts(apps[0], 300)
        reports: list[DrainReport] = []
        go = threading.Barrier(2)

        def run(app: App) -> None:
            go.wait()
            reports.append(drain(app))

        threads = [threading.Thread(target=run, args=(a,)) for a in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sum(r.sent for r in reports) == 300
        got = _message_ids(smtp_sink)
        assert len(got) == 300 and sorted(got) == sorted(queued), "each reply once, none lost"
    finally:
        for a in apps:
            a.close()


def test_rows_claimed_by_another_instance_wait_until_it_lets_go(pg, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    url = pg.create_database()
    holder, other = _app(url, smtp_sink.port), _app(url, smtp_sink.port)
    try:
        queue_receipts(holder, 30)
        claims = _PgClaims(holder)
        held, _ = claims.claim(holder.now(), 10, 0)
        assert len(held) == 10
        assert drain(other).sent == 20
        sent = set(_message_ids(smtp_sink))
        assert not sent & {i.message_id for i in held}, "another instance's rows are passed over"
        claims.close()  # the instance ends (or dies: its connection goes, and the locks with it)
        assert drain(other).sent == 10
        assert len(set(_message_ids(smtp_sink))) == 30
    finally:
        holder.close()
        other.close()


def test_a_row_the_office_held_meanwhile_is_not_sent(db_url: str, smtp_sink) -> None:  # type: ignore[no-untyped-def]
    app = _app(db_url, smtp_sink.port)
    try:
        queue_receipts(app, 2)
        with app.db.session() as s:
            first, second = queries.due_outbox(s, app.now(), 10, lock=False)
        with app.db.session() as s:  # e.g. `mailbot outbox` or the console, after the drain read the chunk
            s.execute(update(OutboxItem).where(OutboxItem.id == first.id).values(status=OutboxStatus.HELD))
        report = DrainReport()
        run = _Run(app, report)
        assert app.config.smtp is not None
        run.send(app.config.smtp, first)
        assert report.sent == 0 and smtp_sink.messages == []
        run.send(app.config.smtp, second)  # a new connection; the queue goes on
        assert run.client is not None
        run.client.quit()
        assert report.sent == 1 and _message_ids(smtp_sink) == [second.message_id]
        with app.db.session() as s:
            assert s.get(OutboxItem, first.id).status == OutboxStatus.HELD  # type: ignore[union-attr]
            assert s.get(OutboxItem, second.id).status == OutboxStatus.SENT  # type: ignore[union-attr]
    finally:
        app.close()


class _SevenBitServer:
    """An aiosmtpd handler whose EHLO offers no 8BITMIME."""

    def __init__(self) -> None:
        self.got: list[tuple[list[str], bytes]] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # type: ignore[no-untyped-def]
        session.host_name = hostname
        return [r for r in responses if "8BITMIME" not in r]

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.got.append((list(envelope.mail_options), envelope.original_content))
        return "250 OK queued"


@pytest.fixture
def seven_bit_server() -> Iterator[tuple[_SevenBitServer, int]]:
    handler = _SevenBitServer()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def test_a_server_without_8bitmime_gets_base64_bodies(tmp_path, seven_bit_server) -> None:  # type: ignore[no-untyped-def]
    handler, port = seven_bit_server
    app = _app(f"sqlite:///{tmp_path / 'm.db'}", port)
    try:
        queue_receipts(app, 3)
        with app.db.session() as s:
            stored = {r.message_id: r.raw for r in s.scalars(select(OutboxItem))}
        assert drain(app).sent == 3
        assert len(handler.got) == 3
        for options, raw in handler.got:
            assert "BODY=8BITMIME" not in options
            assert raw.isascii(), "nothing 8-bit on a 7-bit session"
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            assert msg["Content-Transfer-Encoding"] == "base64"
            original = email.message_from_bytes(
                stored[msg["Message-ID"].strip("<>")], policy=email.policy.default
            )
            assert msg.get_content() == original.get_content()  # type: ignore[attr-defined]
    finally:
        app.close()
