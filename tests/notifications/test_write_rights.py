"""An organisation manages only its own subscriptions and inbox (``domain/rights.py``).

Another organisation, the taskforce secretariat included, finds nothing there:
every read and write of someone else's subscription, delivery or inbox entry
is a 404 problem, and changes nothing; the holder itself may do each of them.
"""

from __future__ import annotations

import httpx

from tests.notifications.conftest import Service, cloud_event, deliver, flagged
from tests.support import eventually
from tests.webhook_receiver import Receiver

OTHERS = ("bz", "tf-secretariaat", "coa")  # another ministry, the secretariat, an agency


async def subscription_state(service: Service, subscription_id: str) -> httpx.Response:
    return await service.client.get(
        f"/v1/subscriptions/{subscription_id}", headers=service.auth("szw", [])
    )


async def test_only_the_holder_manages_its_subscription(service: Service) -> None:
    created = await service.subscribe("szw", channels=["monitoring"])
    path = f"/v1/subscriptions/{created['subscriptionId']}"
    attempts = (
        ("GET", path, None),
        ("PATCH", path, {"description": "taken over"}),
        ("POST", f"{path}/pause", None),
        ("POST", f"{path}/resume", None),
        ("POST", f"{path}/secret-rotations", None),
        ("DELETE", path, None),
    )
    before = (await subscription_state(service, created["subscriptionId"])).json()
    for organisation in OTHERS:
        for method, url, body in attempts:
            response = await service.client.request(
                method, url, json=body, headers=service.auth(organisation)
            )
            assert response.status_code == 404, (organisation, method, url, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
    after = await subscription_state(service, created["subscriptionId"])
    assert after.status_code == 200 and after.json() == before

    own = service.auth("szw")
    changed = await service.client.patch(path, json={"description": "szw's"}, headers=own)
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "szw's"
    assert (await service.client.post(f"{path}/pause", headers=own)).status_code == 200
    assert (await service.client.delete(path, headers=own)).status_code == 204


async def test_only_the_holder_reads_and_marks_its_inbox(service: Service) -> None:
    await service.subscribe("def", channels=["monitoring"])
    event = cloud_event(flagged(owningOrganisation="def"))
    await deliver(service, event)
    inbox = await service.client.get("/v1/inbox", headers=service.auth("def", []))
    (entry,) = [e for e in inbox.json()["items"] if e["eventId"] == event.id]
    path = f"/v1/inbox/{entry['entryId']}"
    for organisation in OTHERS:
        headers = service.auth(organisation)
        assert (await service.client.get(path, headers=headers)).status_code == 404
        marked = await service.client.patch(path, json={"read": True}, headers=headers)
        assert marked.status_code == 404, marked.text
    unread = await service.client.get(path, headers=service.auth("def", []))
    assert unread.json()["readAt"] is None
    marked = await service.client.patch(path, json={"read": True}, headers=service.auth("def"))
    assert marked.status_code == 200 and marked.json()["readAt"] is not None


async def test_only_the_holder_reads_and_resends_its_deliveries(
    service: Service, receiver: Receiver
) -> None:
    await service.subscribe(
        "ind", url=receiver.url("/ind"), filters={"owningOrganisation": ["mine"]}
    )
    await deliver(
        service, cloud_event(flagged(owningOrganisation="am", partnerOrganisations=["ind"]))
    )
    await eventually(lambda: receiver.deliveries("/ind"))
    listed = await service.client.get("/v1/deliveries", headers=service.auth("ind", []))
    (delivery,) = listed.json()["items"]
    path = f"/v1/deliveries/{delivery['deliveryId']}"
    for organisation in OTHERS:
        headers = service.auth(organisation)
        assert (await service.client.get(path, headers=headers)).status_code == 404
        assert (await service.client.get(f"{path}/attempts", headers=headers)).status_code == 404
        resent = await service.client.post(f"{path}/resend", headers=headers)
        assert resent.status_code == 404, resent.text
        assert resent.headers["content-type"].startswith("application/problem+json")
    assert len(receiver.deliveries("/ind")) == 1
    resent = await service.client.post(f"{path}/resend", headers=service.auth("ind"))
    assert resent.status_code == 202, resent.text
    await eventually(lambda: len(receiver.deliveries("/ind")) == 2)
