"""Who may write what in the registry: the owning ministry only, for every change.

Each write is tried by the programme's participating agency (kmar), the
taskforce secretariat and another ministry (refused with a 403 problem that
names the owner, nothing changed), then by the owner (allowed).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.programmes.conftest import (
    DECIDE,
    WRITE,
    YEAR,
    Service,
    budgets_body,
    cloud_event,
    deliver,
    flagged,
    framework_body,
    programme_body,
)

#: The programme's implementing agency, the secretariat, another ministry.
OTHERS = ("kmar", "tf-secretariaat", "bz")

Send = Callable[[str], Awaitable[httpx.Response]]


def commitment() -> dict[str, Any]:
    return {
        "type": "commitment",
        "transactionDate": f"{YEAR}-02-01",
        "budgetLine": "bho",
        "oda": True,
        "amount": "1000.00",
    }


async def refused_to_all_but_the_owner(service: Service, send: Send, allowed: int) -> None:
    for organisation in OTHERS:
        before = await service.snapshot()
        response = await send(organisation)
        assert response.status_code == 403, (organisation, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        detail = response.json()["detail"]
        assert "owned by am" in detail and "only am may" in detail, detail
        assert organisation in detail
        assert await service.snapshot() == before, "no state change, no event"
    owner = await send("am")
    assert owner.status_code == allowed, owner.text


async def test_only_the_owner_moves_the_lifecycle(service: Service) -> None:
    programme_id = await service.approved()

    async def send(organisation: str) -> httpx.Response:
        return await service.client.post(
            f"/v1/programmes/{programme_id}/status-transitions",
            json={"status": 6, "reason": "Suspended pending the review."},
            headers=service.auth(organisation),
        )

    await refused_to_all_but_the_owner(service, send, 201)


async def test_only_the_owner_sets_the_budget(service: Service) -> None:
    programme_id = await service.create()

    async def send(organisation: str) -> httpx.Response:
        return await service.client.put(
            f"/v1/programmes/{programme_id}/budgets",
            json=budgets_body(),
            headers=service.auth(organisation),
        )

    await refused_to_all_but_the_owner(service, send, 200)


async def test_only_the_owner_books_commitments_and_disbursements(service: Service) -> None:
    programme_id = await service.approved()

    async def send(organisation: str) -> httpx.Response:
        return await service.client.post(
            f"/v1/programmes/{programme_id}/transactions",
            json=commitment(),
            headers=service.auth(organisation),
        )

    await refused_to_all_but_the_owner(service, send, 201)


async def test_only_the_owner_sets_the_results_framework(service: Service) -> None:
    programme_id = await service.create()

    async def send(organisation: str) -> httpx.Response:
        return await service.client.put(
            f"/v1/programmes/{programme_id}/results-framework",
            json=framework_body(),
            headers=service.auth(organisation),
        )

    await refused_to_all_but_the_owner(service, send, 200)


async def test_only_the_owner_decides_the_review_and_is_recorded_as_deciding(
    service: Service,
) -> None:
    programme_id = await service.approved()
    await deliver(service, cloud_event(flagged(programme_id)))
    listed = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews", headers=service.auth()
    )
    review_id = listed.json()["items"][0]["reviewId"]

    async def send(organisation: str) -> httpx.Response:
        return await service.client.post(
            f"/v1/programmes/{programme_id}/reviews/{review_id}/decision",
            json={"decision": "continue", "rationale": "The finding is addressed."},
            headers=service.auth(organisation, [WRITE, DECIDE]),
        )

    await refused_to_all_but_the_owner(service, send, 201)
    decided = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews/{review_id}", headers=service.auth()
    )
    assert decided.json()["decision"]["decidedBy"] == "am"


async def test_only_ministries_register_and_the_caller_owns(service: Service) -> None:
    for organisation in ("kmar", "tf-secretariaat"):
        response = await service.client.post(
            "/v1/programmes",
            json=programme_body(),
            headers=service.auth(organisation),
        )
        assert response.status_code == 403, response.text
        assert "owned by ministries" in response.json()["detail"]
    programme_id = await service.create("jenv")
    got = await service.client.get(f"/v1/programmes/{programme_id}", headers=service.auth())
    assert got.json()["owningOrganisation"] == "jenv"
