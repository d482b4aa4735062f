"""Adaptive management end to end on the real broker.

Events are published to the monitoring and countries topics as those services
would; the programmes service consumes them with its own handlers, and its
answers are read back from ``taskforce.programmes.v1``. The test broker keeps
earlier runs' records, so every read starts at the offsets taken just before
the test acted, and each runtime reads with a group of its own.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from shared.consumer import Outcome
from shared.events.catalogue import topic_of
from tests.databases import TestDatabases
from tests.harness import Offsets, outbox_drained, published_since
from tests.programmes.conftest import (
    DECIDE,
    Service,
    cloud_event,
    flagged,
    risk_assessed,
    running,
    settings_for,
)
from tests.support import ends, eventually, header, producer_as, publish

pytestmark = pytest.mark.kafka

PROGRAMMES_TOPIC = topic_of("programmes")


@pytest.fixture(scope="module")
async def live(
    kafka_bootstrap: str,
    tmp_path_factory: pytest.TempPathFactory,
    database: TestDatabases,
) -> AsyncIterator[tuple[Service, AIOKafkaProducer]]:
    settings = settings_for(tmp_path_factory.mktemp("live"), kafka_bootstrap, database=database)
    producer = producer_as(settings, "test-programmes-publisher")
    await producer.start()
    try:
        async with running(settings) as service:
            yield service, producer
    finally:
        await producer.stop()


async def mark(service: Service) -> Offsets:
    """Where the service's topic ends once everything it committed so far is published."""
    await eventually(lambda: outbox_drained(service))
    return await ends(service.settings.kafka_bootstrap_servers, PROGRAMMES_TOPIC)


def of_type(records: list[ConsumerRecord[bytes, bytes]], name: str, key: str) -> list[Any]:
    return [
        json.loads(r.value)
        for r in records
        if r.key == key.encode() and (header(r, "ce_type") or "").endswith("." + name)
    ]


async def reviews_of(service: Service, programme_id: str) -> list[dict[str, Any]]:
    response = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews", headers=service.auth()
    )
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_flag_arriving_twice_opens_exactly_one_review(
    live: tuple[Service, AIOKafkaProducer],
) -> None:
    service, producer = live
    programme_id = await service.approved()
    start = await mark(service)
    duplicates = service.runtime.consumer.counts[Outcome.DUPLICATE]

    event = cloud_event(flagged(programme_id, severity="high", category="counterproductive"))
    await publish(producer, event)
    await publish(producer, event)
    await eventually(lambda: service.runtime.consumer.counts[Outcome.DUPLICATE] > duplicates)

    (review,) = await reviews_of(service, programme_id)
    assert [t["eventId"] for t in review["triggers"]] == [event.id]
    opened = of_type(await published_since(service, start), "review-opened", programme_id)
    assert len(opened) == 1
    assert opened[0]["reviewId"] == review["reviewId"]
    assert opened[0]["triggers"] == [
        {"eventId": event.id, "eventType": event.type, "source": event.source}
    ]
    assert opened[0]["flagIds"] == [event.data["flagId"]]


async def test_high_risk_in_a_recipient_country_opens_a_review_on_each_active_programme(
    live: tuple[Service, AIOKafkaProducer],
) -> None:
    service, producer = live
    country = "MLI"
    first = await service.approved(
        recipientCountries=[{"countryCode": country, "percentage": "100"}]
    )
    second = await service.approved(
        recipientCountries=[
            {"countryCode": "NER", "percentage": "60"},
            {"countryCode": country, "percentage": "40"},
        ]
    )
    pipeline = await service.create(
        recipientCountries=[{"countryCode": country, "percentage": "100"}]
    )
    start = await mark(service)

    assessment = cloud_event(risk_assessed(country, "high", previous="medium"))
    await publish(producer, assessment)
    await eventually(lambda: _reviewed(service, first, second))

    records = await published_since(service, start)
    for programme_id in (first, second):
        (review,) = await reviews_of(service, programme_id)
        assert review["triggers"][0]["eventId"] == assessment.id
        assert review["triggers"][0]["countryCode"] == country
        (opened,) = of_type(records, "review-opened", programme_id)
        assert opened["triggers"][0]["eventType"] == assessment.type
        assert country in opened["countryCodes"]
    assert await reviews_of(service, pipeline) == []
    assert of_type(records, "review-opened", pipeline) == []


async def _reviewed(service: Service, *programme_ids: str) -> bool:
    for programme_id in programme_ids:
        if not await reviews_of(service, programme_id):
            return False
    return True


async def test_a_decision_emits_review_decided(live: tuple[Service, AIOKafkaProducer]) -> None:
    service, producer = live
    programme_id = await service.approved()
    event = cloud_event(flagged(programme_id, severity="critical"))
    await publish(producer, event)
    await eventually(lambda: _reviewed(service, programme_id))
    (review,) = await reviews_of(service, programme_id)
    start = await mark(service)

    response = await service.client.post(
        f"/v1/programmes/{programme_id}/reviews/{review['reviewId']}/decision",
        json={"decision": "suspend", "rationale": "Pending an independent investigation."},
        headers=service.auth("am", [DECIDE]),
    )
    assert response.status_code == 201, response.text

    records = await published_since(service, start)
    (decided,) = of_type(records, "review-decided", programme_id)
    assert decided["reviewId"] == review["reviewId"]
    assert decided["decision"] == "suspend"
    assert decided["flagIds"] == [event.data["flagId"]]
    assert decided["disbursementsOnHold"] is True
    assert decided["resultingStatus"] == 6
    (changed,) = of_type(records, "programme-status-changed", programme_id)
    assert (changed["previousStatus"], changed["status"], changed["reviewId"]) == (
        2,
        6,
        review["reviewId"],
    )
    keyed = [r for r in records if r.key == programme_id.encode()]
    assert [header(r, "ce_type") for r in keyed][-2:] == [
        "nl.migratiesamenwerking.programmes.review-decided",
        "nl.migratiesamenwerking.programmes.programme-status-changed",
    ], "the decision comes before the status change it causes, on one partition"
