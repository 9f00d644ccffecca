"""The quick schema check of start-up (issue 17): the heads read from the migration files are Alembic's
own, and a database is taken as migrated only when its ``alembic_version`` names exactly them."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import text

from mailbot.store.db import MIGRATIONS, Database, at_heads, make_engine, migration_heads


def test_heads_read_from_the_files_are_alembics() -> None:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert migration_heads() == frozenset(ScriptDirectory.from_config(cfg).get_heads())


def test_only_a_database_at_the_heads_skips_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    engine = make_engine(url)
    try:
        assert not at_heads(engine)  # no schema yet
        Database(url).dispose()  # migrates
        assert at_heads(engine)
        (head,) = migration_heads() or {""}
        for other in ("0003", f"{head}', '0003"):  # older; or a second row beside the head
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM alembic_version"))
                for rev in other.split("', '"):
                    conn.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": rev})
            assert not at_heads(engine)  # Alembic decides
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM alembic_version"))
            conn.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": head})
        assert at_heads(engine)
    finally:
        engine.dispose()
