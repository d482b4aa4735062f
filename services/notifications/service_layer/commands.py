"""What the use cases are asked to do: one frozen dataclass per command or query.

Routes build them from requests; each names the organisation acting, which is
the only one that may see or change what it holds (``domain/rights.py``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from services.notifications.domain.deliveries import DeliveryStatus
from services.notifications.domain.routing import Filters
from services.notifications.domain.sinks import Sink

T = TypeVar("T")


class Paged(Protocol):
    """A page of a list as a caller asks for it (the API's paging parameters)."""

    @property
    def offset(self) -> int: ...

    @property
    def page_size(self) -> int: ...


@dataclass(frozen=True)
class Window:
    """Which part of a list: ``limit`` items from ``offset`` on."""

    offset: int
    limit: int

    @classmethod
    def of(cls, page: Paged) -> Window:
        return cls(page.offset, page.page_size)


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One page of a list, and how many items the whole list has."""

    items: list[T]
    total: int


@dataclass(frozen=True)
class CreateSubscription:
    organisation: str
    url: str | None
    description: str
    event_types: tuple[str, ...]
    channels: tuple[str, ...]
    filters: Filters
    #: ``None``: the default sinks for the url (``domain/sinks.default_sinks``).
    sinks: tuple[Sink, ...] | None
    #: ``None``: a secret is generated.
    secret: str | None


@dataclass(frozen=True)
class ChangeSubscription:
    """Only what is not ``None`` changes; ``url_sent`` tells ``url: null`` from no url."""

    subscription_id: uuid.UUID
    organisation: str
    url_sent: bool
    url: str | None
    description: str | None
    event_types: tuple[str, ...] | None
    channels: tuple[str, ...] | None
    filters: Filters | None
    sinks: tuple[Sink, ...] | None


@dataclass(frozen=True)
class OfSubscription:
    """A subscription, asked for by an organisation (to read, pause, resume, delete, rotate)."""

    subscription_id: uuid.UUID
    organisation: str


@dataclass(frozen=True)
class SubscriptionQuery:
    organisation: str
    window: Window


@dataclass(frozen=True)
class OfDelivery:
    """A delivery, asked for by an organisation (to read, list its attempts, re-send)."""

    delivery_id: uuid.UUID
    organisation: str


@dataclass(frozen=True)
class DeliveryQuery:
    organisation: str
    subscription_id: uuid.UUID | None
    status: DeliveryStatus | None
    window: Window


@dataclass(frozen=True)
class OfInboxEntry:
    entry_id: uuid.UUID
    organisation: str


@dataclass(frozen=True)
class MarkInboxEntry:
    entry_id: uuid.UUID
    organisation: str
    read: bool


@dataclass(frozen=True)
class InboxQuery:
    organisation: str
    #: Only read (``True``) or unread (``False``) entries; ``None``: all.
    read: bool | None
    window: Window
