"""Bad input: a problem document naming the cause, no state change, no event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.programmes.conftest import (
    DECIDE,
    YEAR,
    Service,
    budgets_body,
    cloud_event,
    deliver,
    flagged,
    programme_body,
)


async def refused(
    service: Service,
    send: Callable[[], Awaitable[httpx.Response]],
    status: int,
    *params: str,
) -> dict[str, Any]:
    """Send, expect ``status`` as a problem naming ``params``, and prove nothing changed."""
    before = await service.snapshot()
    response = await send()
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status and problem["title"] and problem["detail"]
    if params:
        assert [p["name"] for p in problem.get("invalidParams", [])] == list(params), problem
    assert await service.snapshot() == before, "no state change, no event"
    return problem


def post(
    service: Service,
    path: str,
    body: dict[str, Any],
    org: str = "am",
    scopes: tuple[str, ...] = ("programmes:write",),
) -> Callable[[], Awaitable[httpx.Response]]:
    return lambda: service.client.post(path, json=body, headers=service.auth(org, scopes))


def put(
    service: Service, path: str, body: dict[str, Any], org: str = "am"
) -> Callable[[], Awaitable[httpx.Response]]:
    return lambda: service.client.put(path, json=body, headers=service.auth(org))


async def test_percentages_not_adding_up_to_100(service: Service) -> None:
    body = programme_body(
        recipientCountries=[
            {"countryCode": "TUN", "percentage": "50"},
            {"countryCode": "MAR", "percentage": "49.99"},
        ]
    )
    problem = await refused(
        service, post(service, "/v1/programmes", body), 422, "recipientCountries"
    )
    assert "99.99, not 100" in problem["invalidParams"][0]["reason"]
    sectors = programme_body(
        sectors=[{"code": "15190", "percentage": "60"}, {"code": "15136", "percentage": "30"}]
    )
    await refused(service, post(service, "/v1/programmes", sectors), 422, "sectors")


async def test_unknown_codes(service: Service) -> None:
    unknown_sector = programme_body(sectors=[{"code": "99999", "percentage": "100"}])
    problem = await refused(
        service, post(service, "/v1/programmes", unknown_sector), 422, "sectors[0].code"
    )
    assert "'99999' is not a known DAC 5-digit sector code" in problem["detail"]
    channel = programme_body(
        participatingOrganisations=[
            {"role": "implementing", "name": "Unknown body", "crsChannelCode": "12345"}
        ]
    )
    await refused(
        service,
        post(service, "/v1/programmes", channel),
        422,
        "participatingOrganisations[0].crsChannelCode",
    )
    country = programme_body(recipientCountries=[{"countryCode": "XXX", "percentage": "100"}])
    await refused(
        service, post(service, "/v1/programmes", country), 422, "recipientCountries[0].countryCode"
    )
    programme_id = await service.create()
    await refused(
        service,
        post(
            service,
            f"/v1/programmes/{programme_id}/status-transitions",
            {"status": 7, "reason": "x"},
        ),
        422,
        "status",
    )


async def test_only_ministries_own_programmes(service: Service) -> None:
    problem = await refused(
        service, post(service, "/v1/programmes", programme_body(), org="kmar"), 403
    )
    assert "owned by ministries" in problem["detail"]


async def test_illegal_transitions_and_premature_approval(service: Service) -> None:
    programme_id = await service.create()
    path = f"/v1/programmes/{programme_id}/status-transitions"
    problem = await refused(service, post(service, path, {"status": 4, "reason": "Done."}), 409)
    assert "cannot move from 1 (pipeline) to 4 (closed)" in problem["detail"]
    problem = await refused(service, post(service, path, {"status": 2, "reason": "Go."}), 409)
    assert "needs a budget and a results framework" in problem["detail"]
    future = {"status": 5, "reason": "Later.", "effectiveOn": f"{YEAR + 1}-06-01"}
    await refused(service, post(service, path, future), 422, "effectiveOn")
    approved = await service.approved()
    backdated = {"status": 6, "reason": "Paused.", "effectiveOn": f"{YEAR - 1}-12-31"}
    problem = await refused(
        service,
        post(service, f"/v1/programmes/{approved}/status-transitions", backdated),
        422,
        "effectiveOn",
    )
    assert "before the programme's last status change" in problem["detail"]


async def test_oda_on_a_forced_return_programme(service: Service) -> None:
    programme_id = await service.create(
        title="Escorted returns from the Netherlands",
        returnAssistance="forced",
        themes=["return-cooperation"],
        participatingOrganisations=[{"role": "implementing", "organisation": "kmar"}],
    )
    body = budgets_body(
        {"year": YEAR, "budgetLine": "am", "oda": False, "amount": "200000"},
        {"year": YEAR, "budgetLine": "am", "oda": True, "amount": "100000"},
    )
    problem = await refused(
        service, put(service, f"/v1/programmes/{programme_id}/budgets", body), 422, "budgets[1].oda"
    )
    assert "assistance to forced returns is excluded from ODA" in problem["detail"]


async def test_money_beyond_the_budget_or_not_exact(service: Service) -> None:
    programme_id = await service.approved()
    path = f"/v1/programmes/{programme_id}/transactions"
    commitment = {
        "type": "commitment",
        "transactionDate": f"{YEAR}-02-01",
        "budgetLine": "bho",
        "oda": True,
        "amount": "1000000.00",
    }
    accepted = await service.client.post(path, json=commitment, headers=service.auth())
    assert accepted.status_code == 201, accepted.text
    disbursement = {**commitment, "type": "disbursement", "amount": "1000000.01"}
    problem = await refused(service, post(service, path, disbursement), 422, "amount")
    assert "EUR 0.01 beyond its budget" in problem["detail"]
    await refused(service, post(service, path, {**commitment, "amount": "1.005"}), 422, "amount")
    await refused(service, post(service, path, {**commitment, "currency": "USD"}), 422, "currency")
    lowered = budgets_body({"year": YEAR, "budgetLine": "bho", "oda": True, "amount": "999999.99"})
    await refused(
        service, put(service, f"/v1/programmes/{programme_id}/budgets", lowered), 422, "budgets"
    )


async def test_a_decision_on_a_decided_review(service: Service) -> None:
    programme_id = await service.approved()
    await deliver(service, cloud_event(flagged(programme_id)))
    reviews = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews", headers=service.auth()
    )
    (review,) = reviews.json()["items"]
    path = f"/v1/programmes/{programme_id}/reviews/{review['reviewId']}/decision"
    decision = {"decision": "continue", "rationale": "The finding was addressed."}
    first = await service.client.post(path, json=decision, headers=service.auth("am", [DECIDE]))
    assert first.status_code == 201, first.text
    problem = await refused(service, post(service, path, decision, scopes=(DECIDE,)), 409)
    assert "a decision is final" in problem["detail"]


async def test_an_organisation_cannot_change_a_programme_it_does_not_own(service: Service) -> None:
    programme_id = await service.approved("am")
    await deliver(service, cloud_event(flagged(programme_id)))
    review_id = (
        await service.client.get(f"/v1/programmes/{programme_id}/reviews", headers=service.auth())
    ).json()["items"][0]["reviewId"]
    base = f"/v1/programmes/{programme_id}"
    attempts: list[Callable[[], Awaitable[httpx.Response]]] = [
        post(service, f"{base}/status-transitions", {"status": 6, "reason": "x"}, org="bz"),
        put(service, f"{base}/budgets", budgets_body(), org="bz"),
        put(service, f"{base}/results-framework", {"indicators": []}, org="bz"),
        post(
            service,
            f"{base}/transactions",
            {
                "type": "commitment",
                "transactionDate": f"{YEAR}-02-01",
                "budgetLine": "bho",
                "oda": True,
                "amount": "1",
            },
            org="bz",
        ),
        post(
            service,
            f"{base}/reviews/{review_id}/decision",
            {"decision": "continue", "rationale": "x"},
            org="bz",
            scopes=(DECIDE,),
        ),
    ]
    for attempt in attempts:
        problem = await refused(service, attempt, 403)
        assert "owned by am" in problem["detail"]


async def test_scopes_and_missing_resources(service: Service) -> None:
    programme_id = await service.create()
    base = f"/v1/programmes/{programme_id}"
    await refused(
        service,
        post(service, f"{base}/status-transitions", {"status": 5, "reason": "x"}, scopes=()),
        403,
    )
    await refused(
        service,
        post(
            service, "/v1/programmes/prg-1999-0001/status-transitions", {"status": 5, "reason": "x"}
        ),
        404,
    )
    missing = "00000000-0000-4000-8000-000000000000"
    await refused(
        service,
        post(
            service,
            f"{base}/reviews/{missing}/decision",
            {"decision": "continue", "rationale": "x"},
            scopes=(DECIDE,),
        ),
        404,
    )
    await refused(
        service,
        post(
            service,
            f"{base}/reviews/{missing}/decision",
            {"decision": "continue", "rationale": "x"},
        ),
        403,
    )
    await refused(
        service,
        post(service, "/v1/programmes", {**programme_body(), "colour": "red"}),
        422,
        "colour",
    )
