"""Monitoring's free texts are about no one in person: each is refused with a 422 naming it.

The detector itself is tested in ``tests/unit/test_personal_data.py``; here each
field is driven through the HTTP API, and a refusal must name the field and the
kind of detail, store nothing and never repeat the detail.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

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

PERSON = "Mohammed El Amrani, born 3 March 1990, of Kerkstraat 12, Utrecht, was detained."
ORDINARY = "On 3 March 2025 the partner reported 312 returnees; EUR 1,250,000 spent in 2024-2027."

QUALITATIVE = {
    "indicatorId": "referral-quality",
    "title": "Quality of referral to protection services",
    "measure": 5,
    "direction": "increase",
    "targets": [{"periodStart": f"{YEAR - 1}-01-01", "periodEnd": f"{YEAR - 1}-12-31"}],
}


async def _planned(service: Service) -> str:
    programme_id = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    approved = example(
        ProgrammeApproved,
        programmeId=programme_id,
        countryCodes=["TUN", "MAR"],
        indicators=[*INDICATORS, QUALITATIVE],
        resultsFrameworkRevision=1,
    )
    assert await deliver(service, cloud_event(approved)) is Outcome.HANDLED
    return programme_id


def _refused(response: httpx.Response, field: str, kind: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    reasons = {p["name"]: p["reason"] for p in problem["invalidParams"]}
    assert kind in reasons[field], reasons
    for fragment in ("Amrani", "1990", "Kerkstraat"):
        assert fragment not in response.text


def _incident(programme_id: str, summary: str) -> dict[str, Any]:
    return {
        "programmeId": programme_id,
        "category": "mistreatment",
        "severity": "medium",
        "countryCode": "TUN",
        "occurredOn": (date.today() - timedelta(days=2)).isoformat(),
        "verified": False,
        "summary": summary,
    }


def _evaluation(programme_id: str, summary: str) -> dict[str, Any]:
    return evaluation_body(programme_id, summary=summary)


async def test_an_incident_summary_naming_someone_is_refused(service: Service) -> None:
    programme_id = await _planned(service)
    before = await service.snapshot()
    response = await service.post("/incidents", _incident(programme_id, PERSON))
    _refused(response, "summary", "a name with birth data")
    _refused(response, "summary", "a street address")
    assert await service.snapshot() == before
    ordinary = await service.post("/incidents", _incident(programme_id, ORDINARY))
    assert ordinary.status_code == 201, ordinary.text


async def test_an_evaluation_summary_naming_someone_is_refused(service: Service) -> None:
    programme_id = await _planned(service)
    before = await service.snapshot()
    response = await service.post("/evaluations", _evaluation(programme_id, PERSON))
    _refused(response, "summary", "a date of birth")
    assert await service.snapshot() == before
    ordinary = await service.post("/evaluations", _evaluation(programme_id, ORDINARY))
    assert ordinary.status_code == 201, ordinary.text


async def test_a_qualitative_result_naming_someone_is_refused(service: Service) -> None:
    programme_id = await _planned(service)
    body = result_body(programme_id, None, indicatorId="referral-quality", qualitativeValue=PERSON)
    _refused(await service.post("/indicator-results", body), "qualitativeValue", "a date of birth")
    ordinary = await service.post("/indicator-results", {**body, "qualitativeValue": ORDINARY})
    assert ordinary.status_code == 201, ordinary.text


async def test_a_result_comment_and_a_correction_reason_naming_someone_are_refused(
    service: Service,
) -> None:
    programme_id = await _planned(service)
    body = result_body(programme_id, "25", comment="Counted by officer J. Smit, tel. 06-12345678")
    _refused(await service.post("/indicator-results", body), "comment", "a phone number")
    created = await service.post("/indicator-results", {**body, "comment": ORDINARY})
    assert created.status_code == 201, created.text
    correction = {"value": "26", "source": "Audited report", "reason": PERSON}
    path = f"/indicator-results/{created.json()['resultId']}/corrections"
    _refused(await service.post(path, correction), "reason", "a street address")
    corrected = await service.post(path, {**correction, "reason": "The audit found one more."})
    assert corrected.status_code == 201, corrected.text
