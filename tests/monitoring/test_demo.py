"""The demo evidence flags one programme counterproductive and one for side effects; idempotent."""

from __future__ import annotations

import uuid

from services.monitoring.demo import load
from shared.contracts.programmes import ProgrammeApproved
from shared.http.auth import issue_token
from tests.monitoring.conftest import YEAR, Service, cloud_event, deliver
from tests.support import example


def _approval(programme_id: str, indicator_id: str, baseline: float) -> ProgrammeApproved:
    return example(
        ProgrammeApproved,
        programmeId=programme_id,
        countryCodes=["EGY", "TUN"],
        resultsFrameworkRevision=1,
        indicators=[
            {
                "indicatorId": indicator_id,
                "title": indicator_id,
                "measure": 1,
                "direction": "increase",
                "baseline": baseline,
                "targets": [
                    {"periodStart": f"{YEAR}-01-01", "periodEnd": f"{YEAR}-12-31", "value": 60.0}
                ],
            }
        ],
    )


async def test_demo_flags_counterproductive_and_side_effects_once(service: Service) -> None:
    compass = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    trafficking = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    await deliver(service, cloud_event(_approval(compass, "smuggling-cases-referred", 40.0)))
    await deliver(service, cloud_event(_approval(trafficking, "victims-identified", 60.0)))

    def token_for(organisation: str, scopes: list[str]) -> str:
        return issue_token(service.settings, organisation, scopes)

    assert await load(service.client, "http://test", token_for) == 2
    assert await load(service.client, "http://test", token_for) == 0
    flags = [e.data for e in await service.emitted() if e.name == "programme-flagged"]
    categories = {(f["programmeId"], f["category"]) for f in flags}
    assert (compass, "counterproductive") in categories
    assert (trafficking, "negative-side-effects") in categories
