"""The monitoring service as the tests drive it: the real app and runtime (``tests.harness``).

API tests share one app per module, broker-free unless the module is marked
``kafka``. Programmes' events are handed to the consumer directly (``deliver``)
or published to the broker (the integration tests).
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

from services.monitoring.app import create_app
from shared.contracts.countries import HumanRightsRiskAssessed
from shared.contracts.programmes import ProgrammeApproved, ReviewDecided
from shared.settings import PlatformSettings
from tests import harness
from tests.databases import TestDatabases
from tests.harness import ServiceUnderTest, cloud_event, deliver
from tests.support import example

__all__ = ["cloud_event", "deliver"]  # the harness's, for the monitoring tests

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


def settings_for(
    var_dir: Path, bootstrap: str | None, *, database: TestDatabases | None = None
) -> PlatformSettings:
    return harness.settings_for("monitoring", var_dir, bootstrap, database=database)


@asynccontextmanager
async def running(settings: PlatformSettings, group: str | None = None) -> AsyncIterator[Service]:
    """The app with its runtime started; on the broker a fresh group from the topics' ends
    unless ``group``."""
    async with harness.running(create_app(settings), Service, group=group) as started:
        yield started


service = harness.app_fixture(running, settings_for)


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


#: The six OECD DAC criteria an evaluation rates.
CRITERIA = ("relevance", "coherence", "effectiveness", "efficiency", "impact", "sustainability")


def evaluation_body(
    programme_id: str, rating: str = "satisfactory", **changes: Any
) -> dict[str, Any]:
    """A mid-term independent evaluation completed today, ``rating`` overall and on each
    criterion."""
    return {
        "programmeId": programme_id,
        "kind": "mid-term",
        "independent": True,
        "completedOn": date.today().isoformat(),
        "overallRating": rating,
        "ratings": dict.fromkeys(CRITERIA, rating),
        "summary": "Relevant, but referrals rarely led to prosecutions.",
        "documentUrl": "https://example.org/evaluations/mid-term.pdf",
        **changes,
    }


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
