"""The HTTP API on the real app: subscriptions, ownership, bad input, deliveries, inbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.notifications.conftest import (
    FLAGGED,
    Service,
    cloud_event,
    deliver,
    flagged,
)
from tests.support import eventually
from tests.webhook_receiver import Receiver


def causes(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {p["name"]: p["reason"] for p in response.json()["invalidParams"]}


async def test_create_verifies_the_endpoint_and_shows_the_secret_once(
    service: Service, receiver: Receiver
) -> None:
    created = await service.subscribe(
        "am", url=receiver.url(), filters={"owningOrganisation": ["mine"]}
    )
    secret = created["secret"]
    assert secret.startswith("whsec_")
    (verification,) = receiver.received
    body = verification.verified(secret)
    assert body["type"].endswith("endpoint-verification")
    assert body["data"]["subscriptionId"] == created["subscriptionId"]

    shown = await service.client.get(
        f"/v1/subscriptions/{created['subscriptionId']}", headers=service.auth("am", [])
    )
    assert shown.status_code == 200
    assert "secret" not in shown.json()
    assert shown.json()["filters"]["owningOrganisation"] == ["mine"]
    listed = await service.client.get("/v1/subscriptions", headers=service.auth("am", []))
    assert created["subscriptionId"] in {s["subscriptionId"] for s in listed.json()["items"]}


async def test_an_endpoint_that_does_not_answer_2xx_is_refused(
    service: Service, receiver: Receiver
) -> None:
    receiver.respond(500)
    response = await service.client.post(
        "/v1/subscriptions",
        json={"url": receiver.url(), "channels": ["monitoring"]},
        headers=service.auth(),
    )
    assert "url" in causes(response)
    receiver.respond(302, location="https://example.org/")
    response = await service.client.post(
        "/v1/subscriptions",
        json={"url": receiver.url(), "channels": ["monitoring"]},
        headers=service.auth(),
    )
    assert "url" in causes(response), "redirects are not followed"


async def test_other_organisations_see_and_manage_nothing(
    service: Service, receiver: Receiver
) -> None:
    created = await service.subscribe("am", url=receiver.url())
    path = f"/v1/subscriptions/{created['subscriptionId']}"
    bz = service.auth("bz")
    assert (await service.client.get(path, headers=bz)).status_code == 404
    assert (
        await service.client.patch(path, json={"description": "x"}, headers=bz)
    ).status_code == 404
    assert (await service.client.delete(path, headers=bz)).status_code == 404
    assert (await service.client.post(f"{path}/pause", headers=bz)).status_code == 404
    listed = await service.client.get("/v1/subscriptions", headers=bz)
    assert created["subscriptionId"] not in {s["subscriptionId"] for s in listed.json()["items"]}
    # Writes need the scope.
    no_scope = service.auth("am", [])
    assert (await service.client.delete(path, headers=no_scope)).status_code == 403


async def test_bad_input_names_each_cause(service: Service) -> None:
    response = await service.client.post(
        "/v1/subscriptions",
        json={
            "url": "http://alerts.example.org/hook",
            "eventTypes": [FLAGGED, "nl.migratiesamenwerking.monitoring.nope"],
            "channels": ["programmes", "finance"],
            "filters": {"severityAtLeast": "high", "owningOrganisation": ["acme"]},
        },
        headers=service.auth(),
    )
    found = causes(response)
    assert set(found) == {
        "url",
        "eventTypes[1]",
        "channels[1]",
        "filters.severityAtLeast",
        "filters.owningOrganisation[0]",
    }
    assert "https" in found["url"]
    assert "programmes" in found["filters.severityAtLeast"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"filters": {"colour": ["red"]}}, "filters.colour"),
        ({"filters": {"countryCode": ["XXX"]}}, "filters.countryCode[0]"),
        ({"filters": {"severityAtLeast": "dire"}}, "filters.severityAtLeast"),
        ({"url": "https://169.254.169.254/latest"}, "url"),
        ({"url": "https://10.1.2.3/hook"}, "url"),
        ({"url": "https://user:pw@alerts.example.org/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"channels": []}, "eventTypes"),
    ],
)
async def test_each_kind_of_bad_input_is_a_422(
    service: Service, body: dict[str, Any], field: str
) -> None:
    response = await service.client.post(
        "/v1/subscriptions", json={"channels": ["monitoring"], **body}, headers=service.auth()
    )
    assert field in causes(response)


async def test_pause_resume_rotate_change_and_delete(service: Service, receiver: Receiver) -> None:
    created = await service.subscribe("kmar", url=receiver.url())
    path = f"/v1/subscriptions/{created['subscriptionId']}"
    headers = service.auth("kmar")
    paused = await service.client.post(f"{path}/pause", headers=headers)
    assert paused.json()["status"] == "paused"
    resumed = await service.client.post(f"{path}/resume", headers=headers)
    assert resumed.json()["status"] == "active"
    rotated = await service.client.post(f"{path}/secret-rotations", headers=headers)
    assert rotated.status_code == 201
    assert rotated.json()["secret"] != created["secret"]
    changed = await service.client.patch(
        path, json={"filters": {"countryCode": ["TUN"]}, "description": "Tunisia"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["filters"]["countryCode"] == ["TUN"]
    assert changed.json()["description"] == "Tunisia"
    bad = await service.client.patch(
        path,
        json={"channels": ["countries"], "filters": {"flagCategory": ["risk"]}},
        headers=headers,
    )
    assert "filters.flagCategory" in causes(bad)
    assert (await service.client.delete(path, headers=headers)).status_code == 204
    assert (await service.client.get(path, headers=headers)).status_code == 404


async def test_a_flag_is_delivered_signed_logged_and_in_the_inbox(
    service: Service, receiver: Receiver
) -> None:
    created = await service.subscribe(
        "coa", url=receiver.url("/coa"), filters={"owningOrganisation": ["mine"]}
    )
    event = cloud_event(flagged(owningOrganisation="szw", partnerOrganisations=["coa"]))
    await deliver(service, event)
    await eventually(lambda: receiver.deliveries("/coa"))
    (received,) = receiver.deliveries("/coa")
    body = received.verified(created["secret"])
    assert body == event.to_structured() | {"data": event.data}
    assert body["id"] == event.id and body["type"] == FLAGGED
    assert received.headers["traceparent"].startswith("00-")
    assert received.headers["content-type"] == "application/json"

    auth = service.auth("coa", [])
    listed = (await service.client.get("/v1/deliveries", headers=auth)).json()["items"]
    (delivery,) = [d for d in listed if d["subscriptionId"] == created["subscriptionId"]]
    assert delivery["deliveryId"] == received.webhook_id
    await eventually(lambda: _delivered(service, delivery["deliveryId"], "coa"))
    attempts = await service.client.get(
        f"/v1/deliveries/{delivery['deliveryId']}/attempts", headers=auth
    )
    (attempt,) = attempts.json()["items"]
    assert attempt["outcome"] == "delivered" and attempt["httpStatus"] == 204
    assert attempt["durationMs"] >= 0
    names = [e.name for e in await service.emitted() if e.key == created["subscriptionId"]]
    assert names == ["notification-delivered"]

    inbox = (await service.client.get("/v1/inbox?read=false", headers=auth)).json()["items"]
    (entry,) = [i for i in inbox if i["eventId"] == event.id]
    assert entry["event"]["data"]["flagId"] == event.data["flagId"]
    marked = await service.client.patch(
        f"/v1/inbox/{entry['entryId']}", json={"read": True}, headers=service.auth("coa")
    )
    assert marked.json()["read"] is True
    unread = (await service.client.get("/v1/inbox?read=false", headers=auth)).json()["items"]
    assert event.id not in {i["eventId"] for i in unread}
    other = await service.client.get(f"/v1/inbox/{entry['entryId']}", headers=service.auth("bz"))
    assert other.status_code == 404

    resent = await service.client.post(
        f"/v1/deliveries/{delivery['deliveryId']}/resend", headers=service.auth("coa")
    )
    assert resent.status_code == 202
    await eventually(lambda: len(receiver.deliveries("/coa")) == 2)
    assert {r.webhook_id for r in receiver.deliveries("/coa")} == {delivery["deliveryId"]}


async def _delivered(service: Service, delivery_id: str, organisation: str) -> bool:
    found = await service.client.get(
        f"/v1/deliveries/{delivery_id}", headers=service.auth(organisation, [])
    )
    return bool(found.json()["status"] == "delivered")


async def test_retry_after_is_honoured_and_410_disables(
    service: Service, receiver: Receiver
) -> None:
    created = await service.subscribe(
        "dtv", url=receiver.url("/dtv"), filters={"owningOrganisation": ["mine"]}
    )
    receiver.respond(503, retry_after="1")
    receiver.respond(410)
    event = cloud_event(flagged(owningOrganisation="dtv", partnerOrganisations=[]))
    await deliver(service, event)
    await eventually(lambda: len(receiver.deliveries("/dtv")) == 2, timeout=10)
    first, second = receiver.deliveries("/dtv")
    assert first.webhook_id == second.webhook_id
    gap = int(second.headers["webhook-timestamp"]) - int(first.headers["webhook-timestamp"])
    assert gap >= 1, "Retry-After: 1 outlasts the 0.3 s backoff"
    await eventually(lambda: _status_is(service, created["subscriptionId"], "disabled"), timeout=10)
    failures = [
        e.data
        for e in await service.emitted()
        if e.key == created["subscriptionId"] and e.name == "delivery-failed"
    ]
    assert [(f["httpStatus"], f["final"]) for f in failures] == [(503, False), (410, True)]
    shown = await service.client.get(
        f"/v1/subscriptions/{created['subscriptionId']}", headers=service.auth("dtv", [])
    )
    assert shown.json()["status"] == "disabled"


async def _status_is(service: Service, subscription_id: str, status: str) -> bool:
    return await service.subscription_status(subscription_id) == status


async def test_inbox_only_subscriptions_need_no_webhook(service: Service) -> None:
    created = await service.subscribe("szw", channels=["monitoring"])
    assert created["url"] is None and created["secret"] is None
    event = cloud_event(flagged(owningOrganisation="szw"))
    await deliver(service, event)
    inbox = (await service.client.get("/v1/inbox", headers=service.auth("szw", []))).json()
    assert event.id in {i["eventId"] for i in inbox["items"]}
    assert not [d for d in await service.deliveries() if d.organisation == "szw"]
    assert json.loads(json.dumps(inbox))  # serialisable as sent
