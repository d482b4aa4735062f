"""The monitoring API on the real app: plans from events, evidence over HTTP, flags from rules."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from shared.consumer import Outcome
from shared.contracts.programmes import ProgrammeStatusChanged
from shared.http.models import MAX_URL_LENGTH
from tests.monitoring.conftest import (
    CRITERIA,
    YEAR,
    Service,
    approved,
    cloud_event,
    decided,
    deliver,
    evaluation_body,
    result_body,
    risk_assessed,
)
from tests.support import example


def _pid() -> str:
    return f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"


def moved(programme_id: str, status: int, countries: list[str]) -> ProgrammeStatusChanged:
    return example(
        ProgrammeStatusChanged,
        programmeId=programme_id,
        status=status,
        previousStatus=2,
        countryCodes=countries,
    )


async def _planned(service: Service, countries: tuple[str, ...] = ("TUN", "MAR")) -> str:
    programme_id = _pid()
    assert await deliver(service, cloud_event(approved(programme_id, countries))) is Outcome.HANDLED
    return programme_id


async def test_a_result_below_baseline_flags_counterproductive_once(service: Service) -> None:
    programme_id = await _planned(service)
    created = await service.post("/indicator-results", result_body(programme_id, "9"))
    assert created.status_code == 201, created.text
    result = created.json()
    assert result["revision"] == 1 and result["history"][0]["value"] == "9"
    flagged = [e for e in await service.emitted(programme_id) if e.name == "programme-flagged"]
    assert [f.data["category"] for f in flagged] == ["counterproductive"]
    assert flagged[0].data["ruleId"] == "counterproductive-latest-period"
    assert flagged[0].data["evidence"][0]["resourceId"] == result["resultId"]
    assert flagged[0].data["owningOrganisation"] == "am"
    # a correction that stays below baseline is the same evidence: no second flag
    corrected = await service.post(
        f"/indicator-results/{result['resultId']}/corrections",
        {"value": "8", "source": "Audited report", "reason": "Audit corrected the count."},
    )
    assert corrected.status_code == 201, corrected.text
    body = corrected.json()
    assert body["revision"] == 2 and [v["value"] for v in body["history"]] == ["9", "8"]
    names = [e.name for e in await service.emitted(programme_id)]
    assert names.count("programme-flagged") == 1
    assert names.count("indicator-result-recorded") == 2
    overview = (await service.get(f"/programmes/{programme_id}/overview")).json()
    assert [f["category"] for f in overview["openFlags"]] == ["counterproductive"]
    periods = overview["indicators"][0]["periods"]
    assert periods[1]["actual"] == "8" and periods[1]["target"] == "30.0"


async def test_exactly_at_baseline_flags_nothing(service: Service) -> None:
    programme_id = await _planned(service)
    created = await service.post("/indicator-results", result_body(programme_id, "10"))
    assert created.status_code == 201, created.text
    assert "programme-flagged" not in [e.name for e in await service.emitted(programme_id)]


async def test_two_underperforming_periods_flag_underperforming(service: Service) -> None:
    programme_id = await _planned(service)
    first = result_body(
        programme_id, "14", periodStart=f"{YEAR - 2}-01-01", periodEnd=f"{YEAR - 2}-12-31"
    )
    assert (await service.post("/indicator-results", first)).status_code == 201
    assert (
        await service.post("/indicator-results", result_body(programme_id, "19"))
    ).status_code == 201
    flagged = [e.data for e in await service.emitted(programme_id) if e.name == "programme-flagged"]
    assert [f["category"] for f in flagged] == ["underperforming"]
    assert len(flagged[0]["evidence"]) == 2


async def test_incidents_flag_negative_side_effects(service: Service) -> None:
    programme_id = await _planned(service)
    body = {
        "programmeId": programme_id,
        "category": "mistreatment",
        "severity": "high",
        "countryCode": "TUN",
        "occurredOn": (date.today() - timedelta(days=3)).isoformat(),
        "verified": False,
        "summary": "Migrants held at a supported post reported mistreatment by guards.",
    }
    assert (await service.post("/incidents", body)).status_code == 201
    assert "programme-flagged" not in [e.name for e in await service.emitted(programme_id)]
    verified = await service.post("/incidents", {**body, "verified": True})
    assert verified.status_code == 201, verified.text
    critical = await service.post("/incidents", {**body, "severity": "critical"})
    flagged = [e.data for e in await service.emitted(programme_id) if e.name == "programme-flagged"]
    assert [(f["category"], f["severity"]) for f in flagged] == [
        ("negative-side-effects", "high"),
        ("negative-side-effects", "critical"),
    ]
    assert flagged[1]["recommendsDisbursementHold"] is True
    assert flagged[1]["evidence"][0]["resourceId"] == critical.json()["incidentId"]
    reported = [
        e.data for e in await service.emitted(programme_id) if e.name == "incident-reported"
    ]
    assert "summary" not in reported[0]
    country = (await service.get("/countries/TUN/overview")).json()
    assert programme_id in country["programmeIds"]
    assert {f["programmeId"] for f in country["openFlags"]} >= {programme_id}


async def test_a_poor_evaluation_flags(service: Service) -> None:
    programme_id = await _planned(service)
    ratings = dict.fromkeys(CRITERIA, "satisfactory") | {
        "effectiveness": "unsatisfactory",
        "sustainability": "highly-satisfactory",
    }
    body = evaluation_body(programme_id, ratings=ratings)
    created = await service.post("/evaluations", body)
    assert created.status_code == 201, created.text
    flagged = [e.data for e in await service.emitted(programme_id) if e.name == "programme-flagged"]
    assert [(f["category"], f["severity"]) for f in flagged] == [("poor-evaluation", "medium")]
    overview = (await service.get(f"/programmes/{programme_id}/overview")).json()
    assert overview["lastEvaluation"]["evaluationId"] == created.json()["evaluationId"]


async def test_an_evaluation_report_url_as_long_as_accepted_is_stored_and_one_longer_refused(
    service: Service,
) -> None:
    """The longest URL the API takes fits its column on every engine (PostgreSQL enforces it)."""
    programme_id = await _planned(service)
    base = "https://example.org/"
    longest = base + "a" * (MAX_URL_LENGTH - len(base))
    body = evaluation_body(programme_id, kind="final", independent=False, summary="Long link.")
    created = await service.post("/evaluations", {**body, "documentUrl": longest})
    assert created.status_code == 201, created.text
    read = await service.get(f"/evaluations/{created.json()['evaluationId']}")
    assert read.json()["documentUrl"] == longest
    refused = await service.post("/evaluations", {**body, "documentUrl": longest + "a"})
    assert refused.status_code == 422
    assert "documentUrl" in refused.text


async def test_high_risk_flags_active_programmes_in_the_country_and_review_resolves(
    service: Service,
) -> None:
    country = "LBY"
    active = await _planned(service, (country,))
    suspended = await _planned(service, (country, "EGY"))
    await deliver(service, cloud_event(moved(suspended, 6, [country, "EGY"])))
    closed = await _planned(service, (country,))
    await deliver(service, cloud_event(moved(closed, 4, [country])))
    event = cloud_event(risk_assessed(country, "high", "medium"))
    assert await deliver(service, event) is Outcome.HANDLED
    assert await deliver(service, event) is Outcome.DUPLICATE
    again = cloud_event(risk_assessed(country, "high", "high"))  # confirmed, not become
    assert await deliver(service, again) is Outcome.HANDLED
    flagged = {
        e.key: e.data
        for e in await service.emitted()
        if e.name == "programme-flagged"
        if e.data["category"] == "risk" and e.key in {active, suspended, closed}
    }
    assert set(flagged) == {active, suspended}
    flag_id = flagged[active]["flagId"]
    assert await deliver(service, cloud_event(decided(active, [flag_id]))) is Outcome.HANDLED
    resolved = [e.data for e in await service.emitted(active) if e.name == "flag-resolved"]
    assert [(r["flagId"], r["decision"]) for r in resolved] == [(flag_id, "adapt")]
    flag = (await service.get(f"/flags/{flag_id}")).json()
    assert flag["state"] == "resolved" and flag["decision"] == "adapt"
    # deciding again resolves nothing more
    assert await deliver(service, cloud_event(decided(active, [flag_id]))) is Outcome.HANDLED
    assert len([e for e in await service.emitted(active) if e.name == "flag-resolved"]) == 1


async def test_bad_results_name_each_field_and_change_nothing(service: Service) -> None:
    programme_id = await _planned(service)
    before = await service.snapshot()
    cases = [
        (result_body("prg-unknown-1", "3"), {"programmeId"}),
        (result_body(programme_id, "3", indicatorId="no-such-indicator"), {"indicatorId"}),
        (
            result_body(programme_id, "3", periodStart=f"{YEAR}-02-01", periodEnd=f"{YEAR}-02-28"),
            {"periodStart", "periodEnd"},
        ),
        (
            result_body(programme_id, "101", indicatorId="reported-abuse"),
            {"value"},
        ),
        (
            result_body(programme_id, None, qualitativeValue="better"),
            {"value", "qualitativeValue"},
        ),
        (result_body(programme_id, "3", measuredOn=f"{YEAR + 1}-01-01"), {"measuredOn"}),
        (result_body(programme_id, "lots"), {"value"}),
    ]
    for body, fields in cases:
        response = await service.post("/indicator-results", body)
        assert response.status_code == 422, (body, response.text)
        problem = response.json()
        assert {p["name"] for p in problem["invalidParams"]} == fields, problem
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    incident = {
        "programmeId": programme_id,
        "category": "abuse",
        "severity": "extreme",
        "countryCode": "TUN",
        "occurredOn": tomorrow,
        "verified": True,
        "summary": "Reported by j.doe@example.org",
    }
    response = await service.post("/incidents", incident)
    assert response.status_code == 422
    assert {p["name"] for p in response.json()["invalidParams"]} == {"severity"}
    response = await service.post("/incidents", {**incident, "severity": "high"})
    assert {p["name"] for p in response.json()["invalidParams"]} == {"occurredOn", "summary"}
    response = await service.post("/incidents", {**incident, "fullName": "X"})
    assert response.status_code == 422
    evaluation = {
        "programmeId": programme_id,
        "kind": "final",
        "independent": False,
        "completedOn": tomorrow,
        "overallRating": "satisfactory",
        "ratings": {"relevance": "excellent"},
        "summary": "s",
        "documentUrl": "https://example.org/e.pdf",
    }
    response = await service.post("/evaluations", evaluation)
    assert response.status_code == 422
    names = {p["name"] for p in response.json()["invalidParams"]}
    assert {"ratings.relevance", "ratings.impact"} <= names
    assert await service.snapshot() == before


async def test_writes_need_the_scope_and_reads_a_caller(service: Service) -> None:
    programme_id = await _planned(service)
    response = await service.post("/indicator-results", result_body(programme_id, "3"), scopes=())
    assert response.status_code == 403
    assert (await service.client.get("/v1/flags")).status_code == 401
    assert (await service.get("/flags")).status_code == 200
    rules = (await service.get("/rules")).json()["items"]
    assert {r["ruleId"] for r in rules} == {
        "counterproductive-latest-period",
        "underperforming-consecutive-periods",
        "verified-high-or-critical-incident",
        "poor-effectiveness-or-impact",
        "residual-risk-high",
    }
