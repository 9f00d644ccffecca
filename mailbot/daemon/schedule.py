"""When a scheduled job falls due, computed from an explicit ``now`` (APScheduler triggers, no clock inside).

The digest's cron expression is a crontab line (``minute hour day month weekday``) read in the
configured zone. :func:`last_fire` answers "when did this trigger last fire at or before ``now``?",
which is what the daemon needs on start to send a digest that fell due while it was down.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

MAX_STEPS = 20_000  # a minutely cron over the look-back window stays bounded


def cron_trigger(expr: str, tz: ZoneInfo) -> Any:
    """The APScheduler trigger for a crontab line; ValueError when it is not one."""
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)} in {expr!r}")
    return CronTrigger.from_crontab(expr, timezone=tz)


def next_fire(trigger: Any, now: datetime) -> datetime | None:
    """The first fire time at or after ``now``."""
    result: datetime | None = trigger.get_next_fire_time(None, now)
    return result


def last_fire(trigger: Any, now: datetime, lookback: timedelta) -> datetime | None:
    """The latest fire time in ``[now - lookback, now]``, or None."""
    t = next_fire(trigger, now - lookback)
    last: datetime | None = None
    steps = 0
    while t is not None and t <= now and steps < MAX_STEPS:
        last = t
        t = trigger.get_next_fire_time(t, t + timedelta(microseconds=1))
        steps += 1
    return last
