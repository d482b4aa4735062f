"""What the service's handlers, worker and routes share: settings, links, a clock, a wake-up.

Also the secret box (signing secrets at rest), the name lookup webhook calls use
(swapped in tests for one that answers what a test needs) and the re-send
limiter (in memory: a restart forgets the counts, which only ever loosens it
for one window).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.notifications.domain.resends import ResendLimiter
from services.notifications.settings import NotificationsSettings
from services.notifications.storage.secret_box import SecretBox, box_for
from services.notifications.storage.subscribers import SubscriberCache
from services.notifications.webhooks import Resolve, system_resolve
from shared.settings import PlatformSettings

_WAKE = "notifications.wake-worker"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class NotificationsContext:
    settings: NotificationsSettings
    base_url: str
    secrets: SecretBox
    clock: Callable[[], datetime] = field(default=_utc_now)
    #: Set when deliveries became due (after the commit that queued them).
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: The subscriptions events are routed to, between changes.
    subscribers: SubscriberCache = field(default_factory=SubscriberCache)
    #: How webhook hosts are looked up (once per attempt).
    resolve: Resolve = field(default=system_resolve)
    resends: ResendLimiter = field(default_factory=ResendLimiter)

    @classmethod
    def create(
        cls, platform: PlatformSettings, settings: NotificationsSettings | None = None
    ) -> NotificationsContext:
        base = f"{platform.public_base_url.rstrip('/')}:{platform.port_for('notifications')}/v1"
        settings = settings or NotificationsSettings()
        key = settings.secrets_key.get_secret_value() if settings.secrets_key else None
        return cls(
            settings=settings,
            base_url=base,
            secrets=box_for(platform.var_dir, key),
            resends=ResendLimiter(settings.resend_limit, settings.resend_window_s),
        )

    def now(self) -> datetime:
        return self.clock()

    def delivery_url(self, delivery_id: object) -> str:
        return f"{self.base_url}/deliveries/{delivery_id}"

    def subscription_url(self, subscription_id: object) -> str:
        return f"{self.base_url}/subscriptions/{subscription_id}"

    def wake_after_commit(self, session: AsyncSession) -> None:
        """Wake the delivery worker once ``session``'s transaction has committed."""
        session.sync_session.info[_WAKE] = self.wake


@event.listens_for(Session, "after_commit")
def _wake_worker(session: Session) -> None:
    wake = session.info.pop(_WAKE, None)
    if wake is not None:
        wake.set()


@event.listens_for(Session, "after_rollback")
def _forget_wake(session: Session) -> None:
    session.info.pop(_WAKE, None)
