"""Configuration of the notifications service (environment prefix ``TASKFORCE_NOTIFICATIONS_``).

``ALLOWED_HOSTS`` is the local-development allow-list for webhook URLs, a JSON
list of exact ``host:port`` entries such as ``'["127.0.0.1:8099"]'``: those
endpoints may use ``http`` and non-public addresses, no other port of the same
host. It is empty by default; ``taskforce up`` sets it to the local webhook
receiver's address. A malformed entry stops the service at start-up, naming it.

``SECRETS_KEY`` is the Fernet key that seals the subscriptions' signing secrets
in the database (``storage/secret_box.py``); without it the service keeps its own in
``<var>/secrets/notifications-secrets.key`` (owner-only, made once).
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.notifications.domain.schedule import RetryPolicy
from services.notifications.domain.urls import Endpoint, parse_allowed


class NotificationsSettings(BaseSettings):
    """What a deployment may set for the notifications service."""

    model_config = SettingsConfigDict(env_prefix="TASKFORCE_NOTIFICATIONS_", extra="ignore")

    allowed_hosts: list[str] = Field(default_factory=list)
    #: Fernet key (urlsafe base64 of 32 bytes) for the signing secrets at rest.
    secrets_key: SecretStr | None = None

    # Retry schedule (see domain/schedule.py): about a day in all by default.
    retry_initial_s: float = Field(default=25.0, gt=0)
    retry_factor: float = Field(default=4.0, ge=1)
    retry_max_delay_s: float = Field(default=12 * 3600.0, gt=0)
    retry_jitter: float = Field(default=0.2, ge=0, lt=1)
    max_attempts: int = Field(default=8, ge=1, le=50)

    #: The deadline of one delivery attempt, all of it: lookup, connect, TLS, send, headers, body.
    request_timeout_s: float = Field(default=10.0, gt=0, le=60)
    #: Timeout of the test call that verifies an endpoint when a subscription is created.
    verification_timeout_s: float = Field(default=5.0, gt=0, le=30)
    #: How often the worker looks for due deliveries (it is also woken on new ones).
    poll_interval_s: float = Field(default=1.0, gt=0)
    #: Due deliveries read at a time.
    batch_size: int = Field(default=20, ge=1, le=500)
    #: Attempts under way at once, in all (each ends within ``request_timeout_s``).
    max_in_flight: int = Field(default=100, ge=1, le=1000)
    #: Attempts under way at once for one subscription: a slow endpoint holds only these.
    per_subscription_concurrency: int = Field(default=4, ge=1, le=100)
    #: How long a worker's claim on the deliveries it attempts holds unless renewed: a dead
    #: replica's deliveries are taken by another this long after its last renewal.
    claim_ttl_s: float = Field(default=5.0, ge=0.5, le=300)
    #: How long a rotated-out secret keeps signing beside the new one.
    secret_grace_s: float = Field(default=24 * 3600.0, ge=0)
    #: Manual re-sends per subscription within ``resend_window_s`` (then 429).
    resend_limit: int = Field(default=10, ge=1)
    resend_window_s: float = Field(default=60.0, gt=0)

    @field_validator("allowed_hosts")
    @classmethod
    def _host_and_port(cls, entries: list[str]) -> list[str]:
        parse_allowed(entries)  # raises ValueError naming the malformed entry
        return entries

    @property
    def allowed_endpoints(self) -> frozenset[Endpoint]:
        return parse_allowed(self.allowed_hosts)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            initial_s=self.retry_initial_s,
            factor=self.retry_factor,
            max_delay_s=self.retry_max_delay_s,
            jitter=self.retry_jitter,
            max_attempts=self.max_attempts,
        )
