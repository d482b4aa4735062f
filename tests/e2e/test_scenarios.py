"""The design's four flows on the running stack, driven only through HTTP and the topics.

Four processes, the real broker, a real webhook receiver that verifies every
Standard Webhooks signature, and an organisation's own Kafka consumer (the
taskforce secretariat's principal, entitled to the domain topics it coordinates)
that parses the records with the official CloudEvents SDK.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat

from shared.events.catalogue import topic_of
from shared.kafka.principals import organisation_principal
from shared.telemetry import find_trace
from tests.e2e.stack import YEAR, Stack, commit_groups_at_end, wait_for
from tests.support import kafka_options

pytestmark = pytest.mark.kafka
BASE_PORT = 18101
#: The domain topics the secretariat is entitled to read (shared/kafka/entitlements.toml).
SECRETARIAT_TOPICS = [topic_of(s) for s in ("countries", "programmes", "monitoring")]


@dataclass
class Shared:
    """What the module's scenarios share: the secretariat's principal and group, the programmes."""

    agency_principal: str
    agency_group: str
    programmes: dict[str, str]


@pytest.fixture(scope="module")
def shared(stack: Stack) -> Iterator[Shared]:
    principal = organisation_principal(stack.settings, "tf-secretariaat")
    group = f"{principal.group_prefix}agency-{uuid.uuid4().hex[:10]}"
    asyncio.run(commit_groups_at_end(stack.settings, {group: SECRETARIAT_TOPICS}))
    yield Shared(principal.name, group, {})


def subscribe_to(stack: Stack, organisations: tuple[str, ...], *programme_ids: str) -> None:
    """What each organisation owns or takes part in, narrowed to this test's programmes."""
    for organisation in organisations:
        stack.subscribe(
            organisation,
            channels=["monitoring", "programmes"],
            filters={"owningOrganisation": ["mine"], "programmeId": list(programme_ids)},
        )


def test_counterproductive_result_to_suspension(stack: Stack, shared: Shared) -> None:
    pid = stack.programme(owner="am", agencies=("kmar",), country="TUN")
    shared.programmes["suspended"] = pid
    subscribe_to(stack, ("am", "kmar"), pid)

    # An increasing indicator below its baseline (100) in its latest period.
    stack.report_counterproductive_result(pid, reporter="kmar")
    [flag] = wait_for(
        lambda: stack.call("monitoring", "GET", "/flags", "am", params={"programmeId": pid})[
            "items"
        ],
        what="the counterproductive flag",
    )
    assert (flag["category"], flag["severity"], flag["state"]) == (
        "counterproductive",
        "high",
        "open",
    )
    [review] = wait_for(
        lambda: stack.call("programmes", "GET", f"/programmes/{pid}/reviews", "am")["items"],
        what="the review",
    )
    assert review["state"] == "open"
    assert review["flagIds"] == [flag["flagId"]]

    # The owning ministry's receiver got the signed flag and the review; its inbox too.
    [flagged] = wait_for(lambda: stack.receiver.at("am", "programme-flagged"), what="webhook")
    assert flagged.data["programmeId"] == pid
    assert flagged.data["category"] == "counterproductive"
    wait_for(lambda: stack.receiver.at("am", "review-opened"), what="review webhook")
    inbox = stack.call("notifications", "GET", "/inbox", "am", params={"pageSize": 100})
    assert flagged.event["id"] in {entry["eventId"] for entry in inbox["items"]}
    assert_one_trace_from_request_to_webhook(stack, flagged.event["id"])

    # The ministry decides: suspend.
    stack.call(
        "programmes",
        "POST",
        f"/programmes/{pid}/reviews/{review['reviewId']}/decision",
        "am",
        201,
        json={"decision": "suspend", "rationale": "Counterproductive: suspend and redesign."},
    )
    assert stack.call("programmes", "GET", f"/programmes/{pid}", "am")["status"] == 6
    wait_for(
        lambda: (
            stack.call("monitoring", "GET", f"/flags/{flag['flagId']}", "am")["state"] == "resolved"
        ),
        what="the flag resolved",
    )
    # The implementing agency hears of the decision, the suspension and the resolved flag.
    wait_for(
        lambda: (
            {"review-decided", "programme-status-changed", "flag-resolved"}
            <= {d.type for d in stack.receiver.at("kmar") if d.data.get("programmeId") == pid}
            and any(
                d.data.get("status") == 6
                for d in stack.receiver.at("kmar", "programme-status-changed")
            )
        ),
        what="the agency's notifications",
    )
    assert not stack.receiver.repeated_ids()
    assert stack.receiver.rejected == 0


#: What ops must see of the flag's flow, as (service, span name), across three processes.
FLAG_FLOW = {
    ("monitoring", "POST /v1/indicator-results"),
    ("monitoring", "send taskforce.monitoring.v1"),
    ("programmes", "process taskforce.monitoring.v1"),
    ("programmes", "send taskforce.programmes.v1"),
    ("notifications", "process taskforce.monitoring.v1"),
    ("notifications", "process taskforce.programmes.v1"),
    ("notifications", "POST webhook"),
}


def assert_one_trace_from_request_to_webhook(stack: Stack, event_id: str) -> None:
    """The services' own span files hold the flow as one trace; ``taskforce trace`` shows it."""

    def spans() -> list[dict[str, Any]]:
        found = find_trace(stack.settings.var_dir, event_id=event_id)
        return found if {(s["service"], s["name"]) for s in found} >= FLAG_FLOW else []

    found = wait_for(spans, what="the flag's spans (written about a second after they end)")
    assert len({s["trace_id"] for s in found}) == 1
    shown = subprocess.run(
        [sys.executable, "-c", "from shared.cli import main; main()", "trace", event_id],
        env={**os.environ, "TASKFORCE_VAR_DIR": str(stack.settings.var_dir)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    for service, name in FLAG_FLOW:
        assert service in shown and name in shown, (service, name, shown)


def test_high_residual_risk_puts_every_active_programme_under_review(
    stack: Stack, shared: Shared
) -> None:
    active = [
        stack.programme(owner="am", agencies=("kmar",), country="NER"),
        stack.programme(owner="bz", agencies=("kmar",), country="NER", budget=("bho", True, "1")),
    ]
    elsewhere = stack.programme(owner="am", agencies=("kmar",), country="MLI")
    shared.programmes["risk"] = active[0]
    subscribe_to(stack, ("am", "bz"), *active, elsewhere)

    def assess(residual: tuple[int, int]) -> None:
        stack.call(
            "countries",
            "POST",
            "/countries/NER/risk-assessments",
            "bz",
            201,
            json={
                "phase": "periodic",
                "items": [
                    {
                        "category": "detention-conditions",
                        "description": "Conditions for migrants in detention.",
                        "likelihood": 4,
                        "impact": 4,
                        "mitigation": "Independent monitoring.",
                        "residualLikelihood": residual[0],
                        "residualImpact": residual[1],
                    }
                ],
                "outcome": "proceed-with-mitigation",
                "assessedAt": f"{YEAR}-01-0{2 if residual[0] > 2 else 1}T10:00:00Z",
                "assessedBy": "bz",
                "nextReviewDate": f"{YEAR + 1}-01-01",
                "summary": "End-to-end test assessment.",
            },
        )

    assess((2, 3))  # medium: nothing happens
    assess((3, 4))  # 12: high

    def reviews_with_both_findings(pid: str) -> list[dict[str, Any]]:
        found = stack.call("programmes", "GET", f"/programmes/{pid}/reviews", "am")["items"]
        return [r for r in found if len(r["triggers"]) == 2]

    def alerted(owner: str, pid: str) -> bool:
        got = {d.type for d in stack.receiver.at(owner) if d.data.get("programmeId") == pid}
        return {"programme-flagged", "review-opened"} <= got

    for pid in active:
        # One review, opened by the assessment; monitoring's risk flag joins it.
        [review] = wait_for(
            functools.partial(reviews_with_both_findings, pid), what=f"a review on {pid}"
        )
        assert review["state"] == "open"
        assert sorted(name_of(t["eventType"]) for t in review["triggers"]) == [
            "human-rights-risk-assessed",
            "programme-flagged",
        ]
    for pid, owner in zip(active, ("am", "bz"), strict=True):
        wait_for(functools.partial(alerted, owner, pid), what=f"alerts to {owner}")
        [flag] = stack.call("monitoring", "GET", "/flags", owner, params={"programmeId": pid})[
            "items"
        ]
        assert flag["category"] == "risk"
    assert stack.call("programmes", "GET", f"/programmes/{elsewhere}/reviews", "am")["items"] == []
    assert (
        stack.call("monitoring", "GET", "/flags", "am", params={"programmeId": elsewhere})["items"]
        == []
    )


def test_commitment_over_the_budget_frame_alerts_the_finance_owner(
    stack: Stack, shared: Shared
) -> None:
    # The frame for A&M non-ODA this year is EUR 1,000,000 (tests/e2e/stack.py).
    pid = stack.programme(owner="am", agencies=("kmar",), budget=("am", False, "1500000.00"))
    shared.programmes["frame"] = pid
    # A&M holds the A&M budget line's frame: its finance desk subscribes to frame alerts.
    stack.subscribe(
        "am",
        eventTypes=["nl.migratiesamenwerking.programmes.budget-frame-exceeded"],
        filters={"programmeId": [pid]},
    )
    stack.call(
        "programmes",
        "POST",
        f"/programmes/{pid}/transactions",
        "am",
        201,
        json={
            "type": "commitment",
            "transactionDate": f"{YEAR}-06-01",
            "budgetLine": "am",
            "oda": False,
            "amount": "1200000.00",
            "description": "Grant agreement over the frame.",
        },
    )
    [alert] = wait_for(
        lambda: [
            d
            for d in stack.receiver.at("am", "budget-frame-exceeded")
            if d.data["programmeId"] == pid
        ],
        what="the frame alert",
    )
    assert alert.data["budgetHolder"] == "am"
    assert (alert.data["year"], alert.data["budgetLine"], alert.data["oda"]) == (YEAR, "am", False)
    assert alert.data["excessEur"] == 200000


def test_an_agency_consumer_sees_every_event_in_order_per_key(stack: Stack, shared: Shared) -> None:
    pid = shared.programmes["suspended"]
    expected_programme_events = [
        "programme-registered",
        "results-framework-changed",
        "programme-approved",
        "programme-status-changed",
        "review-opened",
        "review-decided",
        "programme-status-changed",
    ]
    expected_monitoring_events = ["indicator-result-recorded", "programme-flagged", "flag-resolved"]
    events = asyncio.run(
        read_as_agency(
            stack.bootstrap,
            shared.agency_principal,
            shared.agency_group,
            stack.oin,
            until=lambda seen: (
                [name(e) for e in seen if e.get_subject() == pid and "programmes" in e.get_source()]
                == expected_programme_events
                and [
                    name(e)
                    for e in seen
                    if e.get_subject() == pid and "monitoring" in e.get_source()
                ]
                == expected_monitoring_events
            ),
        )
    )
    # In order per key (and per source, whose sequence counts per aggregate): strictly increasing.
    by_key: dict[tuple[str, str | None], list[int]] = defaultdict(list)
    for event in events:
        by_key[(event.get_source(), event.get_subject())].append(
            int(event.get_extension("sequence"))
        )
    for key, sequences in by_key.items():
        assert sequences == sorted(set(sequences)), key
    # Every programme of the module and the NER assessment are there.
    subjects = {e.get_subject() for e in events}
    assert set(shared.programmes.values()) <= subjects
    assert "NER" in subjects
    assert "nl.migratiesamenwerking.programmes.budget-frame-exceeded" in {
        e.get_type() for e in events if e.get_subject() == shared.programmes["frame"]
    }


def name(event: Any) -> str:
    return name_of(str(event.get_type()))


def name_of(event_type: str) -> str:
    return event_type.rsplit(".", 1)[-1]


async def read_as_agency(
    bootstrap: str, principal: str, group: str, oin: str, until: Any, timeout: float = 60
) -> list[Any]:
    """Read the entitled topics as the organisation, in its own group, with the CloudEvents SDK."""
    consumer = AIOKafkaConsumer(
        *SECRETARIAT_TOPICS,
        **kafka_options(bootstrap, principal),
        group_id=group,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    events: list[Any] = []
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while not until(events):
            assert asyncio.get_running_loop().time() < deadline, f"{len(events)} events only"
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    message = ce_kafka.KafkaMessage(
                        headers=dict(record.headers), key=record.key, value=record.value
                    )
                    event = ce_kafka.from_binary(message, JSONFormat())
                    if f":oin:{oin}:" in event.get_source():  # this stack's, not another's
                        events.append(event)
            await consumer.commit()
    finally:
        await consumer.stop()
    return events
