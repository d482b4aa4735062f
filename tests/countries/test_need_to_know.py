"""A risk assessment's texts go to the partnership's people, the assessor and the secretariat.

Each country here has its own tracks, so the tests do not see each other's. The
readers come from the tracks (lead and participants) and from the assessment
(assessing and recording organisation); everyone else, and every token without a
countries scope, gets the ratings with each text null and named in `withheld`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.countries.support import Countries, assessment, partnership, risk_item
from tests.need_to_know_support import ScopeKeepingClient, callers, need_to_know_properties

READ = "countries:read"
LEAD, PARTICIPANT = "jenv", "politie"
READERS = callers("countries", LEAD, PARTICIPANT, unrelated="szw")
SUMMARY = "Deportees risk detention without access to a lawyer."
ITEM = risk_item(
    description="Returnees are held at the airport for days.",
    mitigation="Monitoring by an independent body at arrival.",
)


async def _track(countries: Countries, country: str, lead: str, *participants: str) -> str:
    body = partnership(leadOrganisation=lead, participatingOrganisations=list(participants))
    response = await countries.post(f"/countries/{country}/partnerships", body, lead)
    assert response.status_code == 201, response.text
    track: str = response.json()["id"]
    return track


async def _assessed(
    countries: Countries, country: str, organisation: str, **changes: Any
) -> dict[str, Any]:
    body = assessment(items=[ITEM], summary=SUMMARY, **changes)
    response = await countries.post(f"/countries/{country}/risk-assessments", body, organisation)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert created["summary"] == SUMMARY and created["withheld"] == []
    return created


def _pick(body: Any, listed: bool) -> dict[str, Any]:
    found: dict[str, Any] = body["items"][0] if listed else body
    return found


def _check(read_body: dict[str, Any], entitled: bool, who: str) -> None:
    (item,) = read_body["items"]
    assert (read_body["residualRating"], item["category"]) == ("medium", "detention-conditions")
    if entitled:
        assert read_body["summary"] == SUMMARY and read_body["withheld"] == [], who
        assert item["description"] == ITEM["description"], who
        assert item["mitigation"] == ITEM["mitigation"] and item["withheld"] == [], who
    else:
        assert read_body["summary"] is None and read_body["withheld"] == ["summary"], who
        assert (item["description"], item["mitigation"]) == (None, None), who
        assert item["withheld"] == ["description", "mitigation"], who


@pytest.mark.parametrize("path_kind", ["one", "country-list", "all-list"])
async def test_a_country_wide_assessment_is_read_by_the_countrys_partnerships(
    countries: Countries, path_kind: str
) -> None:
    country = {"one": "TUN", "country-list": "SEN", "all-list": "NER"}[path_kind]
    await _track(countries, country, LEAD, PARTICIPANT)
    created = await _assessed(countries, country, "am")
    path = {
        "one": f"/countries/{country}/risk-assessments/{created['id']}",
        "country-list": f"/countries/{country}/risk-assessments",
        "all-list": f"/risk-assessments?countryCode={country}",
    }[path_kind]
    client = ScopeKeepingClient(countries.app, countries.settings)
    for organisation, scopes, entitled in [*READERS, ("am", (READ,), True)]:
        read = await client.get(path, organisation, scopes)
        who = f"{organisation} with {scopes or 'no scopes'}"
        assert read.status == 200, f"{who}: {read.body}"
        _check(_pick(read.body, path_kind != "one"), entitled, who)
        expected = [f"risk-assessment/{created['id']}"] if entitled else []
        assert read.marks == expected, who


async def test_a_tracks_assessment_is_not_read_by_another_tracks_people(
    countries: Countries,
) -> None:
    country = "MLI"
    assessed = await _track(countries, country, LEAD, PARTICIPANT)
    await _track(countries, country, "def", "kmar")
    created = await _assessed(countries, country, LEAD, partnershipId=assessed)
    path = f"/countries/{country}/risk-assessments/{created['id']}"
    client = ScopeKeepingClient(countries.app, countries.settings)
    for organisation, entitled in [
        (LEAD, True),
        (PARTICIPANT, True),
        ("tf-secretariaat", True),
        ("def", False),
        ("kmar", False),
        ("am", False),
    ]:
        read = await client.get(path, organisation, (READ,))
        _check(read.body, entitled, organisation)


def test_the_openapi_document_names_each_need_to_know_field(countries: Countries) -> None:
    document = countries.app.openapi()
    assert need_to_know_properties(document) == {
        ("AssessmentView", "summary"),
        ("RiskItemView", "description"),
        ("RiskItemView", "mitigation"),
    }
    summary = document["components"]["schemas"]["AssessmentView"]["properties"]["summary"]
    assert "lead and participating organisations" in summary["description"]
