"""A risk assessment's texts are about no one in person: each refused with a 422 naming it.

The detector itself is tested in ``tests/unit/test_personal_data.py``; here the
items' descriptions and mitigations and the assessment summary go through the
HTTP API, and a refusal must name the field and the kind of detail, store
nothing and never repeat the detail.
"""

from __future__ import annotations

import httpx

from tests.countries.support import Countries, assessment, risk_item

PERSON = "Mohammed El Amrani, born 3 March 1990, of Kerkstraat 12, Utrecht, was held."
ORDINARY = "Since 1 January 2025: 312 returnees, 2024-2027, EUR 1,250,000, XM-DAC-7-PPR-2024-001."


def _refused(response: httpx.Response, field: str, kind: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    reasons = {p["name"]: p["reason"] for p in response.json()["invalidParams"]}
    assert kind in reasons[field], reasons
    for fragment in ("Amrani", "1990", "Kerkstraat", "06-1234"):
        assert fragment not in response.text


async def test_a_risk_description_naming_someone_is_refused(countries: Countries) -> None:
    before = await countries.state()
    items = [risk_item(), risk_item(category="refoulement", description=PERSON)]
    response = await countries.post("/countries/MLI/risk-assessments", assessment(items=items))
    _refused(response, "items[1].description", "a name with birth data")
    assert await countries.state() == before


async def test_a_mitigation_naming_someone_is_refused(countries: Countries) -> None:
    item = risk_item(mitigation="Lawyer reachable on +212 6 12 34 56 78 for the detainee.")
    response = await countries.post("/countries/MLI/risk-assessments", assessment(items=[item]))
    _refused(response, "items[0].mitigation", "a phone number")


async def test_an_assessment_summary_naming_someone_is_refused(countries: Countries) -> None:
    body = assessment(summary=PERSON)
    response = await countries.post("/countries/MLI/risk-assessments", body)
    _refused(response, "summary", "a street address")


async def test_ordinary_risk_texts_are_recorded(countries: Countries) -> None:
    item = risk_item(description=ORDINARY, mitigation="Article 3 ECHR monitoring, Q3 2025.")
    body = assessment(items=[item], summary=ORDINARY)
    response = await countries.post("/countries/NER/risk-assessments", body)
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["description"] == ORDINARY
