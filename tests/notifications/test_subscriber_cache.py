"""Routing reads subscriptions from memory, yet every change to them counts at once."""

from __future__ import annotations

import uuid

import pytest

from services.notifications.context import NotificationsContext
from services.notifications.service_layer.commands import OfSubscription
from services.notifications.service_layer.routing import route_event
from services.notifications.service_layer.subscriptions import delete_subscription
from shared.contracts.monitoring import ProgrammeFlagged
from shared.events.envelope import CloudEvent
from tests.notifications.conftest import (
    Service,
    cloud_event,
    deliver,
)
from tests.support import example

FIRST, SECOND = "prg-2026-0101", "prg-2026-0102"


def flag_about(programme_id: str) -> CloudEvent:
    data = example(
        ProgrammeFlagged,
        programmeId=programme_id,
        flagId=str(uuid.uuid4()),
        owningOrganisation="bz",
        partnerOrganisations=[],
    )
    return cloud_event(data)


async def reaches_inbox(service: Service, organisation: str, programme_id: str) -> bool:
    """Deliver a flag about ``programme_id``; whether it landed in ``organisation``'s inbox."""
    event = flag_about(programme_id)
    await deliver(service, event)
    inbox = await service.client.get("/v1/inbox", headers=service.auth(organisation, []))
    return event.id in {item["eventId"] for item in inbox.json()["items"]}


async def test_routing_follows_each_change_to_a_subscription(service: Service) -> None:
    assert not await reaches_inbox(service, "ind", FIRST), "nobody subscribed yet"
    created = await service.subscribe("ind", filters={"programmeId": [FIRST]})
    path = f"/v1/subscriptions/{created['subscriptionId']}"
    headers = service.auth("ind")
    assert await reaches_inbox(service, "ind", FIRST)
    assert not await reaches_inbox(service, "ind", SECOND)

    changed = await service.client.patch(
        path, json={"filters": {"programmeId": [SECOND]}}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert await reaches_inbox(service, "ind", SECOND)
    assert not await reaches_inbox(service, "ind", FIRST)

    assert (await service.client.delete(path, headers=headers)).status_code == 204
    assert not await reaches_inbox(service, "ind", SECOND)


async def test_a_transaction_routes_by_its_own_uncommitted_changes(service: Service) -> None:
    """Only committed changes are cached; the transaction that makes one sees it at once."""
    created = await service.subscribe("coa", filters={"programmeId": [FIRST]})
    subscription_id = uuid.UUID(created["subscriptionId"])
    ctx: NotificationsContext = service.app.state.context
    event = flag_about(FIRST)
    with pytest.raises(RuntimeError):
        async with service.runtime.unit_of_work() as uow:
            await delete_subscription(OfSubscription(subscription_id, "coa"), uow, ctx)
            routed = await ctx.subscribers.subscribers(uow.session)
            assert subscription_id not in {s.route.subscription_id for s in routed}
            await route_event(event, uow, ctx)
            raise RuntimeError("roll back")
    async with service.runtime.sessions() as session:
        routed = await ctx.subscribers.subscribers(session)
    assert subscription_id in {s.route.subscription_id for s in routed}, "rolled back"
    assert await reaches_inbox(service, "coa", FIRST)
