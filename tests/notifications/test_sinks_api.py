"""Sinks through the API and the handler, with no broker: 422s, defaults, changes, routing.

The app runs without its runtime (``offline``): what a routed event produced is
read from the database, the stream's records as the outbox rows the relay would
publish.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from services.notifications.domain.sinks import SUBSCRIPTION_HEADER
from services.notifications.service_layer.routing import route_event
from shared.consumer import Outcome
from shared.events.catalogue import CATALOGUE, stream_topic_of
from shared.events.envelope import CloudEvent, KafkaRecord
from shared.outbox import OutboxMessage, forwarding_id
from tests.notifications.conftest import FLAGGED, Service, deliver, flagged
from tests.notifications.offline import inbox_rows, offline, stream_rows
from tests.notifications.stream_support import published, trace_id_of
from tests.webhook_receiver import Receiver

__all__ = ["offline"]  # the fixture, imported for pytest to find


async def create(service: Service, organisation: str, **body: Any) -> Any:
    return await service.client.post(
        "/v1/subscriptions",
        json={"channels": ["monitoring"], **body},
        headers=service.auth(organisation),
    )


def causes(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {p["name"]: p["reason"] for p in response.json()["invalidParams"]}


async def test_left_out_sinks_keep_what_the_url_always_meant(
    offline: Service, receiver: Receiver
) -> None:
    webhook = await offline.subscribe("am", url=receiver.url("/am"))
    assert webhook["sinks"] == ["webhook", "inbox"] and webhook["secret"]
    inbox = await offline.subscribe("bz")
    assert inbox["sinks"] == ["inbox"] and inbox["secret"] is None
    shown = await offline.client.get(
        f"/v1/subscriptions/{webhook['subscriptionId']}", headers=offline.auth("am", [])
    )
    assert shown.json()["sinks"] == ["webhook", "inbox"]


async def test_a_stream_subscription_needs_no_url(offline: Service) -> None:
    created = await offline.subscribe("ind", sinks=["stream", "inbox", "stream"])
    assert created["sinks"] == ["inbox", "stream"]
    assert created["url"] is None and created["secret"] is None


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"sinks": []}, "sinks", "at least one sink"),
        ({"sinks": ["webhook"]}, "url", "webhook sink needs a url"),
        ({"sinks": ["webhook", "stream"]}, "url", "needs a url"),
        ({"sinks": ["stream"], "url": "https://alerts.example.org/hook"}, "url", "only for"),
        ({"sinks": ["pager"]}, "sinks[0]", "stream"),
    ],
)
async def test_sinks_that_do_not_fit_are_a_422_naming_the_field(
    offline: Service, body: dict[str, Any], field: str, words: str
) -> None:
    found = causes(await create(offline, "am", **body))
    assert field in found and words in found[field]
    listed = await offline.client.get("/v1/subscriptions", headers=offline.auth("am", []))
    assert listed.json()["items"] == []


async def test_every_cause_comes_in_one_422(offline: Service) -> None:
    found = causes(await create(offline, "am", sinks=[], channels=["finance"]))
    assert set(found) == {"sinks", "channels[0]"}


async def test_changing_sinks_and_url(offline: Service, receiver: Receiver) -> None:
    created = await offline.subscribe("ind", sinks=["stream"])
    path = f"/v1/subscriptions/{created['subscriptionId']}"
    headers = offline.auth("ind")

    async def patch(**body: Any) -> Any:
        return await offline.client.patch(path, json=body, headers=headers)

    assert "url" in causes(await patch(sinks=["webhook"]))
    changed = await patch(sinks=["webhook", "stream"], url=receiver.url("/ind"))
    assert changed.status_code == 200, changed.text
    assert changed.json()["sinks"] == ["webhook", "stream"]
    assert len(receiver.received) == 1, "the new url was verified"
    dropped = (await patch(sinks=["stream"])).json()
    assert (dropped["sinks"], dropped["url"]) == (["stream"], None)
    added = (await patch(url=receiver.url("/ind"))).json()
    assert added["sinks"] == ["webhook", "stream"], "a url alone adds the webhook, as it did"
    removed = (await patch(url=None)).json()
    assert (removed["sinks"], removed["url"]) == (["stream"], None)
    assert "url" in causes(await patch(sinks=["inbox"], url=receiver.url("/ind")))
    shown = await offline.client.get(path, headers=offline.auth("ind", []))
    assert shown.json()["sinks"] == ["stream"], "a refused change changes nothing"


def record_of(row: OutboxMessage) -> KafkaRecord:
    headers = [(name, value.encode()) for name, value in row.headers]
    return KafkaRecord(row.topic, row.key.encode() if row.key else None, row.value, headers)


def ce_headers(headers: list[tuple[str, bytes]]) -> dict[str, bytes]:
    return {n: v for n, v in headers if n.startswith("ce_") or n == "content-type"}


async def test_each_sink_gets_what_it_should_and_only_active_ones_push(
    offline: Service, receiver: Receiver
) -> None:
    mine = await offline.subscribe(
        "ind", sinks=["stream"], filters={"owningOrganisation": ["mine"]}
    )
    severe = await offline.subscribe(
        "ind",
        sinks=["inbox", "stream"],
        eventTypes=[FLAGGED],
        channels=[],
        filters={"severityAtLeast": "high"},
    )
    webhook = await offline.subscribe("coa", sinks=["webhook"], url=receiver.url("/coa"))
    await offline.subscribe("dtv", sinks=["inbox"])
    paused = await offline.subscribe("kmar", sinks=["stream", "inbox"])
    await offline.client.post(
        f"/v1/subscriptions/{paused['subscriptionId']}/pause", headers=offline.auth("kmar")
    )
    trace = uuid.uuid4().hex
    event = published(
        offline.settings,
        flagged(owningOrganisation="am", partnerOrganisations=["ind"], severity="critical"),
        sequence=7,
        trace_id=trace,
    )
    quiet = published(offline.settings, flagged(owningOrganisation="bz", severity="low"))
    assert await deliver(offline, event) is Outcome.HANDLED
    assert await deliver(offline, quiet) is Outcome.HANDLED

    rows = await stream_rows(offline)
    assert [(r.topic, r.header_value(SUBSCRIPTION_HEADER)) for r in rows] == [
        (stream_topic_of("ind"), mine["subscriptionId"]),
        (stream_topic_of("ind"), severe["subscriptionId"]),
    ], "one per stream subscription; none for the quiet event, none while paused"
    original = event.to_record(CATALOGUE[event.type].topic, event.subject)
    for row in rows:
        record = record_of(row)
        assert record.key == original.key and record.value == original.value
        assert ce_headers(record.headers) == ce_headers(original.headers)
        assert record.header("ce_sequence") == f"{7:020d}"
        assert trace_id_of(record.header("traceparent")) == trace, "the flow's trace goes on"
        assert CloudEvent.from_record(record).id == event.id
        assert row.event_id == forwarding_id(event, record.header(SUBSCRIPTION_HEADER) or "")

    inbox = {(e.organisation, e.event_id): e.subscription_ids for e in await inbox_rows(offline)}
    assert inbox == {
        ("ind", event.id): [severe["subscriptionId"]],
        ("dtv", event.id): inbox[("dtv", event.id)],
        ("dtv", quiet.id): inbox[("dtv", quiet.id)],
        ("kmar", event.id): [paused["subscriptionId"]],
        ("kmar", quiet.id): [paused["subscriptionId"]],
    }, "the inbox only for inbox sinks, paused or not; coa has only a webhook"
    deliveries = [(str(d.subscription_id), d.event_id) for d in await offline.deliveries()]
    assert sorted(deliveries) == sorted(
        [(webhook["subscriptionId"], event.id), (webhook["subscriptionId"], quiet.id)]
    )

    assert await deliver(offline, event) is Outcome.DUPLICATE
    assert len(await stream_rows(offline)) == 2, "a redelivery adds no stream record"


async def test_a_resumed_subscription_streams_what_comes_next_not_what_it_missed(
    offline: Service,
) -> None:
    created = await offline.subscribe("kmar", sinks=["stream"])
    path = f"/v1/subscriptions/{created['subscriptionId']}"
    await offline.client.post(f"{path}/pause", headers=offline.auth("kmar"))
    missed = published(offline.settings, flagged(owningOrganisation="kmar"))
    await deliver(offline, missed)
    await offline.client.post(f"{path}/resume", headers=offline.auth("kmar"))
    after = published(offline.settings, flagged(owningOrganisation="kmar"))
    await deliver(offline, after)
    assert [r.header_value("ce_id") for r in await stream_rows(offline)] == [after.id]


async def test_one_aggregates_events_keep_their_order_on_the_stream(offline: Service) -> None:
    await offline.subscribe("ind", sinks=["stream"])
    flag = flagged(owningOrganisation="ind")
    events = [published(offline.settings, flag, sequence=n) for n in (1, 2, 3)]
    for event in events:
        await deliver(offline, event)
    rows = await stream_rows(offline)
    assert [r.header_value("ce_id") for r in rows] == [e.id for e in events]
    assert {r.key for r in rows} == {flag.aggregate_id()}


async def test_forwarding_an_event_twice_for_a_subscription_fails_the_transaction(
    offline: Service,
) -> None:
    await offline.subscribe("ind", sinks=["stream"])
    event = published(offline.settings, flagged(owningOrganisation="ind"))
    context = offline.app.state.context
    async with offline.runtime.unit_of_work() as uow:
        await route_event(event, uow, context)
    with pytest.raises(IntegrityError):  # as if the consumer's inbox had missed it
        async with offline.runtime.unit_of_work() as uow:
            await route_event(event, uow, context)
    assert len(await stream_rows(offline)) == 1
