"""Exponential backoff with jitter, for reconnecting to IMAP and retrying SMTP.

Pure: it computes delays and never sleeps. The caller waits, e.g. ``stop_event.wait(backoff.next_delay())``,
so a shutdown interrupts the wait.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """``initial · factor**n`` seconds, capped at ``maximum``, each spread by ±``jitter`` (a fraction).

    >>> b = Backoff(initial=1, maximum=60, jitter=0)
    >>> [b.next_delay() for _ in range(8)]
    [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    >>> b.reset(); b.next_delay()
    1.0
    """

    initial: float = 1.0
    maximum: float = 300.0
    factor: float = 2.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random, repr=False)
    attempts: int = 0  # delays handed out since the last reset (= consecutive failures)

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.maximum < self.initial or self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("Backoff needs 0 < initial <= maximum, factor >= 1 and 0 <= jitter < 1")

    def peek(self) -> float:
        """The delay before jitter that :meth:`next_delay` would use now."""
        # Step by step up to the cap, so a long outage cannot overflow the power.
        base = self.initial
        for _ in range(self.attempts):
            base *= self.factor
            if base >= self.maximum:
                return self.maximum
        return min(base, self.maximum)

    def next_delay(self) -> float:
        """The next delay in seconds (never above ``maximum``); counts one more failure."""
        base = self.peek()
        self.attempts += 1
        if self.jitter:
            base *= 1 + self.rng.uniform(-self.jitter, self.jitter)
        return float(min(base, self.maximum))

    def reset(self) -> None:
        """Call after a success: the next delay is ``initial`` again."""
        self.attempts = 0
