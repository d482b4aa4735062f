"""A subscription: what an organisation follows, where it goes, and its status over time.

Pure values and transitions: each change answers a new :class:`Subscription`
and the use cases store it. The status is one of

- ``active``: every sink gets what is routed;
- ``paused`` by its organisation: no pushes (webhooks, stream records), the
  inbox still fills, queued deliveries wait (``domain/sinks.py``);
- ``disabled`` when the receiver answered 410 Gone: no pushes either, and
  resuming verifies the endpoint again;
- ``deleted``: the row stays for the delivery log, without its secrets, and
  nothing is routed to it.

The secrets held here are sealed (``storage/secret_box.py``): a subscription
never carries the ``whsec_`` text itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from services.notifications.domain.routing import Filters, Route
from services.notifications.domain.sinks import Sink, reached
from shared.errors import Conflict


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    DISABLED = "disabled"
    DELETED = "deleted"


#: The statuses events are routed to (only active ones get pushes).
ROUTABLE: Final = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAUSED,
    SubscriptionStatus.DISABLED,
)


@dataclass(frozen=True)
class Selection:
    """What a subscription selects: event types, whole channels, and the filters narrowing them.

    Kept as sent, each value once in its first place (so stored and shown lists
    compare equal whatever the caller repeated).
    """

    event_types: tuple[str, ...]
    channels: tuple[str, ...]
    filters: Filters

    @classmethod
    def of(
        cls, event_types: tuple[str, ...], channels: tuple[str, ...], filters: Filters
    ) -> Selection:
        return cls(tuple(dict.fromkeys(event_types)), tuple(dict.fromkeys(channels)), filters)


@dataclass(frozen=True)
class Subscription:
    subscription_id: uuid.UUID
    organisation: str
    #: The webhook; ``None`` exactly when ``sinks`` has no ``webhook``.
    url: str | None
    sinks: tuple[Sink, ...]
    description: str
    selection: Selection
    status: SubscriptionStatus
    created_at: datetime
    updated_at: datetime
    status_reason: str | None = None
    #: The signing secret, sealed; ``None`` without a webhook (and once deleted).
    secret: str | None = None
    #: The rotated-out secret, sealed, signing beside the new one until ``previous_secret_until``.
    previous_secret: str | None = None
    previous_secret_until: datetime | None = None
    verified_at: datetime | None = None

    @classmethod
    def new(
        cls,
        organisation: str,
        *,
        url: str | None,
        sinks: tuple[Sink, ...],
        description: str,
        selection: Selection,
        sealed_secret: str | None,
        now: datetime,
        subscription_id: uuid.UUID | None = None,
    ) -> Subscription:
        """An active subscription; one with a webhook was verified ``now`` with its secret."""
        return cls(
            subscription_id=subscription_id or uuid.uuid4(),
            organisation=organisation,
            url=url,
            sinks=sinks,
            description=description,
            selection=selection,
            status=SubscriptionStatus.ACTIVE,
            secret=sealed_secret if url is not None else None,
            verified_at=now if url is not None else None,
            created_at=now,
            updated_at=now,
        )

    @property
    def route(self) -> Route:
        """The subscription as the router sees it."""
        return Route(
            subscription_id=self.subscription_id,
            organisation=self.organisation,
            event_types=frozenset(self.selection.event_types),
            channels=frozenset(self.selection.channels),
            filters=self.selection.filters,
        )

    @property
    def is_deleted(self) -> bool:
        return self.status is SubscriptionStatus.DELETED

    @property
    def takes_webhooks(self) -> bool:
        """Whether a due delivery may still be attempted (paused ones are never due)."""
        inactive = self.status in (SubscriptionStatus.DISABLED, SubscriptionStatus.DELETED)
        return not inactive and self.url is not None

    def signing_secrets(self, now: datetime) -> list[str]:
        """The sealed secrets an attempt ``now`` signs with: the current one, and the previous
        one while its grace period lasts."""
        found = [self.secret] if self.secret else []
        until = self.previous_secret_until
        if self.previous_secret and until is not None and until > now:
            found.append(self.previous_secret)
        return found

    def changed(
        self,
        *,
        url: str | None,
        sinks: tuple[Sink, ...],
        description: str | None,
        selection: Selection,
        sealed_secret: str,
        verified: bool,
        now: datetime,
    ) -> Subscription:
        """What it selects or where it delivers changed; a webhook signs with ``sealed_secret``.

        ``verified``: the url is new and answered the test call ``now``.
        """
        return replace(
            self,
            url=url,
            sinks=sinks,
            description=self.description if description is None else description,
            selection=selection,
            secret=sealed_secret if url is not None else self.secret,
            verified_at=now if verified else self.verified_at,
            updated_at=now,
        )

    def paused(self, now: datetime) -> Subscription:
        if self.status is SubscriptionStatus.DISABLED:
            raise Conflict("The subscription is disabled; resume it instead.")
        return self._now(SubscriptionStatus.PAUSED, "Paused by its organisation.", now)

    @property
    def to_verify_on_resume(self) -> tuple[str, str] | None:
        """The url and sealed secret to verify before resuming: a disabled webhook's (the
        receiver had said 410), else ``None``."""
        if self.status is not SubscriptionStatus.DISABLED:
            return None
        if self.url is None or self.secret is None:
            return None
        return self.url, self.secret

    def resumed(self, now: datetime) -> Subscription:
        return self._now(SubscriptionStatus.ACTIVE, None, now)

    def gone(self, now: datetime) -> Subscription:
        """The receiver answered 410 Gone: an active subscription is disabled, any other stays."""
        if self.status is not SubscriptionStatus.ACTIVE:
            return self
        return self._now(SubscriptionStatus.DISABLED, "The receiver answered 410 Gone.", now)

    def deleted(self, now: datetime) -> Subscription:
        """Deleted by its organisation: its secrets go, its row stays for the delivery log."""
        deleted = self._now(SubscriptionStatus.DELETED, "Deleted by its organisation.", now)
        return replace(deleted, secret=None, previous_secret=None, previous_secret_until=None)

    def rotated(self, sealed_secret: str, *, until: datetime, now: datetime) -> Subscription:
        """A new signing secret; the old one keeps signing beside it ``until`` then."""
        if self.url is None:
            raise Conflict("An inbox-only subscription has no signing secret.")
        return replace(
            self,
            previous_secret=self.secret,
            previous_secret_until=until,
            secret=sealed_secret,
            updated_at=now,
        )

    def _now(self, status: SubscriptionStatus, reason: str | None, now: datetime) -> Subscription:
        return replace(self, status=status, status_reason=reason, updated_at=now)


@dataclass(frozen=True)
class Subscriber:
    """A routable subscription as routing uses it: its route, and the sinks an event reaches now."""

    route: Route
    url: str | None
    reaches: frozenset[Sink]

    @classmethod
    def of(cls, subscription: Subscription) -> Subscriber:
        active = subscription.status is SubscriptionStatus.ACTIVE
        return cls(subscription.route, subscription.url, reached(subscription.sinks, active=active))

    @property
    def subscription_id(self) -> uuid.UUID:
        return self.route.subscription_id

    @property
    def organisation(self) -> str:
        return self.route.organisation

    @property
    def gets_webhooks(self) -> bool:
        return Sink.WEBHOOK in self.reaches and self.url is not None

    @property
    def gets_inbox(self) -> bool:
        return Sink.INBOX in self.reaches

    @property
    def gets_stream(self) -> bool:
        return Sink.STREAM in self.reaches
