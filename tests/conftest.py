"""Shared fixtures: real servers on loopback (see tests/rig/) and per-test databases.

Session-scoped servers start once, lazily (only when a test asks for them), and are always stopped.
A server that cannot start is an ERROR, never a skip: ``scripts/test`` installs what they need.

- ``dovecot``          Dovecot with STARTTLS + IMAPS + plaintext logins; users ``jbgs@xjzj.gov.cn`` and
                       ``zwxx@xjzj.gov.cn``. Shared: tests that need an empty mailbox use ``imap_user``.
- ``imap_user``        a fresh, empty account on ``dovecot`` (its name; password via dovecot.password()).
- ``dovecot_plain``    Dovecot with ``ssl = no`` (offers no STARTTLS).
- ``dovecot_factory``  ``dovecot_factory(tls=False)`` → a private started Dovecot, closed after the test
                       (for restart / stop tests that must not disturb the shared one).
- ``smtp_sink``        the session aiosmtpd sink, cleared (and restarted if a test stopped it) per test.
- ``smtp_sink_factory`` ``smtp_sink_factory(tls="starttls", auth={"bot": "pw"})`` → private sink.
- ``postfix``          a strict private Postfix (STARTTLS, SASL through ``dovecot``, sender-login checks)
                       delivering @xjzj.gov.cn into ``dovecot`` and relaying the rest to ``smtp_sink``.
- ``postfix_factory``  ``postfix_factory(smtputf8=False, rate_limit=2)`` → a private one, closed after.
- ``pg``               the session PostgreSQL cluster (:class:`tests.rig.postgres.Postgres`).
- ``db_url``           parametrized ["sqlite", "postgresql"]: a fresh, empty database URL per test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.rig import free_port
from tests.rig.dovecot import Dovecot
from tests.rig.postfix import Postfix
from tests.rig.postgres import Postgres
from tests.rig.smtpsink import SmtpSink

__all__ = ["free_port"]

RIG_FIXTURES = frozenset(
    {
        "dovecot",
        "imap_user",
        "dovecot_plain",
        "dovecot_factory",
        "smtp_sink",
        "smtp_sink_factory",
        "postfix",
        "postfix_factory",
        "pg",
        "db_url",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under tests/integration or using a rig fixture are marked ``integration``."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "integration" in Path(str(item.fspath)).parts or fixtures & RIG_FIXTURES:
            item.add_marker(pytest.mark.integration)


# ---------------------------------------------------------------------- IMAP


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    with Dovecot(tls=True) as server:
        yield server


@pytest.fixture
def imap_user(dovecot: Dovecot) -> Iterator[str]:
    if not dovecot.running:  # a test stopped the shared server: bring it back
        dovecot.start()
    yield dovecot.add_user()
    if not dovecot.running:
        dovecot.start()


@pytest.fixture(scope="session")
def dovecot_plain() -> Iterator[Dovecot]:
    with Dovecot(tls=False) as server:
        yield server


@pytest.fixture
def dovecot_factory() -> Iterator[Callable[..., Dovecot]]:
    made: list[Dovecot] = []

    def make(**kwargs: Any) -> Dovecot:
        server = Dovecot(**kwargs)
        made.append(server)
        return server.start()

    yield make
    for server in made:
        server.close()


# ---------------------------------------------------------------------- SMTP


@pytest.fixture(scope="session")
def _smtp_sink_session() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def smtp_sink(_smtp_sink_session: SmtpSink) -> Iterator[SmtpSink]:
    sink = _smtp_sink_session
    sink.start()  # no-op unless a previous test left it stopped
    sink.clear()
    yield sink
    sink.start()
    sink.clear()


@pytest.fixture
def smtp_sink_factory() -> Iterator[Callable[..., SmtpSink]]:
    made: list[SmtpSink] = []

    def make(**kwargs: Any) -> SmtpSink:
        sink = SmtpSink(**kwargs)
        made.append(sink)
        return sink.start()

    yield make
    for sink in made:
        sink.close()


# ---------------------------------------------------------------------- MTA


@pytest.fixture(scope="session")
def _postfix_session(dovecot: Dovecot, _smtp_sink_session: SmtpSink) -> Iterator[Postfix]:
    with Postfix(dovecot, _smtp_sink_session) as mta:
        yield mta


@pytest.fixture
def postfix(_postfix_session: Postfix, dovecot: Dovecot, smtp_sink: SmtpSink) -> Postfix:
    if not dovecot.running:  # a test stopped the shared Dovecot (SASL and delivery need it)
        dovecot.start()
    return _postfix_session


@pytest.fixture
def postfix_factory(dovecot: Dovecot, smtp_sink: SmtpSink) -> Iterator[Callable[..., Postfix]]:
    made: list[Postfix] = []

    def make(**kwargs: Any) -> Postfix:
        mta = Postfix(dovecot, smtp_sink, **kwargs)
        made.append(mta)
        return mta.start()

    yield make
    for mta in made:
        mta.close()


# ---------------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def pg() -> Iterator[Postgres]:
    with Postgres() as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database per test: a SQLite file, or a new database in the session cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mailbot.db'}"
    cluster: Postgres = request.getfixturevalue("pg")
    return cluster.create_database()
