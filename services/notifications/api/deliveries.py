"""``/deliveries``: the delivery log of the caller's subscriptions, attempts, manual re-send.

Re-sends are limited per subscription (``RESEND_LIMIT`` per ``RESEND_WINDOW_S``,
``domain/resends.py``): past that, 429 with ``Retry-After``.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from services.notifications.api.common import (
    CONFLICT,
    NOT_FOUND,
    TOO_MANY_RESENDS,
    Context,
    DeliveryIdPath,
    Paging,
    Runtime,
    Writer,
)
from services.notifications.api.models import AttemptList, AttemptOut, DeliveryOut
from services.notifications.domain.rights import manages
from services.notifications.storage import store
from services.notifications.storage.tables import DeliveryRow
from shared.errors import Conflict, NotFound
from shared.http import AuthenticatedCaller, Caller, Problem
from shared.http.pagination import Page
from shared.service import ServiceRuntime

router = APIRouter(prefix="/deliveries", tags=["Deliveries"])


async def _own(runtime: ServiceRuntime, caller: Caller, delivery_id: uuid.UUID) -> DeliveryRow:
    async with runtime.sessions() as session:
        row = await store.delivery(session, delivery_id)
    if row is None or not manages(caller.organisation, row.organisation):
        raise NotFound("No delivery of your organisation has that id.")
    return row


@router.get("", operation_id="listDeliveries", summary="Deliveries to the caller's subscriptions")
async def list_deliveries(
    caller: AuthenticatedCaller,
    runtime: Runtime,
    request: Request,
    paging: Paging,
    subscription_id: Annotated[uuid.UUID | None, Query(alias="subscriptionId")] = None,
    status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
) -> Page[DeliveryOut]:
    async with runtime.sessions() as session:
        rows, total = await store.deliveries_of(
            session,
            caller.organisation,
            subscription_id=subscription_id,
            status=status,
            offset=paging.offset,
            limit=paging.page_size,
        )
    items = [DeliveryOut.of(r) for r in rows]
    return Page[DeliveryOut].of(items, total=total, params=paging, request=request)


@router.get(
    "/{deliveryId}", operation_id="getDelivery", summary="One delivery", responses=NOT_FOUND
)
async def get_delivery(
    delivery_id: DeliveryIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> DeliveryOut:
    return DeliveryOut.of(await _own(runtime, caller, delivery_id))


@router.get(
    "/{deliveryId}/attempts",
    operation_id="listDeliveryAttempts",
    summary="The attempt log of a delivery: time, status or error, duration",
    responses=NOT_FOUND,
)
async def list_attempts(
    delivery_id: DeliveryIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> AttemptList:
    await _own(runtime, caller, delivery_id)
    async with runtime.sessions() as session:
        rows = await store.attempts_of(session, delivery_id)
    return AttemptList(items=[AttemptOut.of(r) for r in rows])


@router.post(
    "/{deliveryId}/resend",
    operation_id="resendDelivery",
    summary="Send a delivery again now, with a fresh round of retries (same webhook-id)",
    status_code=202,
    responses={**CONFLICT, **TOO_MANY_RESENDS},
)
async def resend_delivery(
    delivery_id: DeliveryIdPath, caller: Writer, runtime: Runtime, ctx: Context
) -> DeliveryOut:
    await _own(runtime, caller, delivery_id)
    async with runtime.unit_of_work() as uow:
        row = await store.delivery(uow.session, delivery_id)
        assert row is not None
        subscription = await store.subscription(uow.session, row.subscription_id)
        if subscription is None or subscription.status != store.ACTIVE:
            raise Conflict("The subscription is not active: resume it before re-sending.")
        wait = ctx.resends.admit(row.subscription_id, time.monotonic())
        if wait is not None:
            settings = ctx.settings
            raise Problem(
                status=429,
                detail=f"At most {settings.resend_limit} re-sends per subscription every "
                f"{settings.resend_window_s:g} s; try again later.",
                headers={"Retry-After": ctx.resends.retry_after_header(wait)},
            )
        now = ctx.now()
        row.status = store.PENDING
        row.round_start = row.attempts
        row.next_attempt_at = now
        row.updated_at = now
        ctx.wake_after_commit(uow.session)
    return DeliveryOut.of(row)
