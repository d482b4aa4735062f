"""Who may report evidence on a programme: its owner, its participants, the secretariat.

A flag can open a review and hold another ministry's disbursements, so an
indicator result, a correction, an evaluation or an incident report from any
other organisation is refused (403, problem+json naming who may), and nothing
is stored, published or flagged.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from shared.consumer import Outcome
from shared.contracts.programmes import ProgrammeApproved
from tests.monitoring.conftest import (
    INDICATORS,
    YEAR,
    Service,
    cloud_event,
    deliver,
    evaluation_body,
    result_body,
)
from tests.support import example

#: The example programme: owned by jenv, the National Police implementing it.
OWNER, PARTNER, SECRETARIAT = "jenv", "politie", "tf-secretariaat"
ALLOWED = (OWNER, PARTNER, SECRETARIAT)
#: Another ministry, an agency of another ministry, and a ministry with no part in it.
OUTSIDERS = ("bz", "ind", "def")


async def planned(service: Service) -> str:
    programme_id = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    event = example(
        ProgrammeApproved,
        programmeId=programme_id,
        owningOrganisation=OWNER,
        partnerOrganisations=[PARTNER],
        countryCodes=["EGY"],
        indicators=INDICATORS,
        resultsFrameworkRevision=1,
    )
    assert await deliver(service, cloud_event(event)) is Outcome.HANDLED
    return programme_id


def incident(programme_id: str) -> dict[str, Any]:
    return {
        "programmeId": programme_id,
        "category": "exploitation",
        "severity": "critical",
        "countryCode": "EGY",
        "occurredOn": (date.today() - timedelta(days=2)).isoformat(),
        "verified": True,
        "summary": "Referred victims were placed with an employer who exploited them.",
    }


def evaluation(programme_id: str) -> dict[str, Any]:
    return evaluation_body(
        programme_id, "unsatisfactory", summary="Few referrals led to protection."
    )


async def refused(service: Service, path: str, body: dict[str, Any], organisation: str) -> None:
    before = await service.snapshot()
    response = await service.post(path, body, organisation=organisation)
    assert response.status_code == 403, (organisation, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    assert f"{OWNER}, {PARTNER}, {SECRETARIAT}" in detail and organisation in detail, detail
    assert await service.snapshot() == before, "nothing stored, published or flagged"


async def test_another_ministry_cannot_flag_a_programme_with_a_critical_incident(
    service: Service,
) -> None:
    programme_id = await planned(service)
    for organisation in OUTSIDERS:
        await refused(service, "/incidents", incident(programme_id), organisation)
    flags = (await service.get("/flags", programmeId=programme_id)).json()
    assert flags["totalItems"] == 0


async def test_owner_partner_and_secretariat_report_incidents(service: Service) -> None:
    programme_id = await planned(service)
    for organisation in ALLOWED:
        response = await service.post(
            "/incidents", incident(programme_id), organisation=organisation
        )
        assert response.status_code == 201, (organisation, response.text)
        assert response.json()["reportedBy"] == organisation


async def test_only_those_answerable_report_indicator_results(service: Service) -> None:
    programme_id = await planned(service)
    counterproductive = result_body(programme_id, "9")  # below the baseline of 10
    for organisation in OUTSIDERS:
        await refused(service, "/indicator-results", counterproductive, organisation)
    for organisation in ALLOWED:
        fresh = await planned(service)
        body = result_body(fresh, "9")
        response = await service.post("/indicator-results", body, organisation=organisation)
        assert response.status_code == 201, (organisation, response.text)
    flagged = [e for e in await service.emitted(programme_id) if e.name == "programme-flagged"]
    assert flagged == []


async def test_only_those_answerable_correct_a_result(service: Service) -> None:
    programme_id = await planned(service)
    created = await service.post(
        "/indicator-results", result_body(programme_id, "15"), organisation=PARTNER
    )
    assert created.status_code == 201, created.text
    path = f"/indicator-results/{created.json()['resultId']}/corrections"
    correction = {"value": "9", "source": "Audited report", "reason": "The figure was wrong."}
    for organisation in OUTSIDERS:
        await refused(service, path, correction, organisation)
    for organisation in ALLOWED:
        response = await service.post(path, correction, organisation=organisation)
        assert response.status_code == 201, (organisation, response.text)


async def test_only_those_answerable_record_evaluations(service: Service) -> None:
    programme_id = await planned(service)
    for organisation in OUTSIDERS:
        await refused(service, "/evaluations", evaluation(programme_id), organisation)
    for organisation in ALLOWED:
        response = await service.post(
            "/evaluations", evaluation(programme_id), organisation=organisation
        )
        assert response.status_code == 201, (organisation, response.text)
        assert response.json()["recordedBy"] == organisation


async def test_an_unknown_programme_is_still_invalid_input_for_anyone(service: Service) -> None:
    unknown = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    for path, body in (
        ("/incidents", incident(unknown)),
        ("/evaluations", evaluation(unknown)),
        ("/indicator-results", result_body(unknown, "9")),
    ):
        response = await service.post(path, body, organisation="bz")
        assert response.status_code == 422, response.text
        assert [p["name"] for p in response.json()["invalidParams"]] == ["programmeId"]
