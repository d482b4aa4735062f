"""When a failed delivery is tried again: exponential backoff with jitter, bounded.

After failed attempt ``n`` (1-based, counted within the current round; a
manual re-send starts a new round) the next attempt waits

    min(initial * factor ** (n - 1), max_delay) * uniform(1 - jitter, 1 + jitter)

and, when the receiver sent ``Retry-After``, at least that long (capped at
``max_delay``). After ``max_attempts`` attempts the delivery has failed.

The defaults follow Open Notificaties (25 s x 4^n) with the longest wait capped
at 12 hours: 25 s, 100 s, 400 s, 26 min 40 s, 1 h 46 min 40 s, 7 h 6 min 40 s,
12 h between 8 attempts, about 21.5 hours in all (17 to 26 hours with jitter).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class RetryPolicy:
    initial_s: float = 25.0
    factor: float = 4.0
    max_delay_s: float = 12 * 3600.0
    jitter: float = 0.2
    max_attempts: int = 8

    def nominal_delay(self, failed_attempt: int) -> float:
        """The wait after failed attempt ``failed_attempt`` (1-based), before jitter."""
        return min(self.initial_s * self.factor ** (failed_attempt - 1), self.max_delay_s)

    def gives_up_after(self, failed_attempt: int) -> bool:
        return failed_attempt >= self.max_attempts

    def delay(
        self,
        failed_attempt: int,
        retry_after_s: float | None = None,
        rand: Callable[[float, float], float] = random.uniform,
    ) -> float:
        """Seconds until the next attempt."""
        wait = self.nominal_delay(failed_attempt) * rand(1 - self.jitter, 1 + self.jitter)
        if retry_after_s is not None:
            wait = max(wait, min(retry_after_s, self.max_delay_s))
        return wait

    def nominal_total_s(self) -> float:
        return sum(self.nominal_delay(n) for n in range(1, self.max_attempts))


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from ``now``: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())
