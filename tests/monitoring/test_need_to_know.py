"""Need-to-know texts in monitoring: the programme's people read them, others see them withheld.

The programme is owned by `am` with `kmar` taking part. Each text is read by the
owner, the participant and the secretariat (with a monitoring scope), and by an
unrelated ministry and by the owner with tokens that carry no monitoring scope;
the first see the text and leave an audit mark, the others get null, the field
named in `withheld`, and no mark.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import pytest

from shared.consumer import Outcome
from shared.contracts.programmes import ProgrammeApproved
from tests.monitoring.conftest import (
    INDICATORS,
    YEAR,
    Service,
    cloud_event,
    deliver,
    evaluation_body,
    result_body,
)
from tests.need_to_know_support import (
    Read,
    ScopeKeepingClient,
    callers,
    need_to_know_properties,
)
from tests.support import example

READ = "monitoring:read"
OWNER, PARTNER = "am", "kmar"
READERS = callers("monitoring", OWNER, PARTNER, unrelated="bz")


def reader_of(service: Service) -> ScopeKeepingClient:
    """A client that keeps each request's scope, where the audit marks are."""
    return ScopeKeepingClient(service.app, service.settings)


async def _programme(service: Service) -> str:
    programme_id = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    approved = example(
        ProgrammeApproved,
        programmeId=programme_id,
        owningOrganisation=OWNER,
        partnerOrganisations=[PARTNER],
        indicators=INDICATORS,
        resultsFrameworkRevision=1,
    )
    assert await deliver(service, cloud_event(approved)) is Outcome.HANDLED
    return programme_id


async def _created(service: Service, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await service.post(path, body, organisation=OWNER)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _incident(service: Service, programme_id: str) -> tuple[str, str]:
    summary = "Migrants at a supported post reported rough treatment by guards."
    body = {
        "programmeId": programme_id,
        "category": "mistreatment",
        "severity": "medium",
        "countryCode": "TUN",
        "occurredOn": (date.today() - timedelta(days=2)).isoformat(),
        "verified": False,
        "summary": summary,
    }
    created = await _created(service, "/incidents", body)
    assert created["summary"] == summary and created["withheld"] == []
    return created["incidentId"], summary


async def _evaluation(service: Service, programme_id: str) -> tuple[str, str]:
    summary = "Returnees interviewed described pressure to sign return papers."
    body = evaluation_body(programme_id, summary=summary)
    created = await _created(service, "/evaluations", body)
    return created["evaluationId"], summary


async def _result(service: Service, programme_id: str) -> tuple[str, str]:
    comment = "Two of the disrupted networks had held migrants in a warehouse."
    created = await _created(
        service, "/indicator-results", result_body(programme_id, "25", comment=comment)
    )
    return created["resultId"], comment


def _sees(read: Read, text: str, pick: Callable[[Any], Any], field: str) -> None:
    assert pick(read.body)[field] == text, read.body
    assert pick(read.body)["withheld"] == []


def _withheld(read: Read, pick: Callable[[Any], Any], field: str) -> None:
    assert pick(read.body)[field] is None, read.body
    assert field in pick(read.body)["withheld"]


Case = Callable[[Service], Awaitable[tuple[str, str, str, Callable[[Any], Any], str]]]


async def incident_single(service: Service) -> tuple[str, str, str, Callable[[Any], Any], str]:
    incident_id, text = await _incident(service, await _programme(service))
    return f"/incidents/{incident_id}", text, f"incident/{incident_id}", lambda b: b, "summary"


async def incident_list(service: Service) -> tuple[str, str, str, Callable[[Any], Any], str]:
    programme_id = await _programme(service)
    incident_id, text = await _incident(service, programme_id)
    path = f"/incidents?programmeId={programme_id}"
    return path, text, f"incident/{incident_id}", lambda b: b["items"][0], "summary"


async def evaluation_single(service: Service) -> tuple[str, str, str, Callable[[Any], Any], str]:
    evaluation_id, text = await _evaluation(service, await _programme(service))
    ref = f"evaluation/{evaluation_id}"
    return f"/evaluations/{evaluation_id}", text, ref, lambda b: b, "summary"


async def evaluation_list(service: Service) -> tuple[str, str, str, Callable[[Any], Any], str]:
    programme_id = await _programme(service)
    evaluation_id, text = await _evaluation(service, programme_id)
    path = f"/evaluations?programmeId={programme_id}"
    return path, text, f"evaluation/{evaluation_id}", lambda b: b["items"][0], "summary"


async def evaluation_in_overview(
    service: Service,
) -> tuple[str, str, str, Callable[[Any], Any], str]:
    programme_id = await _programme(service)
    evaluation_id, text = await _evaluation(service, programme_id)
    path = f"/programmes/{programme_id}/overview"
    return path, text, f"evaluation/{evaluation_id}", lambda b: b["lastEvaluation"], "summary"


async def result_comment(service: Service) -> tuple[str, str, str, Callable[[Any], Any], str]:
    result_id, text = await _result(service, await _programme(service))
    ref = f"indicator-result/{result_id}"
    return f"/indicator-results/{result_id}", text, ref, lambda b: b, "comment"


async def result_comment_in_history(
    service: Service,
) -> tuple[str, str, str, Callable[[Any], Any], str]:
    programme_id = await _programme(service)
    result_id, text = await _result(service, programme_id)
    path = f"/indicator-results?programmeId={programme_id}"
    ref = f"indicator-result/{result_id}"
    return path, text, ref, lambda b: b["items"][0]["history"][0], "comment"


async def correction_reason(service: Service) -> tuple[str, str, str, Callable[[Any], Any], str]:
    result_id, _ = await _result(service, await _programme(service))
    reason = "A detained migrant's statement was counted twice."
    await _created(
        service,
        f"/indicator-results/{result_id}/corrections",
        {"value": "24", "source": "Audited report", "reason": reason},
    )
    ref = f"indicator-result/{result_id}"
    return f"/indicator-results/{result_id}", reason, ref, lambda b: b["history"][1], "reason"


CASES: list[Case] = [
    incident_single,
    incident_list,
    evaluation_single,
    evaluation_list,
    evaluation_in_overview,
    result_comment,
    result_comment_in_history,
    correction_reason,
]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
async def test_only_the_programmes_people_read_the_text(service: Service, case: Case) -> None:
    path, text, ref, pick, field = await case(service)
    reader = reader_of(service)
    for organisation, scopes, entitled in READERS:
        read = await reader.get(path, organisation, scopes)
        who = f"{organisation} with {scopes or 'no scopes'}"
        assert read.status == 200, f"{who}: {read.body}"
        if entitled:
            _sees(read, text, pick, field)
            assert ref in read.marks, f"{who} read {ref} without an audit mark"
        else:
            _withheld(read, pick, field)
            assert read.marks == [], f"{who} was given nothing, yet a read was marked"


async def test_withheld_texts_leave_the_structured_facts(service: Service) -> None:
    programme_id = await _programme(service)
    incident_id, _ = await _incident(service, programme_id)
    read = await reader_of(service).get(f"/incidents/{incident_id}", "szw", (READ,))
    assert read.body["withheld"] == ["summary"]
    assert (read.body["category"], read.body["severity"], read.body["countryCode"]) == (
        "mistreatment",
        "medium",
        "TUN",
    )
    assert read.body["reportedBy"] == OWNER


async def test_an_empty_text_is_told_apart_from_a_withheld_one(service: Service) -> None:
    programme_id = await _programme(service)
    created = await _created(service, "/indicator-results", result_body(programme_id, "25"))
    path = f"/indicator-results/{created['resultId']}"
    own = await reader_of(service).get(path, OWNER, (READ,))
    assert own.body["comment"] is None and own.body["withheld"] == []
    assert own.marks == [], "no text was handed out, so there is no read to note"
    other = await reader_of(service).get(path, "szw", (READ,))
    assert other.body["comment"] is None
    assert other.body["withheld"] == ["qualitativeValue", "comment"]


def test_the_openapi_document_names_each_need_to_know_field(service: Service) -> None:
    document = service.app.openapi()
    assert need_to_know_properties(document) == {
        ("IncidentOut", "summary"),
        ("EvaluationOut", "summary"),
        ("ResultOut", "qualitativeValue"),
        ("ResultOut", "comment"),
        ("ResultVersion", "qualitativeValue"),
        ("ResultVersion", "comment"),
        ("ResultVersion", "reason"),
    }
    incident = document["components"]["schemas"]["IncidentOut"]["properties"]
    assert "secretariat" in incident["summary"]["description"]
    assert incident["withheld"]["items"]["enum"] == ["summary"]
