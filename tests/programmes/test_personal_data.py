"""A review decision's rationale and changes are about no one in person: refused with a 422.

The rationale is repeated in a status change's reason and read across
ministries; the detector itself is tested in ``tests/unit/test_personal_data.py``.
A refusal names the field and the kind of detail, decides nothing and never
repeats the detail.
"""

from __future__ import annotations

from typing import Any

import httpx

from shared.consumer import Outcome
from tests.programmes.conftest import DECIDE, Service, cloud_event, deliver, flagged

OWNER = "am"
PERSON = "Mohammed El Amrani, born 3 March 1990, of Kerkstraat 12, Utrecht, was detained."


async def _open_review(service: Service) -> str:
    programme_id = await service.approved(OWNER)
    event = cloud_event(flagged(programme_id, category="negative-side-effects"))
    assert await deliver(service, event) is Outcome.HANDLED
    return programme_id


async def _decide(service: Service, programme_id: str, body: dict[str, Any]) -> httpx.Response:
    listed = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews", headers=service.auth(OWNER)
    )
    (review,) = listed.json()["items"]
    return await service.client.post(
        f"/v1/programmes/{programme_id}/reviews/{review['reviewId']}/decision",
        json=body,
        headers=service.auth(OWNER, [DECIDE]),
    )


def _refused(response: httpx.Response, field: str, kind: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    reasons = {p["name"]: p["reason"] for p in response.json()["invalidParams"]}
    assert kind in reasons[field], reasons
    for fragment in ("Amrani", "1990", "Kerkstraat", "0612"):
        assert fragment not in response.text


async def test_a_rationale_naming_someone_is_refused_and_decides_nothing(
    service: Service,
) -> None:
    programme_id = await _open_review(service)
    refused = await _decide(service, programme_id, {"decision": "suspend", "rationale": PERSON})
    _refused(refused, "rationale", "a name with birth data")
    listed = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews", headers=service.auth(OWNER)
    )
    assert listed.json()["items"][0]["decision"] is None
    rationale = "On 3 March 2025 returnees reported detention on arrival; 312 affected."
    decided = await _decide(service, programme_id, {"decision": "suspend", "rationale": rationale})
    assert decided.status_code == 201, decided.text


async def test_an_adapt_change_naming_someone_is_refused(service: Service) -> None:
    programme_id = await _open_review(service)
    body = {
        "decision": "adapt",
        "rationale": "The partner is asked to change reception on arrival.",
        "changes": ["Reception moves to a new partner.", "Call the focal point on 0612345678."],
    }
    _refused(await _decide(service, programme_id, body), "changes[1]", "a phone number")


async def test_an_adapt_change_with_control_characters_is_refused(service: Service) -> None:
    programme_id = await _open_review(service)
    body = {
        "decision": "adapt",
        "rationale": "The partner is asked to change reception on arrival.",
        "changes": ["Reception moves\x00 to a new partner.\x1b[2J"],
    }
    response = await _decide(service, programme_id, body)
    assert response.status_code == 422, response.text
    names = {p["name"] for p in response.json()["invalidParams"]}
    assert any(name.startswith("changes") for name in names), names
