"""The read model of countries, from `taskforce.countries.v1`, rebuildable by replay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.consumer import Outcome
from shared.contracts.countries import CountryProfileUpdated, FocusDesignationChanged
from shared.events.envelope import CloudEvent
from tests.databases import TestDatabases
from tests.programmes.conftest import (
    Service,
    cloud_event,
    deliver,
    risk_assessed,
    running,
    settings_for,
)
from tests.support import example


def history(code: str) -> list[CloudEvent]:
    now = datetime.now(UTC)
    newer = risk_assessed(code, "medium", previous="low")
    older = risk_assessed(code, "high", previous="low").model_copy(
        update={"assessed_at": now - timedelta(days=30)}
    )
    return [
        cloud_event(example(CountryProfileUpdated, countryCode=code)),
        cloud_event(
            example(
                FocusDesignationChanged,
                countryCode=code,
                designation="focus",
                previousDesignation="watch",
            )
        ),
        cloud_event(newer),
        cloud_event(older),  # concluded earlier, arrives later: it must not win
    ]


async def country(service: Service, code: str) -> dict[str, Any]:
    response = await service.client.get(f"/v1/countries/{code}", headers=service.auth("bz", []))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_read_model_follows_the_countries_topic(service: Service) -> None:
    active = await service.approved(
        recipientCountries=[{"countryCode": "JOR", "percentage": "100"}]
    )
    events = history("JOR")
    for event in events:
        assert await deliver(service, event) is Outcome.HANDLED
    reviews = await service.client.get(f"/v1/programmes/{active}/reviews", headers=service.auth())
    assert reviews.json()["items"] == [], "a stale high rating opens no review"
    jordan = await country(service, "JOR")
    assert jordan["name"] == "Jordan"
    assert jordan["designation"] == "focus"
    assert jordan["residualRating"] == "medium"
    assert jordan["assessmentId"] == events[2].data["assessmentId"]
    assert jordan["profileRevision"] == events[0].data["revision"]
    listed = (await service.client.get("/v1/countries", headers=service.auth("bz", []))).json()
    assert "JOR" in [c["countryCode"] for c in listed["items"]]
    missing = await service.client.get("/v1/countries/ISL", headers=service.auth("bz", []))
    assert missing.status_code == 404


async def test_replaying_the_topic_rebuilds_the_same_model(
    service: Service,
    tmp_path_factory: pytest.TempPathFactory,
    database: TestDatabases,
) -> None:
    events = history("UGA")
    for event in events:
        await deliver(service, event)
    before = await country(service, "UGA")
    for event in events:  # a redelivery: the inbox absorbs it
        assert await deliver(service, event) is Outcome.DUPLICATE

    settings = settings_for(tmp_path_factory.mktemp("rebuilt"), None, database=database)
    async with running(settings) as rebuilt:
        for event in events:
            assert await deliver(rebuilt, event) is Outcome.HANDLED
        after = await country(rebuilt, "UGA")
    assert {k: v for k, v in after.items() if k != "updatedAt"} == {
        k: v for k, v in before.items() if k != "updatedAt"
    }
