"""Bad input: every class is a 422 problem naming each invalid field, and changes nothing.

Classes (from the issue): unknown country codes, scores or scales out of
range, dates in the wrong order, an organisation not in the registry, an
unknown enum value; plus unknown fields and the service's own rules. For each
case the whole state (every table, the outbox and the sequences) is the same
before and after, so no event can follow either.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.countries.support import Countries, assessment, decision, partnership, risk_item, scores

FIGURE: dict[str, Any] = {
    "kind": "returns-from-nl",
    "value": 100,
    "unit": "persons",
    "periodStart": "2025-01-01",
    "periodEnd": "2025-12-31",
    "source": "illustrative",
    "illustrative": True,
}
TRACK = "/countries/TUN/partnerships/{track}"


def _score(index: int, **changes: Any) -> list[Any]:
    given = scores()
    given[index] = {**given[index], **changes}
    return given


CASES: list[tuple[str, str, str, Any, set[str]]] = [
    # -- scores or scales out of range
    ("score above 5", "post", "/countries/MAR/designations", decision(scores=_score(0, score=6)),
     {"scores[0].score"}),
    ("score below 0", "post", "/countries/MAR/designations", decision(scores=_score(3, score=-1)),
     {"scores[3].score"}),
    ("likelihood above 5", "post", "/countries/MAR/risk-assessments",
     assessment(items=[risk_item(likelihood=6)]), {"items[0].likelihood"}),
    ("impact below 1", "post", "/countries/MAR/risk-assessments",
     assessment(items=[risk_item(), risk_item(impact=0, residualImpact=0)]),
     {"items[1].impact", "items[1].residualImpact"}),
    ("residual above inherent", "post", "/countries/MAR/risk-assessments",
     assessment(items=[risk_item(residualLikelihood=5)]), {"items[0].residualLikelihood"}),
    ("negative figure", "patch", "/countries/MAR",
     {"keyFigures": [{**FIGURE, "value": -1}]}, {"keyFigures[0].value"}),
    ("percentage above 100", "patch", "/countries/MAR",
     {"keyFigures": [{**FIGURE, "unit": "percent", "value": 101}]}, {"keyFigures[0].value"}),
    # -- dates in the wrong order
    ("review before decision", "post", "/countries/MAR/designations",
     decision(decidedOn="2026-05-01", reviewDate="2026-04-30"), {"reviewDate"}),
    ("decision in the future", "post", "/countries/MAR/designations",
     decision(decidedOn="2999-01-01", reviewDate="2999-06-01"), {"decidedOn"}),
    ("figure period reversed", "patch", "/countries/MAR",
     {"keyFigures": [{**FIGURE, "periodEnd": "2024-12-31"}]}, {"keyFigures[0].periodEnd"}),
    ("next review before assessment", "post", "/countries/MAR/risk-assessments",
     assessment(nextReviewDate="2026-05-31"), {"nextReviewDate"}),
    ("assessed in the future", "post", "/countries/MAR/risk-assessments",
     assessment(assessedAt="2999-01-01T00:00:00Z", nextReviewDate="2999-06-01"), {"assessedAt"}),
    ("status change before current status", "post", TRACK + "/status-changes",
     {"status": "active", "effectiveFrom": "2025-12-31"}, {"effectiveFrom"}),
    # -- organisations not in the registry
    ("unknown deciding organisation", "post", "/countries/MAR/designations",
     decision(decidedBy="nasa"), {"decidedBy"}),
    ("unknown lead", "post", "/countries/MAR/partnerships",
     partnership(leadOrganisation="acme"), {"leadOrganisation"}),
    ("unknown participant", "post", "/countries/MAR/partnerships",
     partnership(participatingOrganisations=["dtv", "acme"]), {"participatingOrganisations[1]"}),
    ("unknown participant in a patch", "patch", TRACK,
     {"participatingOrganisations": ["Ministry of A&M"]}, {"participatingOrganisations[0]"}),
    ("unknown assessor", "post", "/countries/MAR/risk-assessments",
     assessment(assessedBy="ngo-x"), {"assessedBy"}),
    # -- unknown enum values
    ("unknown designation", "post", "/countries/MAR/designations",
     decision("priority"), {"designation"}),
    ("unknown criterion", "post", "/countries/MAR/designations",
     decision(scores=_score(1, criterion="popularity")), {"scores[1].criterion"}),
    ("unknown role", "patch", "/countries/MAR", {"migrationRoles": ["destination"]},
     {"migrationRoles[0]"}),
    ("unknown relations", "patch", "/countries/MAR", {"diplomaticRelations": "warm"},
     {"diplomaticRelations"}),
    ("unknown theme", "post", "/countries/MAR/partnerships",
     partnership(themes=["return-cooperation", "tourism"]), {"themes[1]"}),
    ("only an unknown theme", "post", "/countries/MAR/partnerships",
     partnership(themes=["tourism"]), {"themes[0]"}),
    ("no theme", "post", "/countries/MAR/partnerships", partnership(themes=[]), {"themes"}),
    ("unknown instrument", "post", "/countries/MAR/partnerships",
     partnership(instruments=["sanctions"]), {"instruments[0]"}),
    ("unknown status", "post", TRACK + "/status-changes",
     {"status": "frozen", "effectiveFrom": "2026-03-01"}, {"status"}),
    ("unknown risk category", "post", "/countries/MAR/risk-assessments",
     assessment(items=[risk_item(category="weather")]), {"items[0].category"}),
    ("unknown outcome", "post", "/countries/MAR/risk-assessments",
     assessment(outcome="maybe"), {"outcome"}),
    ("unknown phase", "post", "/countries/MAR/risk-assessments",
     assessment(phase="after"), {"phase"}),
    # -- unknown fields, missing values and the service's own rules
    ("unknown profile field", "patch", "/countries/MAR", {"population": 37000000},
     {"population"}),
    ("status through patch", "patch", TRACK, {"status": "ended"}, {"status"}),
    ("required field cleared", "patch", TRACK, {"title": None, "themes": None},
     {"title", "themes"}),
    ("criterion missing", "post", "/countries/MAR/designations",
     decision(scores=scores()[:3]), {"scores"}),
    ("criterion twice", "post", "/countries/MAR/designations",
     decision(scores=[*scores(), scores()[0]]), {"scores[4].criterion"}),
    ("focus without review date", "post", "/countries/MAR/designations",
     decision(reviewDate=None), {"reviewDate"}),
    ("opening paused", "post", "/countries/MAR/partnerships", partnership(status="paused"),
     {"status"}),
    ("lead also participating", "post", "/countries/MAR/partnerships",
     partnership(participatingOrganisations=["am"]), {"participatingOrganisations[0]"}),
    ("development themes without the lever", "post", "/countries/MAR/partnerships",
     partnership(developmentThemes=["water"]), {"developmentThemes"}),
    ("no risk items", "post", "/countries/MAR/risk-assessments", assessment(items=[]),
     {"items"}),
    ("naive assessment time", "post", "/countries/MAR/risk-assessments",
     assessment(assessedAt="2026-06-01T10:00:00"), {"assessedAt"}),
    ("partnership of another country", "post", "/countries/MAR/risk-assessments",
     assessment(partnershipId="{track}"), {"partnershipId"}),
    ("lowered without mitigation", "post", "/countries/MAR/risk-assessments",
     assessment(items=[risk_item(mitigation=None)]), {"items[0].mitigation"}),
    # -- several at once: every one is named
    ("several invalid fields", "post", "/countries/MAR/designations",
     decision("priority", decidedBy="nasa", scores=_score(2, score=9)),
     {"designation", "decidedBy", "scores[2].score"}),
    ("several rule violations", "post", "/countries/MAR/risk-assessments",
     assessment(nextReviewDate="2026-01-01", items=[risk_item(residualImpact=5)]),
     {"nextReviewDate", "items[0].residualImpact"}),
]  # fmt: skip


@pytest.fixture(scope="module")
async def track(countries: Countries) -> str:
    response = await countries.post("/countries/TUN/partnerships", partnership())
    assert response.status_code == 201
    return str(response.json()["id"])


def _fill(value: Any, track: str) -> Any:
    if isinstance(value, str):
        return value.replace("{track}", track)
    if isinstance(value, dict):
        return {key: _fill(item, track) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, track) for item in value]
    return value


@pytest.mark.parametrize(
    ("method", "path", "body", "names"), [case[1:] for case in CASES], ids=[c[0] for c in CASES]
)
async def test_bad_input_is_a_422_naming_each_field_and_changes_nothing(
    countries: Countries, track: str, method: str, path: str, body: Any, names: set[str]
) -> None:
    before = await countries.state()
    send = countries.post if method == "post" else countries.patch
    response = await send(_fill(path, track), _fill(body, track))

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert problem["title"] and problem["detail"]
    assert {p["name"] for p in problem["invalidParams"]} == names
    assert all(p["in"] == "body" and p["reason"] for p in problem["invalidParams"])
    assert await countries.state() == before


async def test_malformed_json_is_a_400_and_changes_nothing(countries: Countries) -> None:
    before = await countries.state()
    response = await countries.client.patch(
        "/v1/countries/MAR",
        content=b'{"notes": ',
        headers={**countries.auth(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert await countries.state() == before


async def test_query_filters_of_the_wrong_form_are_a_400_naming_the_key(
    countries: Countries,
) -> None:
    for path, params, name in [
        ("/risk-assessments", {"countryCode": "XXX"}, "countryCode"),
        ("/risk-assessments", {"residualRating": "extreme"}, "residualRating"),
        ("/partnerships", {"theme": "tourism"}, "theme"),
        ("/countries", {"regionCode": "africa"}, "regionCode"),
        ("/focus-countries", {"transitCountryWeight": "11"}, "transitCountryWeight"),
        ("/countries", {"pageSize": "1000"}, "pageSize"),
    ]:
        response = await countries.get(path, **params)
        assert response.status_code == 400, (path, params)
        assert [p["name"] for p in response.json()["invalidParams"]] == [name]


async def test_all_zero_weights_are_refused(countries: Countries) -> None:
    zero = {
        "transitCountryWeight": 0,
        "countryOfOriginWeight": 0,
        "bilateralScopeWeight": 0,
        "addedValueOverEuWeight": 0,
    }
    response = await countries.get("/focus-countries", **zero)
    assert response.status_code == 422
    assert {p["name"] for p in response.json()["invalidParams"]} == set(zero)
