"""Flags end to end on the real broker.

Programmes' and countries' events are published to their topics as those
services would; monitoring consumes them and its answers are read back from
``taskforce.monitoring.v1``, starting at the offsets taken just before the test
acted. Replay restarts the service on the same database with its group moved
back to where the test began.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, ConsumerRecord

from shared.consumer import Outcome
from shared.contracts.countries import HumanRightsRiskAssessed
from shared.events.catalogue import topic_of
from shared.events.envelope import CloudEvent
from tests.databases import TestDatabases
from tests.harness import published_since
from tests.monitoring.conftest import (
    YEAR,
    approved,
    cloud_event,
    decided,
    result_body,
    risk_assessed,
    running,
    settings_for,
)
from tests.support import (
    commit_group_offsets,
    ends,
    eventually,
    header,
    producer_as,
    publish,
)

pytestmark = pytest.mark.kafka

MONITORING_TOPIC = topic_of("monitoring")


@pytest.fixture
async def producer(kafka_bootstrap: str, tmp_path: Any) -> AsyncIterator[AIOKafkaProducer]:
    started = producer_as(settings_for(tmp_path, kafka_bootstrap), "test-monitoring-publisher")
    await started.start()
    try:
        yield started
    finally:
        await started.stop()


def risk_again(event: CloudEvent) -> HumanRightsRiskAssessed:
    """The assessment ``event`` carries, to be published under a new event id."""
    return HumanRightsRiskAssessed.model_validate(event.data)


def of_type(records: list[ConsumerRecord[bytes, bytes]], name: str, key: str) -> list[Any]:
    return [
        json.loads(r.value)
        for r in records
        if r.key == key.encode() and (header(r, "ce_type") or "").endswith("." + name)
    ]


async def test_a_crossing_result_flags_once_redelivery_and_replay_add_none_and_review_resolves(
    kafka_bootstrap: str,
    tmp_path: Any,
    producer: AIOKafkaProducer,
    database: TestDatabases,
) -> None:
    settings = settings_for(tmp_path, kafka_bootstrap, database=database)
    programme_id = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    inputs = [topic_of("programmes"), topic_of("countries")]
    async with running(settings) as service:
        group = service.runtime.consumer.group_id
        begun = {t: await ends(kafka_bootstrap, t) for t in inputs}
        start = await ends(kafka_bootstrap, MONITORING_TOPIC)

        plan = cloud_event(approved(programme_id, ("SDN",)))
        await publish(producer, plan)
        await publish(producer, plan)  # redelivered

        async def planned() -> bool:
            response = await service.get(f"/programmes/{programme_id}/overview")
            return response.status_code == 200

        await eventually(planned)
        created = await service.post("/indicator-results", result_body(programme_id, "9"))
        assert created.status_code == 201, created.text

        risk = cloud_event(risk_assessed("SDN", "very-high", "medium"))
        await publish(producer, risk)
        await publish(producer, risk)  # redelivered

        async def risk_flagged() -> bool:
            flags = (await service.get("/flags", programmeId=programme_id)).json()
            return int(flags["totalItems"]) == 2

        await eventually(risk_flagged)
        records = await published_since(service, start)
        flagged = of_type(records, "programme-flagged", programme_id)
        assert sorted(f["category"] for f in flagged) == ["counterproductive", "risk"]
        counterproductive = next(f for f in flagged if f["category"] == "counterproductive")
        assert counterproductive["evidence"][0]["resourceId"] == created.json()["resultId"]
    # replay: the same database, the group moved back to where the test began
    for offsets in begun.values():
        await commit_group_offsets(kafka_bootstrap, group, offsets)
    async with running(settings, group=group) as replayed:
        start = await ends(kafka_bootstrap, MONITORING_TOPIC)
        # the same assessment once more under a new event id, as a re-emission would be
        reissued = cloud_event(risk_again(risk))
        await publish(producer, reissued)

        def caught_up() -> bool:
            counts = replayed.runtime.consumer.counts
            return counts[Outcome.DUPLICATE] >= 4 and counts[Outcome.HANDLED] >= 1

        await eventually(caught_up)
        flag_ids = [f["flagId"] for f in flagged]
        await publish(producer, cloud_event(decided(programme_id, flag_ids)))

        async def resolved() -> bool:
            flags = (await replayed.get("/flags", programmeId=programme_id, state="open")).json()
            return int(flags["totalItems"]) == 0

        await eventually(resolved)
        records = await published_since(replayed, start)
        assert of_type(records, "programme-flagged", programme_id) == []
        done = of_type(records, "flag-resolved", programme_id)
        assert sorted(r["flagId"] for r in done) == sorted(flag_ids)
        assert {r["decision"] for r in done} == {"adapt"}
