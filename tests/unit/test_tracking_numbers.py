"""Tracking numbers: sequential per year, the counter written once per transaction (issue 17)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import event, select

from mailbot.store import queries
from mailbot.store.db import Database
from mailbot.store.models import TrackingCounter


def _db(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 't.db'}")


def _last(db: Database, prefix: str = "JB", year: int = 2026) -> int:
    with db.session() as s:
        counter = s.scalars(
            select(TrackingCounter).where(TrackingCounter.prefix == prefix, TrackingCounter.year == year)
        ).one()
        return counter.last_seq


def test_numbers_are_sequential_and_the_counter_is_updated_twice_per_transaction(tmp_path: Path) -> None:
    db = _db(tmp_path)
    updates: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("UPDATE tracking_counters"):
            updates.append(statement)

    with db.session() as s:
        numbers = [queries.next_tracking_no(s, "JB", 2026) for _ in range(25)]
    assert numbers == [f"JB-2026-{i:06d}" for i in range(1, 26)]
    assert len(updates) == 2  # the first number (takes the lock) and the last one, before COMMIT
    assert _last(db) == 25
    with db.session() as s:
        assert queries.next_tracking_no(s, "JB", 2026) == "JB-2026-000026"
        assert queries.next_tracking_no(s, "JB", 2027) == "JB-2027-000001"  # one counter per year
    assert _last(db) == 26
    db.dispose()


def test_a_rolled_back_transaction_hands_out_its_numbers_again(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with db.session() as s:
        queries.next_tracking_no(s, "JB", 2026)
    try:
        with db.session() as s:
            assert queries.next_tracking_no(s, "JB", 2026) == "JB-2026-000002"
            assert queries.next_tracking_no(s, "JB", 2026) == "JB-2026-000003"
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass
    assert _last(db) == 1
    with db.session() as s:
        assert queries.next_tracking_no(s, "JB", 2026) == "JB-2026-000002"
    db.dispose()


def test_a_savepoint_rolled_back_inside_the_transaction_never_repeats_a_number(tmp_path: Path) -> None:
    db = _db(tmp_path)
    with db.session() as s:
        first = queries.next_tracking_no(s, "JB", 2026)
        try:
            with s.begin_nested():
                queries.next_tracking_no(s, "JB", 2026)
                raise RuntimeError("savepoint rolled back")
        except RuntimeError:
            pass
        third = queries.next_tracking_no(s, "JB", 2026)
    assert (first, third) == ("JB-2026-000001", "JB-2026-000003")
    assert _last(db) == 3
    db.dispose()
