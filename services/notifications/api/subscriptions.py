"""``/subscriptions``: an organisation's subscriptions; it sees and manages only its own.

Another organisation's subscription answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from services.notifications.api.common import (
    CONFLICT,
    NOT_FOUND,
    Context,
    Reading,
    SubscriptionIdPath,
    Writer,
)
from services.notifications.api.subscription_models import (
    SecretOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)
from services.notifications.service_layer import subscriptions
from services.notifications.service_layer.commands import OfSubscription, SubscriptionQuery, Window
from shared.http import AuthenticatedCaller
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page

router = APIRouter(prefix="/subscriptions", tags=["Subscriptions"])


async def _to_read(
    subscription_id: SubscriptionIdPath, caller: AuthenticatedCaller
) -> OfSubscription:
    return OfSubscription(subscription_id, caller.organisation)


async def _to_change(subscription_id: SubscriptionIdPath, caller: Writer) -> OfSubscription:
    return OfSubscription(subscription_id, caller.organisation)


ToRead = Annotated[OfSubscription, Depends(_to_read)]
"""The subscription in the path, asked for by the caller's organisation."""
ToChange = Annotated[OfSubscription, Depends(_to_change)]
"""The subscription in the path, to be changed by the caller's organisation (a writer)."""


@router.get("", operation_id="listSubscriptions", summary="The caller's subscriptions")
async def list_subscriptions(
    caller: AuthenticatedCaller, session: Reading, request: Request, paging: Paging
) -> Page[SubscriptionOut]:
    query = SubscriptionQuery(caller.organisation, Window.of(paging))
    found = await subscriptions.list_subscriptions(query, session)
    items = [SubscriptionOut.of(s) for s in found.items]
    return Page[SubscriptionOut].of(items, total=found.total, params=paging, request=request)


@router.post(
    "",
    operation_id="createSubscription",
    summary="Subscribe the caller's organisation (the endpoint is verified with a test call)",
    status_code=201,
)
async def create_subscription(
    body: SubscriptionIn, caller: Writer, runtime: Runtime, ctx: Context, response: Response
) -> SubscriptionCreated:
    """The answer carries the signing secret: it is not shown again."""
    created = await subscriptions.create_subscription(
        body.command(caller.organisation), runtime, ctx
    )
    response.headers["Location"] = ctx.links.subscription(created.subscription.subscription_id)
    return SubscriptionCreated.shown(created.subscription, created.secret)


@router.get(
    "/{subscriptionId}",
    operation_id="getSubscription",
    summary="One subscription",
    responses=NOT_FOUND,
)
async def get_subscription(asked: ToRead, session: Reading) -> SubscriptionOut:
    return SubscriptionOut.of(await subscriptions.get_subscription(asked, session))


@router.patch(
    "/{subscriptionId}",
    operation_id="changeSubscription",
    summary="Change what a subscription selects or where it delivers",
    responses=NOT_FOUND,
)
async def change_subscription(
    subscription_id: SubscriptionIdPath,
    body: SubscriptionPatch,
    caller: Writer,
    runtime: Runtime,
    ctx: Context,
) -> SubscriptionOut:
    """A new URL is verified with a test call first; a subscription without one gets a secret then.

    Named sinks without `webhook` drop the url; without `sinks`, a new url adds the
    webhook sink and `url: null` removes it (see `domain/sinks.after_change`).
    """
    command = body.command(subscription_id, caller.organisation)
    return SubscriptionOut.of(await subscriptions.change_subscription(command, runtime, ctx))


@router.delete(
    "/{subscriptionId}",
    operation_id="deleteSubscription",
    summary="Delete a subscription (its delivery log is kept; pending deliveries fail)",
    status_code=204,
    responses=NOT_FOUND,
)
async def delete_subscription(asked: ToChange, runtime: Runtime, ctx: Context) -> Response:
    async with runtime.unit_of_work() as uow:
        await subscriptions.delete_subscription(asked, uow, ctx)
    return Response(status_code=204)


@router.post(
    "/{subscriptionId}/pause",
    operation_id="pauseSubscription",
    summary="Pause pushes: no webhooks or stream records (the inbox still receives; "
    "queued deliveries wait)",
    responses=CONFLICT,
)
async def pause_subscription(asked: ToChange, runtime: Runtime, ctx: Context) -> SubscriptionOut:
    async with runtime.unit_of_work() as uow:
        return SubscriptionOut.of(await subscriptions.pause_subscription(asked, uow, ctx))


@router.post(
    "/{subscriptionId}/resume",
    operation_id="resumeSubscription",
    summary="Resume a paused or disabled subscription (a disabled one is verified again)",
    responses=NOT_FOUND,
)
async def resume_subscription(asked: ToChange, runtime: Runtime, ctx: Context) -> SubscriptionOut:
    return SubscriptionOut.of(await subscriptions.resume_subscription(asked, runtime, ctx))


@router.post(
    "/{subscriptionId}/secret-rotations",
    operation_id="rotateSubscriptionSecret",
    summary="Rotate the signing secret (the old one keeps signing for a grace period)",
    status_code=201,
    responses=CONFLICT,
)
async def rotate_secret(asked: ToChange, runtime: Runtime, ctx: Context) -> SecretOut:
    """The answer carries the new secret: it is not shown again."""
    async with runtime.unit_of_work() as uow:
        rotated = await subscriptions.rotate_secret(asked, uow, ctx)
    return SecretOut(
        subscription_id=rotated.subscription_id,
        secret=rotated.secret,
        previous_secret_valid_until=rotated.previous_secret_valid_until,
    )
