"""Data safety: `mailbot backup` (SQLite online backup while writing; PostgreSQL pg_dump) and
`mailbot export-maildir` giving back every raw message byte for byte."""

from __future__ import annotations

import hashlib
import mailbox
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from mailbot.app import App
from mailbot.cli import main
from mailbot.commands.backup import backup_postgresql, pg_dump_command
from mailbot.config import build_config
from mailbot.intake.pipeline import process_one
from mailbot.model import FetchedMail
from tests import mailgen

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def _app(db_url: str) -> App:
    return App.create(
        build_config({"database": {"url": db_url}, "replies": {"rate_limit_count": 100000}}, env={})
    )


def _fetched(i: int, raw: bytes) -> FetchedMail:
    return FetchedMail(
        source="main",
        mailbox="INBOX",
        uidvalidity=1,
        uid=i,
        key=str(i),
        raw=raw,
        internaldate=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
    )


def test_export_maildir_round_trips_raw_bytes_exactly(db_url: str, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    raws = [p.read_bytes() for p in sorted(FIXTURES.glob("*.eml"))]
    raws += [mailgen.report(i, charset="gb18030" if i % 2 else "utf-8") for i in range(20)]
    raws.append(b"\x00\x01 not mail at all \r\n\xff\xfe")  # quarantined, still kept and exported
    raws.append(b"Subject: bare LF only\n\nbody\n")
    app = _app(db_url)
    try:
        for i, raw in enumerate(raws, start=1):
            process_one(app, _fetched(i, raw))
    finally:
        app.close()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", db_url)
    monkeypatch.delenv("MAILBOT_CONFIG", raising=False)
    out = tmp_path / "export"
    assert main(["export-maildir", str(out)]) == 0
    box = mailbox.Maildir(str(out), create=False)
    exported = sorted(hashlib.sha256(box.get_bytes(k)).hexdigest() for k in box.iterkeys())
    assert exported == sorted(hashlib.sha256(r).hexdigest() for r in raws)
    assert all(name.endswith(":2,S") for name in (p.name for p in (out / "cur").iterdir()))


def test_sqlite_backup_is_consistent_while_the_register_is_written(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'live.db'}"
    app = _app(url)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:  # the daemon's part: keeps committing submissions during the backup
        i = 0
        while not stop.is_set() and i < 400:
            i += 1
            process_one(app, _fetched(i, mailgen.report(i)))
            written.append(i)

    for i in range(1000, 1100):
        process_one(app, _fetched(i, mailgen.report(i)))
    t = threading.Thread(target=writer)
    t.start()
    monkeypatch.setenv("MAILBOT_DATABASE_URL", url)
    monkeypatch.delenv("MAILBOT_CONFIG", raising=False)
    try:
        target = tmp_path / "backup.db"
        assert main(["backup", str(target)]) == 0
        assert main(["backup", str(target)]) == 1, "a backup never overwrites"
    finally:
        stop.set()
        t.join()
        app.close()
    con = sqlite3.connect(target)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        subs = con.execute("SELECT count(*) FROM submissions").fetchone()[0]
        raw = con.execute("SELECT count(*) FROM raw_messages").fetchone()[0]
        outbox = con.execute(
            "SELECT count(DISTINCT submission_id) FROM outbox WHERE kind = 'receipt'"
        ).fetchone()[0]
    finally:
        con.close()
    assert subs >= 100 and subs == raw == outbox, (
        "a consistent snapshot: every submission with its bytes and receipt"
    )
    print(f"\nbackup while writing: {subs} submissions in the copy, {len(written)} written meanwhile")


def test_postgresql_backup_runs_pg_dump_or_prints_the_command(pg, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg.create_database()
    app = _app(url)
    try:
        process_one(app, _fetched(1, mailgen.report(1)))
    finally:
        app.close()
    cmd, env = pg_dump_command(url, tmp_path / "x.dump")
    assert pg.password not in " ".join(cmd) and env == {"PGPASSWORD": pg.password}
    printed = backup_postgresql(url, tmp_path / "y.dump", run=False)
    assert not printed.done and printed.command.startswith("pg_dump --format=custom")
    assert pg.password not in printed.command
    result = backup_postgresql(url, tmp_path / "z.dump")
    if result.done:  # pg_dump of the installed PostgreSQL is on PATH
        assert (tmp_path / "z.dump").read_bytes()[:5] == b"PGDMP"
