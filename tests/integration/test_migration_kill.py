"""A process killed while it creates or migrates the SQLite schema leaves all of it or none of it."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailbot.store.db import Database

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MIGRATE = "from mailbot.store.db import Database; Database({url!r})"


def test_sigkill_during_the_first_migration_never_leaves_half_a_schema(tmp_path: Path) -> None:
    rng = random.Random(11)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed_midway = 0
    for attempt in range(8):
        db = tmp_path / f"m{attempt}.db"
        url = f"sqlite:///{db}"
        proc = subprocess.Popen([sys.executable, "-c", MIGRATE.format(url=url)], env=env)
        deadline = time.monotonic() + 30
        while not db.exists() and time.monotonic() < deadline:  # the migration has begun
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        with sqlite3.connect(db) as conn:
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type='table'")}
        if tables:  # the migration had committed: all of it, at the newest revision
            with sqlite3.connect(db) as conn:
                assert conn.execute("select version_num from alembic_version").fetchall() == [
                    ("0011_user_email",)
                ]
        killed_midway += not tables
        Database(url).engine.dispose()  # the next start migrates fully, whatever the kill left
        with sqlite3.connect(db) as conn:
            version = conn.execute("select version_num from alembic_version").fetchall()
            count = conn.execute("select count(*) from sqlite_master where type='table'").fetchone()[0]
        assert version == [("0011_user_email",)] and count > 20
    assert killed_midway >= 1, "at least one kill landed before the migration committed"
