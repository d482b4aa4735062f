"""``/subscriptions``: an organisation's subscriptions; it sees and manages only its own.

Another organisation's subscription answers 404, as if it did not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from fastapi import APIRouter, Request, Response

from services.notifications.api.common import (
    CONFLICT,
    NOT_FOUND,
    Context,
    Paging,
    Runtime,
    SubscriptionIdPath,
    Writer,
)
from services.notifications.api.models import (
    FiltersIn,
    SecretOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    stored_filters,
)
from services.notifications.context import NotificationsContext
from services.notifications.domain.rights import manages
from services.notifications.domain.routing import check_selection
from services.notifications.domain.signing import is_valid_secret, new_secret
from services.notifications.domain.sinks import (
    Sink,
    after_change,
    canonical,
    check_sinks,
    default_sinks,
)
from services.notifications.domain.urls import check_form
from services.notifications.storage import store
from services.notifications.storage.tables import SubscriptionRow
from services.notifications.verification import verify_endpoint
from services.notifications.webhooks import RefusedAddress, target_of
from shared.errors import Conflict, Forbidden, NotFound, Violation, invalid
from shared.http import AuthenticatedCaller, Caller
from shared.http.pagination import Page
from shared.organisations import is_known_organisation
from shared.service import ServiceRuntime

router = APIRouter(prefix="/subscriptions", tags=["Subscriptions"])


async def _check(
    ctx: NotificationsContext,
    url: str | None,
    event_types: list[str],
    channels: list[str],
    filters: FiltersIn,
    sinks: Sequence[Sink],
) -> None:
    """Every reason the subscription is refused, in one 422."""
    violations = check_selection(event_types, channels, filters.domain())
    violations += check_sinks(sinks, url)
    if url is not None and Sink.WEBHOOK in sinks:
        allowed = ctx.settings.allowed_endpoints
        reasons = check_form(url, allowed)
        if not reasons:
            try:
                await target_of(url, allowed, ctx.resolve)
            except RefusedAddress as refused:
                reasons = [refused.reason]
        violations += [Violation("url", reason) for reason in reasons]
    if violations:
        invalid(violations)


async def _verify(
    ctx: NotificationsContext,
    runtime: ServiceRuntime,
    url: str,
    secret: str,
    subscription_id: uuid.UUID,
    organisation: str,
) -> None:
    failure = await verify_endpoint(
        ctx,
        url=url,
        secret=secret,
        subscription_id=subscription_id,
        organisation=organisation,
        source=runtime.settings.source_for("notifications"),
        now=ctx.now(),
    )
    if failure is not None:
        invalid([Violation("url", failure)])


async def _own(
    runtime: ServiceRuntime, caller: Caller, subscription_id: uuid.UUID
) -> SubscriptionRow:
    async with runtime.sessions() as session:
        row = await store.subscription(session, subscription_id)
    if (
        row is None
        or not manages(caller.organisation, row.organisation)
        or row.status == store.DELETED
    ):
        raise NotFound("No subscription of your organisation has that id.")
    return row


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
    if not is_known_organisation(caller.organisation):
        raise Forbidden(f"Organisation {caller.organisation!r} is not in the taskforce registry.")
    organisation = caller.organisation
    sinks = canonical(body.sinks) if body.sinks is not None else default_sinks(body.url)
    await _check(ctx, body.url, body.event_types, body.channels, body.filters, sinks)
    if body.secret is not None and not is_valid_secret(body.secret):
        invalid([Violation("secret", "not whsec_ + base64 of 24-64 bytes")])
    secret = body.secret or new_secret()
    subscription_id = uuid.uuid4()
    now = ctx.now()
    if body.url is not None:
        await _verify(ctx, runtime, body.url, secret, subscription_id, organisation)
    row = SubscriptionRow(
        subscription_id=subscription_id,
        organisation=organisation,
        url=body.url,
        description=body.description,
        event_types=list(dict.fromkeys(body.event_types)),
        channels=list(dict.fromkeys(body.channels)),
        filters=stored_filters(body.filters.domain()),
        sinks=[s.value for s in sinks],
        status=store.ACTIVE,
        status_reason=None,
        secret=ctx.secrets.seal(secret) if body.url is not None else None,
        previous_secret=None,
        previous_secret_until=None,
        verified_at=now if body.url is not None else None,
        created_at=now,
        updated_at=now,
    )
    async with runtime.unit_of_work() as uow:
        uow.session.add(row)
    response.headers["Location"] = ctx.subscription_url(subscription_id)
    shown = SubscriptionCreated.model_validate(SubscriptionOut.of(row).model_dump())
    return shown.model_copy(update={"secret": secret if body.url is not None else None})


@router.get("", operation_id="listSubscriptions", summary="The caller's subscriptions")
async def list_subscriptions(
    caller: AuthenticatedCaller,
    runtime: Runtime,
    request: Request,
    paging: Paging,
) -> Page[SubscriptionOut]:
    async with runtime.sessions() as session:
        rows, total = await store.subscriptions_of(
            session, caller.organisation, offset=paging.offset, limit=paging.page_size
        )
    items = [SubscriptionOut.of(r) for r in rows]
    return Page[SubscriptionOut].of(items, total=total, params=paging, request=request)


@router.get(
    "/{subscriptionId}",
    operation_id="getSubscription",
    summary="One subscription",
    responses=NOT_FOUND,
)
async def get_subscription(
    subscription_id: SubscriptionIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> SubscriptionOut:
    return SubscriptionOut.of(await _own(runtime, caller, subscription_id))


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
    row = await _own(runtime, caller, subscription_id)
    sinks, url = after_change(
        [Sink(s) for s in row.sinks],
        row.url,
        new_sinks=body.sinks,
        url_sent="url" in body.model_fields_set,
        new_url=body.url,
    )
    event_types = body.event_types if body.event_types is not None else list(row.event_types)
    channels = body.channels if body.channels is not None else list(row.channels)
    filters = body.filters if body.filters is not None else FiltersIn.model_validate(row.filters)
    await _check(ctx, url, event_types, channels, filters, sinks)
    secret = ctx.secrets.open(row.secret) if row.secret else new_secret()
    sealed = row.secret or ctx.secrets.seal(secret)
    url_changed = url is not None and url != row.url
    if url_changed:
        assert url is not None
        await _verify(ctx, runtime, url, secret, subscription_id, row.organisation)
    now = ctx.now()
    async with runtime.unit_of_work() as uow:
        current = await store.subscription(uow.session, subscription_id, for_update=True)
        assert current is not None
        current.url = url
        current.description = (
            body.description if body.description is not None else current.description
        )
        current.event_types = list(dict.fromkeys(event_types))
        current.channels = list(dict.fromkeys(channels))
        current.filters = stored_filters(filters.domain())
        current.sinks = [s.value for s in sinks]
        current.secret = sealed if url is not None else current.secret
        if url_changed:
            current.verified_at = now
        current.updated_at = now
        row = current
    return SubscriptionOut.of(row)


@router.delete(
    "/{subscriptionId}",
    operation_id="deleteSubscription",
    summary="Delete a subscription (its delivery log is kept; pending deliveries fail)",
    status_code=204,
    responses=NOT_FOUND,
)
async def delete_subscription(
    subscription_id: SubscriptionIdPath, caller: Writer, runtime: Runtime, ctx: Context
) -> Response:
    await _own(runtime, caller, subscription_id)
    async with runtime.unit_of_work() as uow:
        row = await store.subscription(uow.session, subscription_id, for_update=True)
        assert row is not None
        row.status = store.DELETED
        row.status_reason = "Deleted by its organisation."
        row.secret = None
        row.previous_secret = None
        row.previous_secret_until = None
        row.updated_at = ctx.now()
        ctx.wake_after_commit(uow.session)  # its pending deliveries fail now
    return Response(status_code=204)


@router.post(
    "/{subscriptionId}/pause",
    operation_id="pauseSubscription",
    summary="Pause pushes: no webhooks or stream records (the inbox still receives; "
    "queued deliveries wait)",
    responses=CONFLICT,
)
async def pause_subscription(
    subscription_id: SubscriptionIdPath, caller: Writer, runtime: Runtime, ctx: Context
) -> SubscriptionOut:
    row = await _own(runtime, caller, subscription_id)
    if row.status == store.DISABLED:
        raise Conflict("The subscription is disabled; resume it instead.")
    async with runtime.unit_of_work() as uow:
        current = await store.subscription(uow.session, subscription_id, for_update=True)
        assert current is not None
        current.status = store.PAUSED
        current.status_reason = "Paused by its organisation."
        current.updated_at = ctx.now()
        row = current
    return SubscriptionOut.of(row)


@router.post(
    "/{subscriptionId}/resume",
    operation_id="resumeSubscription",
    summary="Resume a paused or disabled subscription (a disabled one is verified again)",
    responses=NOT_FOUND,
)
async def resume_subscription(
    subscription_id: SubscriptionIdPath, caller: Writer, runtime: Runtime, ctx: Context
) -> SubscriptionOut:
    row = await _own(runtime, caller, subscription_id)
    if row.status == store.DISABLED and row.url is not None and row.secret is not None:
        secret = ctx.secrets.open(row.secret)
        await _verify(ctx, runtime, row.url, secret, subscription_id, row.organisation)
    async with runtime.unit_of_work() as uow:
        current = await store.subscription(uow.session, subscription_id, for_update=True)
        assert current is not None
        current.status = store.ACTIVE
        current.status_reason = None
        current.updated_at = ctx.now()
        row = current
        ctx.wake_after_commit(uow.session)
    return SubscriptionOut.of(row)


@router.post(
    "/{subscriptionId}/secret-rotations",
    operation_id="rotateSubscriptionSecret",
    summary="Rotate the signing secret (the old one keeps signing for a grace period)",
    status_code=201,
    responses=CONFLICT,
)
async def rotate_secret(
    subscription_id: SubscriptionIdPath, caller: Writer, runtime: Runtime, ctx: Context
) -> SecretOut:
    """The answer carries the new secret: it is not shown again."""
    row = await _own(runtime, caller, subscription_id)
    if row.url is None:
        raise Conflict("An inbox-only subscription has no signing secret.")
    now = ctx.now()
    until = now + timedelta(seconds=ctx.settings.secret_grace_s)
    secret = new_secret()
    async with runtime.unit_of_work() as uow:
        current = await store.subscription(uow.session, subscription_id, for_update=True)
        assert current is not None
        current.previous_secret = current.secret  # sealed as it was
        current.previous_secret_until = until
        current.secret = ctx.secrets.seal(secret)
        current.updated_at = now
    return SecretOut(
        subscription_id=subscription_id, secret=secret, previous_secret_valid_until=until
    )
