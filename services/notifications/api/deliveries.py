"""``/deliveries``: the delivery log of the caller's subscriptions, attempts, manual re-send.

Re-sends are limited per subscription (``RESEND_LIMIT`` per ``RESEND_WINDOW_S``,
``domain/resends.py``): past that, 429 with ``Retry-After``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from services.notifications.api.common import (
    CONFLICT,
    NOT_FOUND,
    TOO_MANY_RESENDS,
    Context,
    DeliveryIdPath,
    Reading,
    Writer,
)
from services.notifications.api.delivery_models import AttemptList, AttemptOut, DeliveryOut
from services.notifications.domain.deliveries import DeliveryStatus
from services.notifications.domain.resends import ResendsExhausted
from services.notifications.service_layer import deliveries
from services.notifications.service_layer.commands import DeliveryQuery, OfDelivery, Window
from shared.http import AuthenticatedCaller, Problem
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page

router = APIRouter(prefix="/deliveries", tags=["Deliveries"])


async def _to_read(delivery_id: DeliveryIdPath, caller: AuthenticatedCaller) -> OfDelivery:
    return OfDelivery(delivery_id, caller.organisation)


async def _to_resend(delivery_id: DeliveryIdPath, caller: Writer) -> OfDelivery:
    return OfDelivery(delivery_id, caller.organisation)


ToRead = Annotated[OfDelivery, Depends(_to_read)]
"""The delivery in the path, asked for by the caller's organisation."""
ToResend = Annotated[OfDelivery, Depends(_to_resend)]
"""The delivery in the path, to be re-sent by the caller's organisation (a writer)."""


@router.get("", operation_id="listDeliveries", summary="Deliveries to the caller's subscriptions")
async def list_deliveries(
    caller: AuthenticatedCaller,
    session: Reading,
    request: Request,
    paging: Paging,
    subscription_id: Annotated[uuid.UUID | None, Query(alias="subscriptionId")] = None,
    status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
) -> Page[DeliveryOut]:
    query = DeliveryQuery(
        caller.organisation,
        subscription_id,
        None if status is None else DeliveryStatus(status),
        Window.of(paging),
    )
    found = await deliveries.list_deliveries(query, session)
    items = [DeliveryOut.of(d) for d in found.items]
    return Page[DeliveryOut].of(items, total=found.total, params=paging, request=request)


@router.get(
    "/{deliveryId}", operation_id="getDelivery", summary="One delivery", responses=NOT_FOUND
)
async def get_delivery(asked: ToRead, session: Reading) -> DeliveryOut:
    return DeliveryOut.of(await deliveries.get_delivery(asked, session))


@router.get(
    "/{deliveryId}/attempts",
    operation_id="listDeliveryAttempts",
    summary="The attempt log of a delivery: time, status or error, duration",
    responses=NOT_FOUND,
)
async def list_attempts(asked: ToRead, session: Reading) -> AttemptList:
    return AttemptList(
        items=[AttemptOut.of(a) for a in await deliveries.list_attempts(asked, session)]
    )


@router.post(
    "/{deliveryId}/resend",
    operation_id="resendDelivery",
    summary="Send a delivery again now, with a fresh round of retries (same webhook-id)",
    status_code=202,
    responses={**CONFLICT, **TOO_MANY_RESENDS},
)
async def resend_delivery(asked: ToResend, runtime: Runtime, ctx: Context) -> DeliveryOut:
    try:
        async with runtime.unit_of_work() as uow:
            resent = await deliveries.resend_delivery(asked, uow, ctx)
    except ResendsExhausted as exhausted:
        raise Problem(
            status=429, detail=str(exhausted), headers={"Retry-After": exhausted.retry_after}
        ) from None
    return DeliveryOut.of(resent)
