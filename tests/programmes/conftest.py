"""The programmes service as the tests drive it: the real app and runtime (``tests.harness``).

API tests share one app per module, broker-free unless the module is marked
``kafka``; other services' events are handed to the consumer (``deliver``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar

from services.programmes.app import create_app
from services.programmes.settings import ProgrammesSettings
from shared.contracts.countries import HumanRightsRiskAssessed
from shared.contracts.monitoring import ProgrammeFlagged
from shared.settings import PlatformSettings
from tests import harness
from tests.databases import TestDatabases
from tests.harness import ServiceUnderTest, cloud_event, deliver
from tests.support import example

__all__ = ["cloud_event", "deliver"]  # the harness's, for the programmes tests

WRITE = "programmes:write"
DECIDE = "programmes:decide"
#: Every table the service writes: "no state change" is checked on all of them.
TABLES = (
    "registered_programme",
    "programme_counter",
    "programme_country",
    "programme_sector",
    "programme_theme",
    "participating_org",
    "status_transition",
    "budget",
    "money_transaction",
    "budget_frame_cell",
    "indicator",
    "indicator_target",
    "review",
    "review_trigger",
    "country",
    "outbox_message",
    "outbox_sequence",
)
TODAY = date.today()
YEAR = TODAY.year


@dataclass
class Service(ServiceUnderTest):
    write_scope: ClassVar[str] = WRITE
    tables: ClassVar[tuple[str, ...]] = TABLES

    async def create(self, organisation: str = "am", **changes: Any) -> str:
        response = await self.client.post(
            "/v1/programmes", json=programme_body(**changes), headers=self.auth(organisation)
        )
        assert response.status_code == 201, response.text
        programme_id: str = response.json()["programmeId"]
        return programme_id

    async def approve(self, programme_id: str, organisation: str = "am") -> None:
        """Budget, results framework, then pipeline to implementation."""
        headers = self.auth(organisation)
        base = f"/v1/programmes/{programme_id}"
        put = await self.client.put(f"{base}/budgets", json=budgets_body(), headers=headers)
        assert put.status_code == 200, put.text
        framework = await self.client.put(
            f"{base}/results-framework", json=framework_body(), headers=headers
        )
        assert framework.status_code == 200, framework.text
        moved = await self.client.post(
            f"{base}/status-transitions",
            json={"status": 2, "reason": "Approved by the taskforce board."},
            headers=headers,
        )
        assert moved.status_code == 201, moved.text

    async def approved(self, organisation: str = "am", **changes: Any) -> str:
        programme_id = await self.create(organisation, **changes)
        await self.approve(programme_id, organisation)
        return programme_id


def programme_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Countering migrant smuggling in North Africa (COMPASS)",
        "description": "Support to partner authorities against smuggling networks, with IOM.",
        "participatingOrganisations": [
            {"role": "funding", "organisation": "am"},
            {
                "role": "implementing",
                "name": "International Organization for Migration",
                "ref": "XM-DAC-47066",
                "type": "40",
                "crsChannelCode": "47066",
            },
            {"role": "implementing", "organisation": "kmar"},
        ],
        "plannedStart": f"{YEAR}-01-01",
        "plannedEnd": f"{YEAR + 2}-12-31",
        "recipientCountries": [
            {"countryCode": "TUN", "percentage": "50"},
            {"countryCode": "MAR", "percentage": "30"},
            {"countryCode": "EGY", "percentage": "20"},
        ],
        "sectors": [{"code": "15190", "percentage": "100"}],
        "themes": ["anti-smuggling-and-trafficking", "protection"],
    }
    return {**body, **changes}


def budgets_body(*items: dict[str, Any]) -> dict[str, Any]:
    default = [
        {"year": YEAR, "budgetLine": "bho", "oda": True, "amount": "1000000.00"},
        {"year": YEAR + 1, "budgetLine": "bho", "oda": True, "amount": "1500000.00"},
        {"year": YEAR + 1, "budgetLine": "am", "oda": False, "amount": "500000.00"},
    ]
    return {"budgets": list(items) or default}


def framework_body() -> dict[str, Any]:
    return {
        "indicators": [
            {
                "indicatorId": "networks-disrupted",
                "title": "Smuggling networks disrupted with partner authorities",
                "resultType": "outcome",
                "measure": "unit",
                "ascending": True,
                "baseline": {"year": YEAR - 1, "value": "3"},
                "targets": [
                    {"periodStart": f"{YEAR}-01-01", "periodEnd": f"{YEAR}-12-31", "value": "6"},
                    {
                        "periodStart": f"{YEAR + 1}-01-01",
                        "periodEnd": f"{YEAR + 1}-12-31",
                        "value": "12",
                    },
                ],
            },
            {
                "indicatorId": "reported-abuse",
                "title": "Reported abuse of migrants at supported border posts",
                "resultType": "output",
                "measure": "percentage",
                "ascending": False,
                "baseline": {"year": YEAR - 1, "value": "12.5"},
                "targets": [
                    {"periodStart": f"{YEAR}-01-01", "periodEnd": f"{YEAR}-12-31", "value": "5"}
                ],
            },
        ]
    }


def settings_for(
    var_dir: Path, bootstrap: str | None, *, database: TestDatabases | None = None
) -> PlatformSettings:
    return harness.settings_for("programmes", var_dir, bootstrap, database=database)


@asynccontextmanager
async def running(
    settings: PlatformSettings, programmes_settings: ProgrammesSettings | None = None
) -> AsyncIterator[Service]:
    """The app with its runtime started (on the broker: a fresh group from the topics' ends)."""
    async with harness.running(create_app(settings, programmes_settings), Service) as started:
        yield started


service = harness.app_fixture(running, settings_for)

MONITORING_SOURCE = "urn:nld:oin:00000000000000000000:systeem:monitoring"
COUNTRIES_SOURCE = "urn:nld:oin:00000000000000000000:systeem:countries"


def flagged(programme_id: str, **changes: Any) -> ProgrammeFlagged:
    """A `programme-flagged` for ``programme_id`` (routing fields from the schema example)."""
    return example(ProgrammeFlagged, programmeId=programme_id, flagId=str(uuid.uuid4()), **changes)


def risk_assessed(
    country: str, residual: str, previous: str | None = "medium"
) -> HumanRightsRiskAssessed:
    return example(
        HumanRightsRiskAssessed,
        countryCode=country,
        assessmentId=str(uuid.uuid4()),
        residualRating=residual,
        previousResidualRating=previous,
        assessedAt=datetime.now(UTC).isoformat(),
    )
