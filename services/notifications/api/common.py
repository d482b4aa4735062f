"""What the routers share: their dependencies, the id path parameters and documented answers.

Refusals are :mod:`shared.errors`, raised by the use cases; ``shared.http.errors``
turns them into problem documents for every service.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import Depends, Path
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.context import NotificationsContext
from shared.http import Caller, require_scope
from shared.http.dependencies import Runtime, context_of
from shared.http.errors import documented

WRITE_SCOPE: Final = "notifications:write"

Context = Annotated[NotificationsContext, Depends(context_of(NotificationsContext))]
Writer = Annotated[Caller, Depends(require_scope(WRITE_SCOPE))]


async def _reading(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """A session to read in: no unit of work, so a read never waits for the write turn."""
    async with runtime.sessions() as session:
        yield session


Reading = Annotated[AsyncSession, Depends(_reading)]
"""A session for a route that only reads."""

SubscriptionIdPath = Annotated[
    uuid.UUID, Path(alias="subscriptionId", description="The subscription.")
]
DeliveryIdPath = Annotated[uuid.UUID, Path(alias="deliveryId", description="The delivery.")]
EntryIdPath = Annotated[uuid.UUID, Path(alias="entryId", description="The inbox entry.")]

#: Another organisation's resource is answered as if it did not exist (``domain/rights.py``).
NOT_FOUND: Final = documented(404, "Not found (or another organisation's).")
CONFLICT: Final = {**documented(409, "The resource's state forbids it."), **NOT_FOUND}
TOO_MANY_RESENDS: Final = documented(429, "Too many re-sends for the subscription.")


__all__ = [
    "CONFLICT",
    "NOT_FOUND",
    "TOO_MANY_RESENDS",
    "WRITE_SCOPE",
    "Context",
    "DeliveryIdPath",
    "EntryIdPath",
    "Reading",
    "SubscriptionIdPath",
    "Writer",
]
