"""Ids handed out before the INSERT in the batch path (issue 17, mailbot.store.ids), on SQLite and on
PostgreSQL: a chunk's submissions, raw bytes and receipts go in at one flush (executemany); the ids
follow the database's own numbering; a taken id rolls the batch back and the messages are stored one by
one with the database's ids; SQLite's write lock is held before max(id) is read."""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select, text

from mailbot.app import App
from mailbot.config import build_config
from mailbot.intake import pipeline
from mailbot.model import FetchedMail, Outcome
from mailbot.store import ids, queries
from mailbot.store.models import Case, OutboxItem, RawMessage, Submission
from tests.registry_util import import_sample_units

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
CST = ZoneInfo("Asia/Shanghai")
UNITS = ["wlmqzjj", "klmyzjj"]


def _app(db_url: str) -> App:
    config = build_config(
        {
            "database": {"url": db_url},
            "imap": [{"name": "main", "url": "imap://x@127.0.0.1/INBOX?tls=none"}],
            "smtp": {"url": "smtp://127.0.0.1:1?tls=none"},
            "office": {"alert_recipients": [], "notify": []},
            "replies": {"rate_limit_count": 1_000_000},
        },
        env={},
    )
    app = App.create(config, clock=lambda: START + timedelta(days=1))
    import_sample_units(app)
    return app


def _mail(i: int, *, urgent: bool = False) -> FetchedMail:
    """A routine report of a registered unit (it gets a full receipt), or an urgent one (a case)."""
    sent = START + timedelta(minutes=7 * i)
    unit = UNITS[i % len(UNITS)]
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"{unit}@xjzj.gov.cn"
    msg["To"] = "jbgs@xjzj.gov.cn"
    msg["Date"] = format_datetime(sent)
    msg["Message-ID"] = f"<ids-{i}@test.xjzj.gov.cn>"
    if urgent:
        event = sent.astimezone(CST) - timedelta(minutes=40)
        msg["Subject"] = f"【紧急】{unit}关于辖区一起锅炉泄漏事故的报告（{i}）"
        text_ = (
            f"区局办公室：\n{event.month}月{event.day}日{event.hour}时{event.minute}分许，辖区一家供热公司"
            "锅炉房发生蒸汽泄漏，一名司炉工烫伤送医，现场已停炉处置，原因正在调查。\n"
        )
    else:
        msg["Subject"] = f"{unit}开展冬季特种设备安全专项检查工作情况（{i}）"
        text_ = f"区局办公室：\n11月1日我局组织开展冬季特种设备安全专项检查，共检查使用单位十二家（{i}）。\n"
    msg.set_content(text_, charset="utf-8")
    return FetchedMail("main", "INBOX", 1, i + 1, str(i + 1), msg.as_bytes(), sent + timedelta(seconds=30))


def _inserts(app: App) -> Counter[str]:
    """INSERT statements per table from now on (an executemany counts once)."""
    seen: Counter[str] = Counter()

    def count(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        words = statement.split()
        if words[:2] == ["INSERT", "INTO"]:
            seen[words[2]] += 1

    event.listen(app.db.engine, "before_cursor_execute", count)
    return seen


def _stored(app: App) -> list[tuple[int, str, bool, int]]:
    """(id, source_key, raw bytes stored, receipts) of every submission, by id."""
    with app.db.session() as s:
        subs = s.scalars(select(Submission).order_by(Submission.id)).all()
        receipts = Counter(
            s.scalars(select(OutboxItem.submission_id).where(OutboxItem.kind == "receipt")).all()
        )
        return [
            (
                sub.id,
                sub.source_key,
                queries.raw_bytes(s, sub.id) is not None,
                receipts[sub.id],
            )
            for sub in subs
        ]


def test_a_batch_inserts_its_chunk_at_one_flush_with_the_ids_it_handed_out(db_url: str) -> None:
    app = _app(db_url)
    try:
        first = pipeline.process_one(app, _mail(0))  # numbered by the database itself
        assert first.outcome == Outcome.STORED
        inserts = _inserts(app)
        results = pipeline.process_batch(app, [(_mail(i), False) for i in range(1, 21)])
        assert [r.outcome for r in results] == [Outcome.STORED] * 20
        got = [r.submission_id for r in results]
        assert got == sorted(got) and len(set(got)) == 20 and min(got) > (first.submission_id or 0)
        if app.db.dialect == "sqlite":  # max(id) + 1, + 2, …: what SQLite's own rowids would be
            assert got == list(range((first.submission_id or 0) + 1, (first.submission_id or 0) + 21))
        # one flush for the chunk: a few executemany, not one INSERT per row
        assert inserts["submissions"] <= 2, inserts
        assert inserts["raw_messages"] <= 2, inserts
        assert inserts["outbox"] <= 2, inserts
        stored = _stored(app)
        assert [k for _, k, _, _ in stored] == [str(i + 1) for i in range(21)]
        assert all(raw and receipts == 1 for _, _, raw, receipts in stored)
        with app.db.session() as s:  # each receipt names its own submission
            for sub_id, mid in s.execute(
                select(OutboxItem.submission_id, OutboxItem.message_id).where(OutboxItem.kind == "receipt")
            ):
                assert mid.startswith(f"receipt.{sub_id}.")
        # the database numbers on after the batch's ids (no clash for the next one-by-one message)
        after = pipeline.process_one(app, _mail(21))
        assert after.outcome == Outcome.STORED and (after.submission_id or 0) > max(got)
    finally:
        app.close()


def test_urgent_reports_open_their_cases_in_the_same_flush(db_url: str) -> None:
    app = _app(db_url)
    try:
        inserts = _inserts(app)
        mails = [(_mail(i, urgent=i % 3 == 0), False) for i in range(12)]
        results = pipeline.process_batch(app, mails)
        assert [r.outcome for r in results] == [Outcome.STORED] * 12
        assert [r.category for r in results[::3]] == ["urgent"] * 4
        assert inserts["cases"] <= 1 and inserts["submissions"] <= 4, inserts  # no flush per case
        with app.db.session() as s:
            cases = {c.id: c for c in s.scalars(select(Case))}
            assert len(cases) == 4
            subs = s.scalars(select(Submission).order_by(Submission.id)).all()
            for sub in subs:
                if sub.category == "urgent":
                    assert sub.case_id in cases and cases[sub.case_id].number == sub.tracking_no
                else:
                    assert sub.case_id is None
            receipts = s.execute(
                select(OutboxItem.submission_id, OutboxItem.case_id).where(OutboxItem.kind == "receipt")
            ).all()
            assert sorted(receipts) == sorted((sub.id, sub.case_id) for sub in subs)
    finally:
        app.close()


def test_a_taken_id_rolls_the_batch_back_and_stores_it_one_by_one(
    db_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    app = _app(db_url)
    try:
        first = pipeline.process_one(app, _mail(0))
        assert first.outcome == Outcome.STORED and first.submission_id is not None
        if app.db.dialect == "postgresql":
            # another writer took the sequence's next number with an explicit id
            with app.db.engine.begin() as conn:
                nxt = conn.execute(text("SELECT last_value + 1 FROM submissions_id_seq")).scalar_one()
                conn.execute(
                    text(
                        "INSERT INTO submissions (id, status, source, mailbox, source_key, sha256, size,"
                        ' fetched_at, "references", to_addrs, cc_addrs, attachments, defects, reasons,'
                        " flags, approximate, old_domain, from_addr, from_name, subject, body_text)"
                        " VALUES (:id, 'stored', 'other', 'INBOX', 'x', 'x', 1, now(), '[]', '[]', '[]',"
                        " '[]', '[]', '[]', '[]', false, false, '', '', '', '')"
                    ),
                    {"id": nxt},
                )
        else:
            # SQLite cannot meet a taken id while it holds the write lock; a stale counter stands in
            real = ids._take

            def stale(session: Any, state: Any, table: str) -> int:
                got = real(session, state, table)
                return (
                    first.submission_id if table == "submissions" and got == first.submission_id + 1 else got
                )  # type: ignore[return-value]

            monkeypatch.setattr(ids, "_take", stale)
        with caplog.at_level(logging.WARNING, logger="mailbot.intake.pipeline"):
            results = pipeline.process_batch(app, [(_mail(i), False) for i in range(1, 11)])
        assert "processing its messages one by one" in caplog.text
        assert [r.outcome for r in results] == [Outcome.STORED] * 10
        stored = [row for row in _stored(app) if row[1] != "x"]
        assert [k for _, k, _, _ in stored] == [str(i + 1) for i in range(11)]  # each once
        assert all(raw and receipts == 1 for _, _, raw, receipts in stored)
        with app.db.session() as s:
            assert s.scalar(select(func.count()).select_from(RawMessage)) == 11
    finally:
        app.close()


def test_sqlite_holds_the_write_lock_before_it_reads_max_id(tmp_path: Any) -> None:
    path = tmp_path / "mailbot.db"
    app = _app(f"sqlite:///{path}")
    try:
        with app.db.session() as s:
            assert ids.enable(s, 5)
            row = Submission(status="stored")
            ids.assign(s, row)
            assert row.id == 1
            other = sqlite3.connect(path, timeout=0.1)
            try:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("UPDATE units SET name = name")
            finally:
                other.close()
        with app.db.session() as s:  # the transaction ended: nothing is handed out any more
            assert not ids.enabled(s)
            assert not ids.assign(s, Submission(status="stored"))
    finally:
        app.close()
