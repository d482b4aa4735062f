"""The monitoring service as the tests drive it: the real app and runtime on the test broker.

Each runtime reads with a consumer group of its own, positioned at the end of
the topics it reads. Programmes' events are handed to the consumer directly
(``deliver``) or published to the broker (the integration tests).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from services.monitoring.app import create_app
from shared.consumer import ConsumedRecord, Outcome
from shared.contracts.countries import HumanRightsRiskAssessed
from shared.contracts.programmes import ProgrammeApproved, ReviewDecided
from shared.events.catalogue import CATALOGUE, EventData, entry_for
from shared.events.envelope import CloudEvent, new_event
from shared.service import ServiceRuntime
from shared.settings import PlatformSettings
from tests.service_harness import ServiceUnderTest
from tests.support import example, own_group, start_group_at_end

WRITE = "monitoring:write"
TABLES = (
    "monitored_programme",
    "plan_indicator",
    "indicator_result",
    "indicator_result_revision",
    "programme_evaluation",
    "incident_report",
    "monitoring_flag",
    "monitored_country_risk",
    "outbox_message",
)
YEAR = date.today().year


@dataclass
class Service(ServiceUnderTest):
    write_scope: ClassVar[str] = WRITE
    default_organisation: ClassVar[str] = "bz"
    #: Who ``post`` reports as unless told: the example programmes' implementing agency (they
    #: are owned by am with kmar taking part); bz, reading, may not report on them.
    reporter: ClassVar[str] = "kmar"
    tables: ClassVar[tuple[str, ...]] = TABLES

    async def post(self, path: str, body: dict[str, Any], **kw: Any) -> httpx.Response:
        kw.setdefault("organisation", self.reporter)
        return await self.client.post(f"/v1{path}", json=body, headers=self.auth(**kw))

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(f"/v1{path}", params=params, headers=self.auth(scopes=()))


def settings_for(var_dir: Path, bootstrap: str) -> PlatformSettings:
    return PlatformSettings(
        var_dir=var_dir,
        kafka_bootstrap_servers=bootstrap,
        database_url=f"sqlite+aiosqlite:///{var_dir / 'monitoring.db'}",
        consumer_backoff_initial_s=0.01,
        consumer_backoff_max_s=0.05,
        consumer_max_attempts=3,
        outbox_poll_interval_s=0.2,
    )


@asynccontextmanager
async def running(settings: PlatformSettings, group: str | None = None) -> AsyncIterator[Service]:
    """The app with its runtime started; a fresh group from the topics' ends unless ``group``."""
    app = create_app(settings)
    runtime: ServiceRuntime = app.state.runtime
    runtime.consumer.group_id = group or own_group(settings, "monitoring", uuid.uuid4().hex[:12])
    for topic in sorted({CATALOGUE[t].topic for t in runtime.consumer.handlers}):
        if group is None:
            await start_group_at_end(
                settings.kafka_bootstrap_servers, runtime.consumer.group_id, topic
            )
    await runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Service(app, settings, client)
    finally:
        await runtime.stop()


@pytest.fixture(scope="module")
async def service(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Service]:
    async with running(settings_for(tmp_path_factory.mktemp("monitoring"), kafka_bootstrap)) as s:
        yield s


def cloud_event(data: EventData) -> CloudEvent:
    entry = entry_for(type(data))
    return new_event(
        source=f"urn:nld:oin:00000000000000000000:systeem:{entry.service}",
        type=entry.type,
        data=data.to_data(),
        subject=data.aggregate_id(),
        dataschema=entry.dataschema,
    )


async def deliver(service: Service, event: CloudEvent) -> Outcome:
    """Run the consumer on ``event`` as if it came from the topic (no broker hop)."""
    record = event.to_record(CATALOGUE[event.type].topic, event.subject)
    consumed = ConsumedRecord(record.topic, 0, 0, record.key, record.value, list(record.headers))
    return await service.runtime.consumer.process(consumed)


INDICATORS: list[dict[str, Any]] = [
    {
        "indicatorId": "networks-disrupted",
        "title": "Smuggling networks disrupted",
        "measure": 1,
        "direction": "increase",
        "baseline": 10.0,
        "baselineYear": YEAR - 1,
        "targets": [
            {"periodStart": f"{YEAR - 2}-01-01", "periodEnd": f"{YEAR - 2}-12-31", "value": 20.0},
            {"periodStart": f"{YEAR - 1}-01-01", "periodEnd": f"{YEAR - 1}-12-31", "value": 30.0},
        ],
    },
    {
        "indicatorId": "reported-abuse",
        "title": "Reported abuse at supported border posts (percentage)",
        "measure": 2,
        "direction": "decrease",
        "baseline": 12.5,
        "targets": [
            {"periodStart": f"{YEAR - 1}-01-01", "periodEnd": f"{YEAR - 1}-12-31", "value": 5.0}
        ],
    },
]


def approved(programme_id: str, countries: Sequence[str] = ("TUN", "MAR")) -> ProgrammeApproved:
    return example(
        ProgrammeApproved,
        programmeId=programme_id,
        countryCodes=list(countries),
        indicators=INDICATORS,
        resultsFrameworkRevision=1,
    )


def decided(programme_id: str, flag_ids: Sequence[str]) -> ReviewDecided:
    return example(
        ReviewDecided,
        programmeId=programme_id,
        reviewId=str(uuid.uuid4()),
        flagIds=list(flag_ids),
        decision="adapt",
    )


def risk_assessed(country: str, residual: str, previous: str | None) -> HumanRightsRiskAssessed:
    return example(
        HumanRightsRiskAssessed,
        countryCode=country,
        assessmentId=str(uuid.uuid4()),
        residualRating=residual,
        previousResidualRating=previous,
        assessedAt=datetime.now(UTC).isoformat(),
    )


def result_body(programme_id: str, value: str | None, **changes: Any) -> dict[str, Any]:
    return {
        "programmeId": programme_id,
        "indicatorId": "networks-disrupted",
        "periodStart": f"{YEAR - 1}-01-01",
        "periodEnd": f"{YEAR - 1}-12-31",
        "value": value,
        "source": "Partner quarterly report",
        **changes,
    }
