"""What the service's handlers, worker and routes share: settings, links, a clock, a wake-up."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.notifications.settings import NotificationsSettings
from services.notifications.storage.subscribers import SubscriberCache
from shared.settings import PlatformSettings

_WAKE = "notifications.wake-worker"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class NotificationsContext:
    settings: NotificationsSettings
    base_url: str
    clock: Callable[[], datetime] = field(default=_utc_now)
    #: Set when deliveries became due (after the commit that queued them).
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: The subscriptions events are routed to, between changes.
    subscribers: SubscriberCache = field(default_factory=SubscriberCache)

    @classmethod
    def create(
        cls, platform: PlatformSettings, settings: NotificationsSettings | None = None
    ) -> NotificationsContext:
        base = f"{platform.public_base_url.rstrip('/')}:{platform.port_for('notifications')}/v1"
        return cls(settings=settings or NotificationsSettings(), base_url=base)

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
