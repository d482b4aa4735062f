"""Do-no-harm risk assessments over HTTP: derived ratings, supersession, overdue, the event."""

from __future__ import annotations

from tests.countries.support import Countries, assessment, partnership, risk_item

ASSESSED = "nl.migratiesamenwerking.countries.human-rights-risk-assessed"


async def test_ratings_are_derived_and_the_event_carries_no_text(countries: Countries) -> None:
    before = len(await countries.emitted())
    body = assessment(
        phase="ex-ante",
        items=[
            risk_item(),  # 16 -> 9: medium
            risk_item(
                category="refoulement",
                description="Returns to a country where people risk persecution.",
                likelihood=5,
                impact=5,
                residualLikelihood=3,
                residualImpact=4,  # 25 -> 12: high
            ),
            risk_item(
                category="data-protection-and-surveillance",
                likelihood=1,
                impact=2,
                residualLikelihood=1,
                residualImpact=2,
            ),
        ],
        summary="Summary that stays in the service.",
    )
    response = await countries.post("/countries/LBY/risk-assessments", body)
    assert response.status_code == 201, response.text
    made = response.json()
    url = f"http://127.0.0.1:8001/v1/countries/LBY/risk-assessments/{made['id']}"
    assert response.headers["Location"] == url
    assert (made["inherentRating"], made["residualRating"]) == ("very-high", "high")
    assert made["previousResidualRating"] is None
    assert made["categoriesOfConcern"] == ["refoulement", "detention-conditions"]
    assert [(i["residualScore"], i["residualRating"]) for i in made["items"]] == [
        (9, "medium"),
        (12, "high"),
        (2, "low"),
    ]
    assert (made["assessedBy"], made["recordedBy"]) == ("am", "am")
    assert (made["current"], made["overdue"]) == (True, False)
    assert made["assessedAt"] == "2026-06-01T10:00:00Z"

    events = (await countries.emitted())[before:]
    assert len(events) == 1
    assert (events[0].type, events[0].key) == (ASSESSED, "LBY")
    assert events[0].data == {
        "countryCode": "LBY",
        "assessmentId": made["id"],
        "assessmentUrl": url,
        "phase": "ex-ante",
        "residualRating": "high",
        "outcome": "proceed-with-mitigation",
        "riskCategories": ["refoulement", "detention-conditions"],
        "assessedAt": "2026-06-01T10:00:00Z",
        "nextReviewDate": "2027-06-01",
    }
    for text in (b"persecution", b"Summary", b"monitoring", b"detention facilities"):
        assert text not in events[0].raw


async def test_a_new_assessment_supersedes_the_one_of_its_scope(countries: Countries) -> None:
    first = (await countries.post("/countries/EGY/risk-assessments", assessment())).json()
    track = (await countries.post("/countries/EGY/partnerships", partnership())).json()
    scoped = assessment(partnershipId=track["id"], assessedAt="2026-05-01T08:00:00+02:00")
    within = await countries.post("/countries/EGY/risk-assessments", scoped)
    assert within.status_code == 201, within.text
    assert within.json()["previousResidualRating"] is None  # another scope
    assert within.json()["assessedAt"] == "2026-05-01T06:00:00Z"

    worse = assessment(
        assessedAt="2026-09-01T10:00:00Z",
        items=[risk_item(likelihood=5, impact=5, residualLikelihood=5, residualImpact=4)],
        outcome="withhold",
        assessedBy="bz",
    )
    second = await countries.post("/countries/EGY/risk-assessments", worse, "tf-secretariaat")
    assert second.status_code == 201, second.text
    assert second.json()["previousResidualRating"] == "medium"
    assert second.json()["residualRating"] == "very-high"
    assert (second.json()["assessedBy"], second.json()["recordedBy"]) == ("bz", "tf-secretariaat")
    event = (await countries.emitted())[-1]
    assert event.data["previousResidualRating"] == "medium"
    assert event.data["outcome"] == "withhold"

    old = (await countries.get(f"/countries/EGY/risk-assessments/{first['id']}")).json()
    assert old["current"] is False
    current = (await countries.get("/countries/EGY/risk-assessments", current="true")).json()
    assert {a["id"] for a in current["items"]} == {second.json()["id"], within.json()["id"]}
    by_track = (
        await countries.get("/countries/EGY/risk-assessments", partnershipId=track["id"])
    ).json()
    assert [a["id"] for a in by_track["items"]] == [within.json()["id"]]


async def test_an_assessment_past_its_review_date_is_overdue(countries: Countries) -> None:
    overdue = assessment(assessedAt="2025-01-10T09:00:00Z", nextReviewDate="2025-07-10")
    made = (await countries.post("/countries/NER/risk-assessments", overdue)).json()
    assert made["overdue"] is True
    listed = (await countries.get("/risk-assessments", overdue="true", countryCode="NER")).json()
    assert [a["id"] for a in listed["items"]] == [made["id"]]
    everywhere = (await countries.get("/risk-assessments", overdue="true", pageSize=100)).json()
    assert all(a["overdue"] for a in everywhere["items"])

    renewed = assessment(assessedAt="2025-09-01T09:00:00Z", nextReviewDate="2030-01-01")
    await countries.post("/countries/NER/risk-assessments", renewed)
    after = (await countries.get("/risk-assessments", overdue="true", countryCode="NER")).json()
    assert after["items"] == []
    not_overdue = await countries.get("/risk-assessments", overdue="false", countryCode="NER")
    assert len(not_overdue.json()["items"]) == 2


async def test_lists_filter_by_residual_rating(countries: Countries) -> None:
    low = assessment(
        items=[risk_item(likelihood=2, impact=2, residualLikelihood=1, residualImpact=2)]
    )
    made = (await countries.post("/countries/UGA/risk-assessments", low)).json()
    assert made["residualRating"] == "low"
    found = await countries.get("/risk-assessments", residualRating="low", countryCode="UGA")
    assert [a["id"] for a in found.json()["items"]] == [made["id"]]
    none = (await countries.get("/countries/UGA/risk-assessments", residualRating="high")).json()
    assert none["items"] == []


async def test_unknown_assessments_are_not_found(countries: Countries) -> None:
    made = (await countries.post("/countries/SDN/risk-assessments", assessment())).json()
    assert (await countries.get(f"/countries/TCD/risk-assessments/{made['id']}")).status_code == 404
    missing = "/countries/SDN/risk-assessments/00000000-0000-4000-8000-000000000000"
    assert (await countries.get(missing)).status_code == 404
