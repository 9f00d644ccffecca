"""The prepare worker (issue 17): the same Prepared values as in process, and no message depends on it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mailbot.config import build_config
from mailbot.intake import parallel
from mailbot.intake.parallel import PrepareWorker
from mailbot.intake.pipeline import prepare
from mailbot.model import FetchedMail
from mailbot.store.queries import pack_raw

MAIL = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)


class _App:
    """What the worker asks of the App (no database)."""

    def __init__(self) -> None:
        self.config = build_config({"database": {"url": "sqlite://"}}, env={})
        self.rules = self.config.classify
        self.policy = self.config.deadlines
        self.domains = self.config.domain_policy

    def now(self) -> datetime:
        return NOW


def _mails() -> list[FetchedMail]:
    paths = sorted(MAIL.glob("*.eml"))
    assert len(paths) >= 20
    return [
        FetchedMail("main", "INBOX", 7, i, str(i), p.read_bytes(), NOW if i % 2 else None)
        for i, p in enumerate(paths * 3, start=1)
    ]


def test_the_worker_prepares_exactly_what_the_process_would(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV_SWITCH, raising=False)
    app: Any = _App()
    mails = _mails()
    with PrepareWorker.start(app, len(mails)) as worker:
        if not worker.parallel:
            pytest.skip("one core: no worker")
        chunks = [
            worker.submit([(m, i % 3 == 0) for m in mails[i : i + 25]]) for i in range(0, len(mails), 25)
        ]
        got = [p for chunk in chunks for p in worker.result(chunk)]
    want = [prepare(app, m, archive=i % 3 == 0) for i in range(0, len(mails), 25) for m in mails[i : i + 25]]
    assert [p.fetched for p in got] == [p.fetched for p in want]
    for g, w in zip(got, want, strict=True):
        assert (g.sha256, g.archive, g.parsed, g.assessment, g.error) == (
            w.sha256,
            w.archive,
            w.parsed,
            w.assessment,
            w.error,
        )
        if g.error is None:
            assert g.packed == pack_raw(g.fetched.raw)


def test_the_process_prepares_chunks_the_worker_has_not_begun_instead_of_waiting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(parallel.ENV_SWITCH, raising=False)
    app: Any = _App()
    mails = _mails()
    with PrepareWorker.start(app, len(mails)) as worker:
        if not worker.parallel:
            pytest.skip("one core: no worker")
        chunks = [worker.submit([(m, False)]) for m in mails]  # one message per chunk: many waiting
        got = [p for chunk in chunks for p in worker.result(chunk)]
        taken = worker.taken_over
        assert not worker.waiting
    assert taken > 0  # the worker takes ~1 s to start: the first result found it busy
    assert taken < len(chunks)  # and it prepared some itself
    want = [prepare(app, m) for m in mails]
    assert [(p.fetched, p.parsed, p.assessment, p.error) for p in got] == [
        (p.fetched, p.parsed, p.assessment, p.error) for p in want
    ]
    assert all(p.packed == pack_raw(p.fetched.raw) for p in got if p.error is None)


def test_a_dead_worker_leaves_the_chunk_to_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(parallel.ENV_SWITCH, raising=False)
    app: Any = _App()
    mails = _mails()[:30]
    with PrepareWorker.start(app, 100) as worker:
        if not worker.parallel:
            pytest.skip("one core: no worker")
        assert worker.pool is not None
        worker.result(worker.submit([(mails[0], False)]))  # started
        for proc in list(worker.pool._processes.values()):
            proc.kill()
            proc.join()
        chunk = worker.submit([(m, False) for m in mails])
        got = worker.result(chunk)
        assert not worker.parallel  # dropped: the rest is prepared here
        again = worker.result(worker.submit([(m, False) for m in mails]))
    want = [prepare(app, m) for m in mails]
    assert [(p.parsed, p.assessment, p.error) for p in got] == [
        (p.parsed, p.assessment, p.error) for p in want
    ]
    assert [(p.parsed, p.assessment) for p in again] == [(p.parsed, p.assessment) for p in want]


def test_small_backlogs_and_the_switch_prepare_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    app: Any = _App()
    with PrepareWorker.start(app, parallel.MIN_BACKLOG - 1) as worker:
        assert not worker.parallel
    monkeypatch.setenv(parallel.ENV_SWITCH, "0")
    with PrepareWorker.start(app, 10_000) as worker:
        assert not worker.parallel
