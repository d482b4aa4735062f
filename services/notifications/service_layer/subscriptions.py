"""The subscription use cases: create, read, change, pause, resume, delete, rotate the secret.

An organisation sees and manages only its own subscriptions; another's is
answered as if it did not exist (404, ``domain/rights.py``), and so is a
deleted one. A use case that calls the receiver (creating, changing the url,
resuming a disabled webhook) makes the test call first and opens its unit of
work after it (``changes.Transactions``); each re-reads the subscription in
that unit of work, locked, and changes what it finds there.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.context import NotificationsContext
from services.notifications.domain.rights import held_by
from services.notifications.domain.signing import is_valid_secret, new_secret
from services.notifications.domain.sinks import after_change, canonical, default_sinks
from services.notifications.domain.subscriptions import Selection, Subscription
from services.notifications.service_layer.changes import (
    Transactions,
    deliveries_due,
    subscriptions_changed,
)
from services.notifications.service_layer.commands import (
    ChangeSubscription,
    CreateSubscription,
    Listing,
    OfSubscription,
    SubscriptionQuery,
)
from services.notifications.service_layer.verification import check_subscription, verify_endpoint
from services.notifications.storage import subscriptions
from shared.errors import Forbidden, Violation, invalid
from shared.organisations import is_known_organisation
from shared.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Created:
    subscription: Subscription
    #: The signing secret in clear, shown this once (``None`` without a webhook).
    secret: str | None


@dataclass(frozen=True)
class Rotated:
    subscription_id: uuid.UUID
    #: The new signing secret in clear, shown this once.
    secret: str
    previous_secret_valid_until: datetime


async def _held(
    session: AsyncSession, asked: OfSubscription, *, for_update: bool = False
) -> Subscription:
    """The subscription, if the asking organisation holds it and it is not deleted."""
    found = await subscriptions.get(session, asked.subscription_id, for_update=for_update)
    if found is not None and found.is_deleted:
        found = None  # as if it did not exist
    return held_by(asked.organisation, found, "subscription")


async def create_subscription(
    command: CreateSubscription, transactions: Transactions, ctx: NotificationsContext
) -> Created:
    """The endpoint is verified with a test call first; the answer carries the secret."""
    organisation = command.organisation
    if not is_known_organisation(organisation):
        raise Forbidden(f"Organisation {organisation!r} is not in the taskforce registry.")
    url = command.url
    sinks = canonical(command.sinks) if command.sinks is not None else default_sinks(url)
    await check_subscription(
        url, command.event_types, command.channels, command.filters, sinks, ctx
    )
    if command.secret is not None and not is_valid_secret(command.secret):
        invalid([Violation("secret", "not whsec_ + base64 of 24-64 bytes")])
    secret = command.secret or new_secret()
    subscription_id = uuid.uuid4()
    now = ctx.now()
    if url is not None:
        await verify_endpoint(
            url, secret, subscription_id=subscription_id, organisation=organisation, ctx=ctx
        )
    created = Subscription.new(
        organisation,
        url=url,
        sinks=sinks,
        description=command.description,
        selection=Selection.of(command.event_types, command.channels, command.filters),
        sealed_secret=ctx.secrets.seal(secret) if url is not None else None,
        now=now,
        subscription_id=subscription_id,
    )
    async with transactions.unit_of_work() as uow:
        await subscriptions.add(uow.session, created)
        await subscriptions_changed(uow, ctx)
    return Created(created, secret if url is not None else None)


async def get_subscription(asked: OfSubscription, session: AsyncSession) -> Subscription:
    return await _held(session, asked)


async def list_subscriptions(
    query: SubscriptionQuery, session: AsyncSession
) -> Listing[Subscription]:
    found, total = await subscriptions.of_organisation(
        session, query.organisation, offset=query.window.offset, limit=query.window.limit
    )
    return Listing(found, total)


async def change_subscription(
    command: ChangeSubscription, transactions: Transactions, ctx: NotificationsContext
) -> Subscription:
    """A new url is verified with a test call first; a subscription without one gets a secret.

    Named sinks without ``webhook`` drop the url; without sinks, a new url adds
    the webhook sink and ``url: null`` removes it (``domain/sinks.after_change``).
    """
    asked = OfSubscription(command.subscription_id, command.organisation)
    async with transactions.sessions() as session:
        held = await _held(session, asked)
    sinks, url = after_change(
        held.sinks,
        held.url,
        new_sinks=command.sinks,
        url_sent=command.url_sent,
        new_url=command.url,
    )
    was = held.selection
    event_types = command.event_types if command.event_types is not None else was.event_types
    channels = command.channels if command.channels is not None else was.channels
    filters = command.filters if command.filters is not None else was.filters
    await check_subscription(url, event_types, channels, filters, sinks, ctx)
    secret = ctx.secrets.open(held.secret) if held.secret else new_secret()
    sealed = held.secret or ctx.secrets.seal(secret)
    url_changed = url is not None and url != held.url
    if url is not None and url_changed:
        await verify_endpoint(
            url,
            secret,
            subscription_id=held.subscription_id,
            organisation=held.organisation,
            ctx=ctx,
        )
    now = ctx.now()
    async with transactions.unit_of_work() as uow:
        current = await _held(uow.session, asked, for_update=True)
        changed = current.changed(
            url=url,
            sinks=sinks,
            description=command.description,
            selection=Selection.of(event_types, channels, filters),
            sealed_secret=sealed,
            verified=url_changed,
            now=now,
        )
        await subscriptions.save(uow.session, changed)
        await subscriptions_changed(uow, ctx)
    return changed


async def pause_subscription(
    asked: OfSubscription, uow: UnitOfWork, ctx: NotificationsContext
) -> Subscription:
    """No more pushes (webhooks, stream records); the inbox still fills, queued deliveries wait."""
    paused = (await _held(uow.session, asked, for_update=True)).paused(ctx.now())
    await subscriptions.save(uow.session, paused)
    await subscriptions_changed(uow, ctx)
    return paused


async def resume_subscription(
    asked: OfSubscription, transactions: Transactions, ctx: NotificationsContext
) -> Subscription:
    """A paused or disabled subscription is active again (a disabled one verified first)."""
    async with transactions.sessions() as session:
        held = await _held(session, asked)
    to_verify = held.to_verify_on_resume
    if to_verify is not None:
        url, sealed = to_verify
        await verify_endpoint(
            url,
            ctx.secrets.open(sealed),
            subscription_id=held.subscription_id,
            organisation=held.organisation,
            ctx=ctx,
        )
    async with transactions.unit_of_work() as uow:
        resumed = (await _held(uow.session, asked, for_update=True)).resumed(ctx.now())
        await subscriptions.save(uow.session, resumed)
        await subscriptions_changed(uow, ctx)
        deliveries_due(uow, ctx)  # its queued deliveries are due again
    return resumed


async def delete_subscription(
    asked: OfSubscription, uow: UnitOfWork, ctx: NotificationsContext
) -> None:
    """Its delivery log is kept; its pending deliveries fail at their next attempt."""
    deleted = (await _held(uow.session, asked, for_update=True)).deleted(ctx.now())
    await subscriptions.save(uow.session, deleted)
    await subscriptions_changed(uow, ctx)
    deliveries_due(uow, ctx)  # its pending deliveries fail now


async def rotate_secret(
    asked: OfSubscription, uow: UnitOfWork, ctx: NotificationsContext
) -> Rotated:
    """A new signing secret; the old one keeps signing beside it for the grace period."""
    held = await _held(uow.session, asked, for_update=True)
    now = ctx.now()
    until = now + timedelta(seconds=ctx.settings.secret_grace_s)
    secret = new_secret()
    rotated = held.rotated(ctx.secrets.seal(secret), until=until, now=now)
    await subscriptions.save(uow.session, rotated)
    await subscriptions_changed(uow, ctx)
    return Rotated(held.subscription_id, secret, until)
