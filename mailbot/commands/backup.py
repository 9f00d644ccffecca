"""Data safety: a consistent copy of the register while the daemon runs.

- SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database page by page
  into a new file; it is consistent even while the daemon writes (WAL mode), and the copy is checked
  with ``PRAGMA integrity_check``.
- PostgreSQL: ``pg_dump --format=custom`` (run when it is installed, else the command is returned for
  the operator). The password goes through ``PGPASSWORD``, never on the command line or in the output.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from mailbot.errors import MailbotError
from mailbot.store.db import private_file

_SECRET_PARAM = re.compile(r"\b(sslpassword|password)=('(?:[^'\\]|\\.)*'|\S+)")


class BackupError(MailbotError):
    """The backup could not be made (the message says why and what to do)."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    done: bool  # False: nothing was written; ``command`` is what the operator should run
    command: str = ""
    detail: str = ""


def sqlite_path(url: str) -> Path:
    u = make_url(url)
    if not u.database or u.database == ":memory:":
        raise BackupError(
            f"{u.render_as_string(hide_password=True)}: an in-memory database cannot be backed up"
        )
    return Path(u.database)


def backup_sqlite(url: str, target: Path) -> BackupResult:
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"SQLite database {source} does not exist")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file (a backup never overwrites)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    private_file(partial)  # the copy holds the office's mail: owner only (0600)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=1024)  # in steps, so the daemon is never blocked for long
        check = dst.execute("PRAGMA integrity_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
        count = dst.execute("SELECT count(*) FROM submissions").fetchone()[0]
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {source} failed: {exc}") from exc
    finally:
        dst.close()
        src.close()
    partial.rename(target)
    return BackupResult(target, True, detail=f"{count} submission(s), integrity ok")


def pg_dump_command(url: str, target: Path) -> tuple[list[str], dict[str, str]]:
    u = make_url(url)
    cmd = [
        "pg_dump",
        "--format=custom",
        "--no-owner",
        f"--file={target}",
        f"--host={u.host or 'localhost'}",
        f"--port={u.port or 5432}",
    ]
    if u.username:
        cmd.append(f"--username={u.username}")
    # The URL's libpq parameters (sslmode, sslrootcert, sslcert, sslkey, connect_timeout …) go along
    # in a conninfo string: a backup must not connect with less TLS than the daemon does.
    params = {k: (v[-1] if isinstance(v, tuple) else v) for k, v in u.query.items()}
    if params:
        pairs = {"dbname": u.database or "mailbot", **params}
        cmd.append("--dbname=" + " ".join(f"{k}={_conninfo_value(str(v))}" for k, v in pairs.items()))
    else:
        cmd.append(u.database or "mailbot")
    env = {"PGPASSWORD": u.password} if u.password else {}
    return cmd, env


def _conninfo_value(value: str) -> str:
    """A libpq conninfo value, quoted when it needs to be."""
    if value and all(c.isalnum() or c in "._-/:@+" for c in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def backup_postgresql(url: str, target: Path, *, run: bool = True) -> BackupResult:
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file (a backup never overwrites)")
    cmd, env = pg_dump_command(url, target)
    shown = " ".join(_SECRET_PARAM.sub(r"\1=***", c) for c in cmd) + (
        "   # password: PGPASSWORD or ~/.pgpass" if env else ""
    )
    exe = shutil.which("pg_dump")
    if not run or exe is None:
        return BackupResult(
            target,
            False,
            command=shown,
            detail="pg_dump is not installed here (Debian: apt install postgresql-client)",
        )
    private_file(target)  # pg_dump keeps the mode of the file it writes into: owner only (0600)
    res = subprocess.run(
        [exe, *cmd[1:]], env={**os.environ, **env}, capture_output=True, text=True, timeout=3600
    )
    if res.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed ({res.returncode}): {res.stderr.strip()[-2000:]}")
    return BackupResult(
        target, True, command=shown, detail=f"{target.stat().st_size} bytes, pg_dump custom format"
    )


def backup(url: str, target: Path) -> BackupResult:
    dialect = make_url(url).get_backend_name()
    if dialect == "sqlite":
        return backup_sqlite(url, target)
    if dialect == "postgresql":
        return backup_postgresql(url, target)
    raise BackupError(f"no backup method for {dialect} databases; use the database's own dump tool")
