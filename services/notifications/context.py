"""What the use cases read besides the database: settings, links, a clock, and the policies.

Built once by ``create_app`` and handed to the routes (``app.state.context``),
the event handlers and the delivery worker. Besides settings, links and the
clock it holds

- the secret box that seals and opens the signing secrets at rest;
- the name lookup webhook calls use (the system's, or one a test answers);
- the re-send limiter (in memory: a restart forgets the counts, which only
  ever loosens it for one window);
- the routable subscriptions, cached between changes;
- the worker's wake-up, set after a commit that made deliveries due.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from services.notifications.domain.resends import ResendLimiter
from services.notifications.domain.schedule import RetryPolicy
from services.notifications.links import Links
from services.notifications.settings import NotificationsSettings
from services.notifications.storage.secret_box import SecretBox, box_for
from services.notifications.storage.subscribers import SubscriberCache
from services.notifications.webhooks import Resolve, system_resolve
from shared.settings import PlatformSettings


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class NotificationsContext:
    settings: NotificationsSettings
    links: Links
    #: The CloudEvents ``source`` of the service (the endpoint verification call carries it).
    source: str
    secrets: SecretBox
    resends: ResendLimiter
    clock: Callable[[], datetime] = field(default=_utc_now)
    #: Set when deliveries became due or attempts ended (after the commit that says so).
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: The subscriptions events are routed to, between changes.
    subscribers: SubscriberCache = field(default_factory=SubscriberCache)
    #: How webhook hosts are looked up (once per attempt).
    resolve: Resolve = field(default=system_resolve)

    @classmethod
    def create(
        cls, platform: PlatformSettings, settings: NotificationsSettings | None = None
    ) -> NotificationsContext:
        settings = settings or NotificationsSettings()
        key = settings.secrets_key.get_secret_value() if settings.secrets_key else None
        return cls(
            settings=settings,
            links=Links.of(platform),
            source=platform.source_for("notifications"),
            secrets=box_for(platform.var_dir, key),
            resends=ResendLimiter(settings.resend_limit, settings.resend_window_s),
        )

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.now().date()

    @property
    def retry_policy(self) -> RetryPolicy:
        return self.settings.retry_policy()
