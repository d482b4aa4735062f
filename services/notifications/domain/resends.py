"""How often a subscription's deliveries may be re-sent by hand: a sliding window per subscription.

A re-send starts a fresh round of attempts at the subscriber's endpoint, so an
organisation could otherwise turn the platform into a load generator against
any URL it managed to verify once. ``limit`` re-sends per ``window_s`` seconds
per subscription; past that the API answers 429 with ``Retry-After``. The clock
is passed in (monotonic seconds), which keeps this pure and testable.
"""

from __future__ import annotations

import math
import uuid
from collections import deque
from dataclasses import dataclass, field


class ResendsExhausted(Exception):
    """The subscription had its re-sends for the window; the next may go in ``wait_s``."""

    def __init__(self, limiter: ResendLimiter, wait_s: float) -> None:
        super().__init__(
            f"At most {limiter.limit} re-sends per subscription every "
            f"{limiter.window_s:g} s; try again later."
        )
        self.wait_s = wait_s

    @property
    def retry_after(self) -> str:
        """The ``Retry-After`` value: whole seconds, at least one."""
        return str(max(1, math.ceil(self.wait_s)))


@dataclass
class ResendLimiter:
    limit: int = 10
    window_s: float = 60.0
    _sent: dict[uuid.UUID, deque[float]] = field(default_factory=dict)

    def admit(self, subscription_id: uuid.UUID, now: float) -> float | None:
        """``None`` when a re-send may go now (and counts it), else the seconds to wait."""
        sent = self._sent.setdefault(subscription_id, deque())
        while sent and sent[0] <= now - self.window_s:
            sent.popleft()
        if len(sent) >= self.limit:
            return max(sent[0] + self.window_s - now, 0.0)
        sent.append(now)
        if len(self._sent) > 10_000:  # forget idle subscriptions now and then
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, v in self._sent.items() if not v or v[-1] <= now - self.window_s]:
            del self._sent[key]

    def count(self, subscription_id: uuid.UUID, now: float) -> None:
        """Count a re-send now, or ``ResendsExhausted`` if the window has had its limit."""
        wait = self.admit(subscription_id, now)
        if wait is not None:
            raise ResendsExhausted(self, wait)
