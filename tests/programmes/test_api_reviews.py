"""Adaptive management over HTTP and the service's handlers (events run through its consumer)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from services.programmes.context import ProgrammesContext
from services.programmes.domain.reviews import Arrival, Origin, Trigger, flag_trigger
from services.programmes.service_layer.commands import ReceiveFinding
from services.programmes.service_layer.programmes import load_programme
from services.programmes.service_layer.reviews import receive_finding
from shared.consumer import Outcome
from shared.contracts.monitoring import ProgrammeFlagged
from shared.contracts.vocabulary import Severity
from shared.events.catalogue import entry_for
from tests.programmes.conftest import (
    DECIDE,
    MONITORING_SOURCE,
    YEAR,
    Service,
    cloud_event,
    deliver,
    flagged,
    risk_assessed,
)

pytestmark = pytest.mark.kafka  # a flag for an unknown programme is dead-lettered


async def reviews_of(service: Service, programme_id: str) -> list[dict[str, Any]]:
    response = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews", headers=service.auth("bz", [])
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def decide(
    service: Service, programme_id: str, review_id: str, **decision: Any
) -> dict[str, Any]:
    response = await service.client.post(
        f"/v1/programmes/{programme_id}/reviews/{review_id}/decision",
        json={"rationale": "Discussed with the implementing partners.", **decision},
        headers=service.auth("am", [DECIDE]),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def disburse(service: Service, programme_id: str, amount: str = "1000.00") -> int:
    response = await service.client.post(
        f"/v1/programmes/{programme_id}/transactions",
        json={
            "type": "disbursement",
            "transactionDate": f"{YEAR}-03-01",
            "budgetLine": "bho",
            "oda": True,
            "amount": amount,
        },
        headers=service.auth(),
    )
    return response.status_code


async def test_a_critical_flag_opens_one_review_and_holds_disbursements(service: Service) -> None:
    programme_id = await service.approved()
    event = cloud_event(
        flagged(programme_id, severity="critical", category="negative-side-effects")
    )
    assert await deliver(service, event) is Outcome.HANDLED
    assert await deliver(service, event) is Outcome.DUPLICATE

    (review,) = await reviews_of(service, programme_id)
    assert review["state"] == "open" and review["critical"] and review["disbursementsOnHold"]
    (trigger,) = review["triggers"]
    assert (trigger["eventId"], trigger["eventType"], trigger["source"]) == (
        event.id,
        event.type,
        event.source,
    )
    assert (trigger["category"], trigger["level"]) == ("negative-side-effects", "critical")
    opened = [e for e in await service.emitted(programme_id) if e.name == "review-opened"]
    assert len(opened) == 1
    assert opened[0].data["triggers"] == [
        {"eventId": event.id, "eventType": event.type, "source": event.source}
    ]
    assert opened[0].data["flagIds"] == [event.data["flagId"]]
    assert opened[0].data["critical"] and opened[0].data["disbursementsOnHold"]
    assert opened[0].data["reviewUrl"].endswith(f"/reviews/{review['reviewId']}")

    programme = (
        await service.client.get(f"/v1/programmes/{programme_id}", headers=service.auth())
    ).json()
    assert programme["disbursementsOnHold"] and programme["openReviewId"] == review["reviewId"]
    assert await disburse(service, programme_id) == 409

    decided = await decide(
        service,
        programme_id,
        review["reviewId"],
        decision="adapt",
        changes=["Drop detention support."],
    )
    assert decided["state"] == "decided" and not decided["disbursementsOnHold"]
    assert decided["decision"]["changes"] == ["Drop detention support."]
    assert decided["decision"]["decidedBy"] == "am"
    assert await disburse(service, programme_id) == 201

    (decided_event,) = [
        e for e in await service.emitted(programme_id) if e.name == "review-decided"
    ]
    assert decided_event.data["decision"] == "adapt"
    assert decided_event.data["flagIds"] == [event.data["flagId"]]
    assert decided_event.data["disbursementsOnHold"] is False
    assert "resultingStatus" not in decided_event.data


async def test_a_replayed_flag_never_opens_a_second_review(service: Service) -> None:
    """Even with the inbox emptied (a rebuilt database), the review remembers its triggers."""
    programme_id = await service.approved()
    event = cloud_event(flagged(programme_id))
    await deliver(service, event)
    (review,) = await reviews_of(service, programme_id)
    await decide(service, programme_id, review["reviewId"], decision="continue")
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(
            text("DELETE FROM inbox_message WHERE event_id = :id"), {"id": event.id}
        )
    assert await deliver(service, event) is Outcome.HANDLED
    assert len(await reviews_of(service, programme_id)) == 1
    names = [e.name for e in await service.emitted(programme_id)]
    assert names.count("review-opened") == 1


async def test_a_replayed_flag_joins_the_open_review_once(service: Service) -> None:
    """With the inbox emptied, a flag already in the open review is not added again."""
    programme_id = await service.approved()
    first, second = cloud_event(flagged(programme_id)), cloud_event(flagged(programme_id))
    await deliver(service, first)
    await deliver(service, second)
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(
            text("DELETE FROM inbox_message WHERE event_id = :id"), {"id": second.id}
        )
    assert await deliver(service, second) is Outcome.HANDLED
    (review,) = await reviews_of(service, programme_id)
    assert [t["eventId"] for t in review["triggers"]] == [first.id, second.id]


def finding(severity: Severity) -> Trigger:
    origin = Origin(
        source=MONITORING_SOURCE,
        event_id=str(uuid.uuid4()),
        event_type=entry_for(ProgrammeFlagged).type,
        received_at=datetime.now(UTC),
    )
    return flag_trigger(
        origin,
        flag_id=uuid.uuid4(),
        category="counterproductive",
        severity=severity,
        recommends_hold=False,
    )


async def test_findings_in_one_transaction_see_the_ones_before_them(service: Service) -> None:
    """A consumer may handle a batch in one transaction: the findings still meet once each."""
    programme_id = await service.approved()
    ctx: ProgrammesContext = service.app.state.context
    minor, critical = finding(Severity.LOW), finding(Severity.CRITICAL)
    async with service.runtime.unit_of_work() as uow:
        programme = await load_programme(programme_id, uow, for_update=True)
        arrivals = [
            (
                await receive_finding(ReceiveFinding(programme_id, programme.status, t), uow, ctx)
            ).arrival
            for t in (minor, critical, minor, critical)
        ]
    assert arrivals == [Arrival.OPENED, Arrival.JOINED, Arrival.DUPLICATE, Arrival.DUPLICATE]
    (review,) = await reviews_of(service, programme_id)
    assert [t["eventId"] for t in review["triggers"]] == [
        minor.origin.event_id,
        critical.origin.event_id,
    ]
    assert review["critical"] and review["disbursementsOnHold"]
    expedited = ctx.review_policy.due(critical.origin.received_at.date(), critical=True)
    assert review["dueDate"] == expedited.isoformat(), "the critical finding brought it forward"


async def test_further_flags_join_the_open_review(service: Service) -> None:
    programme_id = await service.approved()
    first, second = cloud_event(flagged(programme_id)), cloud_event(flagged(programme_id))
    await deliver(service, first)
    await deliver(service, second)
    (review,) = await reviews_of(service, programme_id)
    assert [t["eventId"] for t in review["triggers"]] == [first.id, second.id]
    assert len(review["flagIds"]) == 2
    # Open, but nothing critical among its triggers: disbursements go on.
    programme = (
        await service.client.get(f"/v1/programmes/{programme_id}", headers=service.auth())
    ).json()
    assert programme["openReviewId"] == review["reviewId"]
    assert programme["disbursementsOnHold"] is False
    names = [e.name for e in await service.emitted(programme_id)]
    assert names.count("review-opened") == 1
    decided = await decide(service, programme_id, review["reviewId"], decision="continue")
    (event,) = [e for e in await service.emitted(programme_id) if e.name == "review-decided"]
    assert (
        event.data["flagIds"]
        == decided["flagIds"]
        == [
            first.data["flagId"],
            second.data["flagId"],
        ]
    )


async def test_suspend_and_terminate_move_the_status(service: Service) -> None:
    programme_id = await service.approved()
    await deliver(service, cloud_event(flagged(programme_id)))
    (review,) = await reviews_of(service, programme_id)
    decided = await decide(service, programme_id, review["reviewId"], decision="suspend")
    assert decided["decision"]["resultingStatus"] == 6
    events = await service.emitted(programme_id)
    assert [e.name for e in events][-2:] == ["review-decided", "programme-status-changed"]
    assert events[-2].data["disbursementsOnHold"] is True
    assert events[-2].data["resultingStatus"] == 6
    assert events[-1].data["status"] == 6
    assert events[-1].data["reviewId"] == review["reviewId"]
    transitions = (
        await service.client.get(
            f"/v1/programmes/{programme_id}/status-transitions", headers=service.auth()
        )
    ).json()["items"]
    assert transitions[-1]["reviewId"] == review["reviewId"]
    assert transitions[-1]["reason"].startswith("Review decision (suspend)")

    await deliver(service, cloud_event(flagged(programme_id)))
    second = (await reviews_of(service, programme_id))[-1]
    assert second["state"] == "open", "a suspended programme is still reviewed"
    terminated = await decide(
        service, programme_id, second["reviewId"], decision="terminate", terminationStatus=5
    )
    assert terminated["decision"]["resultingStatus"] == 5
    programme = (
        await service.client.get(f"/v1/programmes/{programme_id}", headers=service.auth())
    ).json()
    assert programme["statusName"] == "cancelled"

    assert await deliver(service, cloud_event(flagged(programme_id))) is Outcome.HANDLED
    assert len(await reviews_of(service, programme_id)) == 2, "no reviews on an ended programme"


async def test_high_risk_in_a_recipient_country_reviews_its_active_programmes(
    service: Service,
) -> None:
    in_country = await service.approved(
        recipientCountries=[{"countryCode": "SDN", "percentage": "100"}]
    )
    shared_country = await service.approved(
        recipientCountries=[
            {"countryCode": "TCD", "percentage": "70"},
            {"countryCode": "SDN", "percentage": "30"},
        ]
    )
    pipeline = await service.create(
        recipientCountries=[{"countryCode": "SDN", "percentage": "100"}]
    )
    elsewhere = await service.approved(
        recipientCountries=[{"countryCode": "NER", "percentage": "100"}]
    )

    assessment = cloud_event(risk_assessed("SDN", "very-high", previous="medium"))
    assert await deliver(service, assessment) is Outcome.HANDLED
    for programme_id in (in_country, shared_country):
        (review,) = await reviews_of(service, programme_id)
        (trigger,) = review["triggers"]
        assert trigger["countryCode"] == "SDN" and trigger["eventId"] == assessment.id
        assert review["critical"], "very high residual risk holds disbursements"
        opened = [e for e in await service.emitted(programme_id) if e.name == "review-opened"]
        assert len(opened) == 1
        assert opened[0].data["triggers"][0]["eventType"].endswith("human-rights-risk-assessed")
    assert await reviews_of(service, pipeline) == []
    assert await reviews_of(service, elsewhere) == []

    country = await service.client.get("/v1/countries/SDN", headers=service.auth())
    assert country.json()["residualRating"] == "very-high"
    assert country.json()["name"] == "Sudan"

    confirmed = cloud_event(risk_assessed("SDN", "very-high", previous="very-high"))
    await deliver(service, confirmed)
    (review,) = await reviews_of(service, in_country)
    assert len(review["triggers"]) == 1, "a confirmed rating opens nothing new"


async def test_a_flag_for_an_unknown_programme_is_dead_lettered(service: Service) -> None:
    event = cloud_event(flagged("prg-1999-9999"))
    assert await deliver(service, event) is Outcome.DEAD_LETTERED
