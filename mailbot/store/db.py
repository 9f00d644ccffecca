"""Engine and sessions; migrations (Alembic) applied on start."""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.config.urls import redact_url
from mailbot.errors import StoreError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")


def private_file(path: str | os.PathLike[str]) -> None:
    """Create ``path`` (or narrow an existing file of ours) readable and writable by its owner only:
    the database, backups and exports hold the office's mail and contacts. Call it before writing."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        if os.fstat(fd).st_uid == os.getuid():
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _create_private_sqlite_file(engine: Engine) -> None:
    """Create the SQLite file readable by its owner only (0600); SQLite gives its -wal and -shm files
    the same mode. An existing file of ours is narrowed to 0600 too."""
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    try:
        private_file(path)
    except OSError:
        return  # the folder does not exist or is not writable: SQLite itself will say so


def make_engine(url: str) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets WAL, a busy timeout and foreign keys.

    ``hide_parameters``: a failed statement's error text must not carry the values it wrote (a mail's
    body, subject or addresses end up in logs and in ``error`` columns otherwise).
    """
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
            _create_private_sqlite_file(engine)

            @event.listens_for(engine, "connect")
            def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.execute("PRAGMA foreign_keys=ON")
                cur.execute("PRAGMA busy_timeout=30000")
                cur.close()

            return engine
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except (SQLAlchemyError, ImportError, ValueError) as exc:
        raise StoreError(f"cannot use database {redact_url(url)}: {exc}") from exc


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


_REVISION = re.compile(r"^revision\s*=\s*[\"']([^\"']+)[\"']", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(\([^)]*\)|[^\n]*)", re.M)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


@functools.cache
def migration_heads() -> frozenset[str] | None:
    """The newest revisions of the migrations folder, read from each file's ``revision`` and
    ``down_revision`` lines (importing Alembic and its scripts costs more than a poll's first chunk);
    None when a file does not read that way (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        if path.name == "__init__.py":
            continue
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if rev is None or down is None:
            return None
        revisions.add(rev.group(1))
        parents.update(_QUOTED.findall(down.group(1)))
    heads = revisions - parents
    return frozenset(heads) if heads and parents <= revisions else None


def at_heads(engine: Engine) -> bool:
    """Whether the database's ``alembic_version`` names exactly the newest revisions (one query)."""
    heads = migration_heads()
    if heads is None:
        return False
    try:
        with engine.connect() as conn:
            have = {str(v) for (v,) in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:
        return False  # no schema yet (or no table): Alembic creates it
    return have == heads


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; a database already there costs one query)."""
    if at_heads(engine):
        return
    from alembic import command

    ddl = _transactional_sqlite(engine) if engine.url.get_backend_name() == "sqlite" else engine
    try:
        with ddl.begin() as conn:
            cfg = alembic_config(ddl)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {redact_url(str(engine.url))}: {exc}") from exc
    finally:
        if ddl is not engine:
            ddl.dispose()


def _transactional_sqlite(engine: Engine) -> Engine:
    """An engine for migrating SQLite in ONE transaction, DDL included.

    pysqlite commits before every CREATE/ALTER on its own, so a process killed during the first
    migration left half a schema behind ("table cases already exists" on the next start). With the
    driver's own transaction handling off, the migration runs inside ``BEGIN IMMEDIATE`` … ``COMMIT``:
    all of it or none of it, and two processes starting at once take turns."""
    ddl = create_engine(
        engine.url, connect_args={"timeout": 30, "isolation_level": None}, hide_parameters=True
    )

    @event.listens_for(ddl, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(ddl, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return ddl


class Database:
    """The engine and a session factory; ``session()`` is one transaction."""

    def __init__(self, url: str, *, migrate_schema: bool = True) -> None:
        self.url = url
        self.engine = make_engine(url)
        if migrate_schema:
            migrate(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        with self.sessions() as s, s.begin():
            yield s

    def reachable(self) -> bool:
        """Whether the database takes a write now: tells an outage (down, locked, read-only) from an
        error caused by one message's data. The probe is an UPDATE that matches no row, rolled back:
        it needs the write lock (SQLite) and a writable transaction (PostgreSQL), and changes nothing."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"))
                conn.rollback()
        except SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
