"""Review rationales and changes go to the programme's people; everyone else sees them withheld.

The programme is owned by `am` with `kmar` implementing. The owner decides a review;
the owner, `kmar` and the secretariat (with a programmes scope) read the rationale
and the changes and leave an audit mark; `bz` and tokens without a programmes scope
get null, the fields named in `withheld`, and no mark. A suspension repeats the
rationale in the status change's reason, which is withheld alike.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.consumer import Outcome
from tests.need_to_know_support import (
    ScopeKeepingClient,
    callers,
    need_to_know_properties,
)
from tests.programmes.conftest import DECIDE, Service, cloud_event, deliver, flagged

OWNER, PARTNER = "am", "kmar"
READERS = callers("programmes", OWNER, PARTNER, unrelated="bz")
RATIONALE = "Returnees reported being detained on arrival; the partner is asked to stop."
CHANGES = ["Reception on arrival moves to an independent partner."]


async def _decided(service: Service, decision: str) -> tuple[str, str]:
    programme_id = await service.approved(OWNER)
    event = cloud_event(flagged(programme_id, category="negative-side-effects"))
    assert await deliver(service, event) is Outcome.HANDLED
    listed = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews", headers=service.auth(OWNER)
    )
    (review,) = listed.json()["items"]
    body: dict[str, Any] = {"decision": decision, "rationale": RATIONALE}
    if decision == "adapt":
        body["changes"] = CHANGES
    response = await service.client.post(
        f"/v1/programmes/{programme_id}/reviews/{review['reviewId']}/decision",
        json=body,
        headers=service.auth(OWNER, [DECIDE]),
    )
    assert response.status_code == 201, response.text
    assert response.json()["decision"]["rationale"] == RATIONALE
    return programme_id, review["reviewId"]


@pytest.mark.parametrize("listed", [False, True], ids=["one-review", "the-list"])
async def test_only_the_programmes_people_read_a_decisions_rationale(
    service: Service, listed: bool
) -> None:
    programme_id, review_id = await _decided(service, "adapt")
    base = f"/programmes/{programme_id}/reviews"
    path = base if listed else f"{base}/{review_id}"
    client = ScopeKeepingClient(service.app, service.settings)
    for organisation, scopes, entitled in READERS:
        read = await client.get(path, organisation, scopes)
        who = f"{organisation} with {scopes or 'no scopes'}"
        assert read.status == 200, f"{who}: {read.body}"
        review = read.body["items"][0] if listed else read.body
        decision = review["decision"]
        assert decision["decision"] == "adapt" and decision["decidedBy"] == OWNER
        if entitled:
            assert (decision["rationale"], decision["changes"]) == (RATIONALE, CHANGES), who
            assert decision["withheld"] == []
            assert read.marks == [f"review/{review_id}"], who
        else:
            assert (decision["rationale"], decision["changes"]) == (None, None), who
            assert decision["withheld"] == ["rationale", "changes"]
            assert read.marks == [], f"{who} was given nothing, yet a read was marked"


async def test_a_suspensions_reason_repeats_the_rationale_and_is_withheld_alike(
    service: Service,
) -> None:
    programme_id, review_id = await _decided(service, "suspend")
    path = f"/programmes/{programme_id}/status-transitions"
    client = ScopeKeepingClient(service.app, service.settings)
    for organisation, scopes, entitled in READERS:
        read = await client.get(path, organisation, scopes)
        approval, suspension = read.body["items"]
        who = f"{organisation} with {scopes or 'no scopes'}"
        assert approval["reason"] == "Approved by the taskforce board.", "not a review's text"
        assert approval["withheld"] == []
        assert (suspension["toStatus"], suspension["reviewId"]) == (6, review_id)
        if entitled:
            assert RATIONALE in suspension["reason"], who
            assert suspension["withheld"] == []
            assert read.marks == [f"status-transition/{suspension['transitionId']}"], who
        else:
            assert suspension["reason"] is None, who
            assert suspension["withheld"] == ["reason"]
            assert read.marks == [], who


async def test_an_open_review_hands_out_no_text(service: Service) -> None:
    programme_id = await service.approved(OWNER)
    assert await deliver(service, cloud_event(flagged(programme_id))) is Outcome.HANDLED
    client = ScopeKeepingClient(service.app, service.settings)
    read = await client.get(f"/programmes/{programme_id}/reviews", OWNER, ("programmes:read",))
    assert read.body["items"][0]["decision"] is None
    assert read.marks == []


def test_the_openapi_document_names_each_need_to_know_field(service: Service) -> None:
    document = service.app.openapi()
    assert need_to_know_properties(document) == {
        ("DecisionOut", "rationale"),
        ("DecisionOut", "changes"),
        ("StatusTransitionOut", "reason"),
    }
    decision = document["components"]["schemas"]["DecisionOut"]["properties"]
    assert decision["withheld"]["items"]["enum"] == ["rationale", "changes"]
