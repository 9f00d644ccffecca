"""The application context: configuration, database, renderer and rule objects, built once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mailbot.config import Config
from mailbot.judge.olddomain import DomainPolicy
from mailbot.replies.render import Renderer
from mailbot.store.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class App:
    config: Config
    db: Database
    renderer: Renderer
    rules: Any
    policy: Any
    domains: DomainPolicy
    clock: Callable[[], datetime] = field(default=utc_now)
    drain_lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def create(cls, config: Config, *, clock: Callable[[], datetime] = utc_now, migrate: bool = True) -> App:
        return cls(
            config=config,
            db=Database(config.database_url, migrate_schema=migrate),
            renderer=Renderer(config.templates_dir, config.timezone, config.deadlines),
            rules=config.classify,
            policy=config.deadlines,
            domains=config.domain_policy,
            clock=clock,
        )

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        self.db.dispose()
