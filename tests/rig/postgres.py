"""A throwaway PostgreSQL cluster on 127.0.0.1 (initdb + pg_ctl as the ``postgres`` user).

Usage::

    with Postgres() as pg:                      # or the session ``pg`` fixture
        pg.url                                  # postgresql+psycopg://mailbot:…@127.0.0.1:PORT/mailbot
        url = pg.create_database("case_17")     # an empty database of its own, same user
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from tests.rig import RigError, free_port, register_cleanup

PG_USER = "postgres"  # the OS user that owns and runs the cluster


def find_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin`` that has initdb and pg_ctl."""
    candidates = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not candidates:
        raise RigError("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin "
                       "(install the Debian package postgresql; scripts/test does)")  # fmt: skip
    return candidates[-1]


class Postgres:
    def __init__(
        self, *, user: str = "mailbot", password: str | None = None, database: str = "mailbot"
    ) -> None:
        self.bindir = find_bindir()
        self.user = user
        self.password = password or f"pg-{uuid.uuid4().hex[:16]}"
        self.database = database
        self.host = "127.0.0.1"
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="mailbot-pg-", dir="/tmp"))
        self.root.chmod(0o755)
        self.datadir = self.root / "data"
        self.sockdir = self.root / "sock"
        self.logfile = self.root / "postgres.log"
        self._started = False
        self._initialised = False
        self._lock = threading.Lock()
        self._admin: Any = None  # psycopg connection as the superuser, opened on first use
        self._unregister = register_cleanup(self, self.close)

    # ------------------------------------------------------------------ lifecycle

    @property
    def url(self) -> str:
        return self.url_for(self.database)

    def url_for(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    @property
    def dsn(self) -> str:
        """A libpq connection string (for psycopg directly)."""
        return f"host={self.host} port={self.port} user={self.user} password={self.password} dbname={self.database}"

    def start(self) -> Postgres:
        if self._started:
            return self
        if not self._initialised:
            self._initdb()
        first = self.port == 0
        for _attempt in range(5):
            if first:
                self.port = free_port()
            opts = (
                f"-p {self.port} -k {self.sockdir} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            )
            res = self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.logfile), "-o", opts, "-w",
                            "-t", "30", "start", check=False)  # fmt: skip
            if res.returncode == 0:
                self._started = True
                break
            if not first or "could not bind" not in self.read_log():
                raise RigError(f"pg_ctl start failed: {res.stderr}\n{self.read_log()[-3000:]}")
        else:
            raise RigError(f"PostgreSQL found no free port; log:\n{self.read_log()[-3000:]}")
        if not self._has_role():
            self._psql(f"CREATE ROLE {self.user} LOGIN CREATEDB PASSWORD '{self.password}'")
            self._psql(f"CREATE DATABASE {self.database} OWNER {self.user}")
        return self

    def stop(self) -> None:
        """Stop the cluster (fast shutdown); data is kept for :meth:`start`."""
        self._close_admin()
        if self._started:
            self._started = False
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "-t", "30", "stop", check=False)

    @property
    def running(self) -> bool:
        res = self._run("pg_ctl", "-D", str(self.datadir), "status", check=False)
        return res.returncode == 0

    def close(self) -> None:
        self.stop()
        if self.running:  # last resort: immediate shutdown
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop", check=False)
        self._unregister()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Postgres:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read_log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except OSError:
            return ""

    # ------------------------------------------------------------------ databases

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database owned by :attr:`user`; return its SQLAlchemy URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise RigError(f"database name {name!r}: use lower-case letters, digits and _")
        strategy = " STRATEGY = FILE_COPY" if self.major >= 15 else ""  # faster with fsync off
        self._admin_execute(f"CREATE DATABASE {name} OWNER {self.user}{strategy}")
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        self._admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL as the superuser over the cluster's Unix socket; return psql's unaligned output."""
        return self._psql(sql, database)

    # ------------------------------------------------------------------ internals

    def _initdb(self) -> None:
        self.datadir.mkdir()
        self.sockdir.mkdir()
        for p in (self.datadir, self.sockdir):
            shutil.chown(p, PG_USER, PG_USER)
        self.datadir.chmod(0o700)
        self.logfile.touch()
        shutil.chown(self.logfile, PG_USER, PG_USER)
        self._run("initdb", "-D", str(self.datadir), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        self._initialised = True

    @property
    def major(self) -> int:
        name = self.bindir.parent.name
        return int(name) if name.isdigit() else 0

    def _admin_execute(self, sql: str) -> None:
        """Run one statement as the superuser over the Unix socket, on a kept connection (fast)."""
        import psycopg

        with self._lock:
            if self._admin is None or self._admin.closed:
                self._admin = psycopg.connect(
                    host=str(self.sockdir),
                    port=self.port,
                    user="postgres",
                    dbname="postgres",
                    autocommit=True,
                )
            self._admin.execute(sql.encode())

    def _close_admin(self) -> None:
        with self._lock:
            if self._admin is not None:
                self._admin.close()
                self._admin = None

    def _has_role(self) -> bool:
        return self._psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{self.user}'").strip() == "1"

    def _psql(self, sql: str, database: str = "postgres") -> str:
        res = self._run("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", str(self.sockdir),
                        "-p", str(self.port), "-U", "postgres", "-d", database, "-c", sql)  # fmt: skip
        return res.stdout

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        exe = self.bindir / tool
        if not exe.exists():
            found = shutil.which(tool)
            if not found:
                raise RigError(f"{tool} not found (install postgresql-client; scripts/test does)")
            exe = Path(found)
        cmd = ["runuser", "-u", PG_USER, "--", str(exe), *args]
        try:
            res = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd="/tmp")
        except FileNotFoundError as e:
            raise RigError(f"cannot run {cmd[0]}: {e}") from e
        if check and res.returncode != 0:
            raise RigError(f"{tool} {' '.join(args)[:200]} failed ({res.returncode}): {res.stderr.strip()}")
        return res
