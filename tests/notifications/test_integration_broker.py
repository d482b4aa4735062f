"""Notifications end to end on the real broker, with a real local HTTP receiver.

Events are published to the monitoring topic as that service would; the
notifications service consumes them with its own group (positioned at the
topics' ends), routes them, and its worker delivers to the receiver.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from shared.events.catalogue import CATALOGUE
from shared.events.envelope import CloudEvent
from tests.databases import TestDatabases
from tests.notifications.conftest import (
    Service,
    cloud_event,
    fast_settings,
    flagged,
    running,
    settings_for,
)
from tests.support import eventually, producer_as
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.kafka


@pytest.fixture
async def producer(kafka_bootstrap: str, tmp_path: Path) -> AsyncIterator[AIOKafkaProducer]:
    started = producer_as(settings_for(tmp_path, kafka_bootstrap), "test-monitoring-publisher")
    await started.start()
    yield started
    await started.stop()


async def publish(producer: AIOKafkaProducer, event: CloudEvent) -> None:
    record = event.to_record(CATALOGUE[event.type].topic, event.subject)
    await producer.send_and_wait(
        record.topic, value=record.value, key=record.key, headers=record.headers
    )


async def delivery_states(service: Service) -> list[tuple[str, int]]:
    return [(d.status, d.attempts) for d in await service.deliveries()]


async def test_a_flag_reaches_exactly_the_matching_subscriptions_once(
    kafka_bootstrap: str,
    tmp_path: Path,
    producer: AIOKafkaProducer,
    receiver: Receiver,
    database: TestDatabases,
) -> None:
    async with running(settings_for(tmp_path, kafka_bootstrap, database=database)) as service:
        secrets = {}
        for organisation in ("am", "kmar", "bz", "def"):
            created = await service.subscribe(
                organisation,
                url=receiver.url(f"/{organisation}"),
                eventTypes=["nl.migratiesamenwerking.monitoring.programme-flagged"],
                channels=[],
                filters={"owningOrganisation": ["mine"], "severityAtLeast": "high"},
            )
            secrets[organisation] = created["secret"]
        event = cloud_event(
            flagged(owningOrganisation="am", partnerOrganisations=["kmar"], severity="critical")
        )
        quiet = cloud_event(flagged(owningOrganisation="am", severity="low"))
        await publish(producer, event)
        await publish(producer, event)  # a redelivery: no second notification
        await publish(producer, quiet)
        await eventually(
            lambda: {r.path for r in receiver.deliveries()} == {"/am", "/kmar", "/def"}
        )
        await asyncio.sleep(1.0)  # room for any duplicate to show up
        by_path = {r.path: r for r in receiver.deliveries()}
        assert len(receiver.deliveries()) == 3, "each matching subscription once, bz none"
        for organisation, received in by_path.items():
            body = received.verified(secrets[organisation.strip("/")])
            assert body["id"] == event.id
        inbox = await service.client.get("/v1/inbox", headers=service.auth("bz", []))
        assert inbox.json()["items"] == []


async def test_a_receiver_that_was_down_gets_the_delivery_when_it_is_back(
    kafka_bootstrap: str,
    tmp_path: Path,
    producer: AIOKafkaProducer,
    receiver: Receiver,
    database: TestDatabases,
) -> None:
    async with running(settings_for(tmp_path, kafka_bootstrap, database=database)) as service:
        created = await service.subscribe("ind", url=receiver.url("/ind"))
        receiver.stop()
        event = cloud_event(flagged(owningOrganisation="bz", partnerOrganisations=["ind"]))
        await publish(producer, event)
        await eventually(
            lambda: _attempted(service, at_least=2), timeout=15
        )  # failed twice while down
        receiver.start()
        await eventually(lambda: receiver.deliveries("/ind"), timeout=15)
        (received,) = receiver.deliveries("/ind")
        assert received.verified(created["secret"])["id"] == event.id
        await eventually(lambda: _all_delivered(service))
        names = [e.name for e in await service.emitted() if e.key == created["subscriptionId"]]
        assert names.count("notification-delivered") == 1
        assert names.count("delivery-failed") >= 2


async def _attempted(service: Service, *, at_least: int) -> bool:
    return any(attempts >= at_least for _, attempts in await delivery_states(service))


async def _all_delivered(service: Service) -> bool:
    states = await delivery_states(service)
    return bool(states) and all(status == "delivered" for status, _ in states)


async def test_a_restart_mid_backoff_loses_nothing(
    kafka_bootstrap: str,
    tmp_path: Path,
    producer: AIOKafkaProducer,
    receiver: Receiver,
    database: TestDatabases,
) -> None:
    settings = settings_for(tmp_path, kafka_bootstrap, database=database)
    slow = fast_settings(retry_initial_s=2.0, retry_jitter=0.0)
    async with running(settings, slow) as service:
        created = await service.subscribe("coa", url=receiver.url("/coa"))
        group = service.runtime.consumer.group_id
        receiver.stop()
        event = cloud_event(flagged(owningOrganisation="am", partnerOrganisations=["coa"]))
        await publish(producer, event)
        await eventually(lambda: _attempted(service, at_least=1), timeout=15)
        (before,) = await service.deliveries()
        assert before.status == "pending"
    receiver.start()  # back while the service is down
    async with running(settings, slow, group_id=group) as restarted:
        await eventually(lambda: receiver.deliveries("/coa"), timeout=15)
        (received,) = receiver.deliveries("/coa")
        assert received.webhook_id == str(before.delivery_id)
        assert received.verified(created["secret"])["id"] == event.id
        await eventually(lambda: _all_delivered(restarted))
        (after,) = await restarted.deliveries()
        assert after.attempts == 2


async def test_410_gone_disables_the_subscription(
    kafka_bootstrap: str,
    tmp_path: Path,
    producer: AIOKafkaProducer,
    receiver: Receiver,
    database: TestDatabases,
) -> None:
    async with running(settings_for(tmp_path, kafka_bootstrap, database=database)) as service:
        created = await service.subscribe("politie", url=receiver.url("/politie"))
        receiver.default_status = 410
        await publish(producer, cloud_event(flagged(owningOrganisation="jenv")))
        await eventually(
            lambda: _status(service, created["subscriptionId"], "disabled"), timeout=15
        )
        await publish(producer, cloud_event(flagged(owningOrganisation="jenv")))
        await eventually(lambda: _inbox_size(service, "politie", 2))
        await asyncio.sleep(0.5)
        assert len(receiver.deliveries("/politie")) == 1, "nothing more after 410"
        failed = [e.data for e in await service.emitted() if e.name == "delivery-failed"]
        assert [(f["httpStatus"], f["final"]) for f in failed] == [(410, True)]


async def _status(service: Service, subscription_id: str, status: str) -> bool:
    return await service.subscription_status(subscription_id) == status


async def _inbox_size(service: Service, organisation: str, size: int) -> bool:
    found = await service.client.get("/v1/inbox", headers=service.auth(organisation, []))
    return bool(found.json()["totalItems"] == size)
