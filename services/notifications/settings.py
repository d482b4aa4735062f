"""Configuration of the notifications service (environment prefix ``TASKFORCE_NOTIFICATIONS_``).

``ALLOWED_HOSTS`` is the local-development allow-list for webhook URLs, a JSON
list such as ``'["127.0.0.1", "localhost"]'``: those hosts may use ``http``
and private addresses. It is empty by default; ``taskforce up`` sets it to the
loopback address for the local webhook receiver.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notifications.domain.schedule import RetryPolicy


class NotificationsSettings(BaseSettings):
    """What a deployment may set for the notifications service."""

    model_config = SettingsConfigDict(env_prefix="TASKFORCE_NOTIFICATIONS_", extra="ignore")

    allowed_hosts: list[str] = Field(default_factory=list)

    # Retry schedule (see domain/schedule.py): about a day in all by default.
    retry_initial_s: float = Field(default=25.0, gt=0)
    retry_factor: float = Field(default=4.0, ge=1)
    retry_max_delay_s: float = Field(default=12 * 3600.0, gt=0)
    retry_jitter: float = Field(default=0.2, ge=0, lt=1)
    max_attempts: int = Field(default=8, ge=1, le=50)

    #: Whole-request timeout of one delivery attempt (connect, send, read).
    request_timeout_s: float = Field(default=10.0, gt=0, le=60)
    #: Timeout of the test call that verifies an endpoint when a subscription is created.
    verification_timeout_s: float = Field(default=5.0, gt=0, le=30)
    #: How often the worker looks for due deliveries (it is also woken on new ones).
    poll_interval_s: float = Field(default=1.0, gt=0)
    #: Deliveries attempted concurrently per round.
    batch_size: int = Field(default=20, ge=1, le=500)
    #: How long a rotated-out secret keeps signing beside the new one.
    secret_grace_s: float = Field(default=24 * 3600.0, ge=0)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            initial_s=self.retry_initial_s,
            factor=self.retry_factor,
            max_delay_s=self.retry_max_delay_s,
            jitter=self.retry_jitter,
            max_attempts=self.max_attempts,
        )
