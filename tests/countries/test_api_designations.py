"""Focus designation over HTTP: decisions, revision and withdrawal, their events, the ranking."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from tests.countries.support import Countries, decision, scores

CHANGED = "nl.migratiesamenwerking.countries.focus-designation-changed"
REVIEWED = "nl.migratiesamenwerking.countries.focus-designation-reviewed"


async def test_designating_revising_and_withdrawing_emit_one_event_each(
    countries: Countries,
) -> None:
    before = len(await countries.emitted())
    first = await countries.post("/countries/TUN/designations", decision("watch"))
    assert first.status_code == 201, first.text
    watch = first.json()
    assert first.headers["Location"] == (
        f"http://127.0.0.1:8001/v1/countries/TUN/designations/{watch['id']}"
    )
    assert (watch["designation"], watch["previousDesignation"]) == ("watch", "none")
    assert watch["weightedScore"] == 4.25
    assert watch["weights"] == {
        "transitCountry": 1.0,
        "countryOfOrigin": 1.0,
        "bilateralScope": 1.0,
        "addedValueOverEu": 1.0,
    }
    assert (watch["decidedBy"], watch["recordedBy"], watch["current"]) == ("am", "am", True)

    focus = (
        await countries.post(
            "/countries/TUN/designations",
            decision("focus", decidedOn="2026-06-01", decidedBy="bz", scores=scores(5, 4, 4, 4)),
            organisation="tf-secretariaat",
        )
    ).json()
    assert (focus["previousDesignation"], focus["decidedBy"]) == ("watch", "bz")
    assert focus["recordedBy"] == "tf-secretariaat"
    reviewed = (
        await countries.post(
            "/countries/TUN/designations",
            decision("focus", decidedOn="2026-07-01", reviewDate="2027-07-01"),
        )
    ).json()
    withdrawn = (
        await countries.post(
            "/countries/TUN/designations", decision("none", decidedOn="2026-08-01", reviewDate=None)
        )
    ).json()
    assert withdrawn["reviewDate"] is None

    events = (await countries.emitted())[before:]
    assert [e.type for e in events] == [CHANGED, CHANGED, REVIEWED, CHANGED]
    assert [e.key for e in events] == ["TUN"] * 4
    assert [e.data["designation"] for e in events] == ["watch", "focus", "focus", "none"]
    assert events[1].data == {
        "countryCode": "TUN",
        "profileUrl": "http://127.0.0.1:8001/v1/countries/TUN",
        "decisionId": focus["id"],
        "decisionUrl": f"http://127.0.0.1:8001/v1/countries/TUN/designations/{focus['id']}",
        "designation": "focus",
        "decidedBy": "bz",
        "decidedOn": "2026-06-01",
        "weightedScore": 4.25,
        "reviewDate": "2027-05-01",
        "previousDesignation": "watch",
    }
    assert "previousDesignation" not in events[2].data
    assert events[2].data["decisionId"] == reviewed["id"]
    assert events[3].data["previousDesignation"] == "focus"

    history = (await countries.get("/countries/TUN/designations")).json()
    assert [d["id"] for d in history["items"]] == [
        withdrawn["id"],
        reviewed["id"],
        focus["id"],
        watch["id"],
    ]
    assert [d["current"] for d in history["items"]] == [True, False, False, False]
    profile = (await countries.get("/countries/TUN")).json()
    assert profile["designation"]["designation"] == "none"
    assert profile["designation"]["decisionId"] == withdrawn["id"]
    one = await countries.get(f"/countries/TUN/designations/{focus['id']}")
    assert one.json()["current"] is False


async def test_a_decision_cannot_predate_the_current_one(countries: Countries) -> None:
    await countries.post("/countries/LBY/designations", decision("watch", decidedOn="2026-05-10"))
    before = await countries.state()
    response = await countries.post(
        "/countries/LBY/designations", decision("focus", decidedOn="2026-05-09")
    )
    assert response.status_code == 422
    assert [p["name"] for p in response.json()["invalidParams"]] == ["decidedOn"]
    assert await countries.state() == before


async def test_an_overdue_review_shows(countries: Countries) -> None:
    await countries.post(
        "/countries/MRT/designations",
        decision("watch", decidedOn="2025-01-10", reviewDate="2025-07-10"),
    )
    profile = (await countries.get("/countries/MRT")).json()
    assert profile["designation"]["reviewOverdue"] is True


async def test_a_decision_of_another_country_is_not_found_here(countries: Countries) -> None:
    made = (await countries.post("/countries/SEN/designations", decision("watch"))).json()
    assert (await countries.get(f"/countries/GMB/designations/{made['id']}")).status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert (await countries.get(f"/countries/SEN/designations/{missing}")).status_code == 404


async def test_focus_countries_are_ranked_by_weighted_score(fresh_countries: Countries) -> None:
    service = fresh_countries
    for code, designation, given in [
        ("EGY", "watch", scores(3, 2, 3, 2)),  # 2.5
        ("MAR", "focus", scores(2, 5, 4, 4)),  # 3.75
        ("TUN", "focus", scores(5, 2, 4, 4)),  # 3.75
        ("JOR", "watch", scores(1, 1, 1, 1)),  # 1.0
        ("ALB", "none", scores(0, 1, 0, 0)),  # not listed by default
    ]:
        body = decision(designation, scores=given)
        if designation == "none":
            body["reviewDate"] = None
        assert (await service.post(f"/countries/{code}/designations", body)).status_code == 201

    listed = (await service.get("/focus-countries")).json()
    assert [(c["rank"], c["countryCode"], c["weightedScore"]) for c in listed["items"]] == [
        (1, "MAR", 3.75),
        (1, "TUN", 3.75),
        (3, "EGY", 2.5),
        (4, "JOR", 1.0),
    ]
    assert listed["totalItems"] == 4
    assert listed["weights"]["transitCountry"] == 1.0
    assert listed["items"][0]["nameNl"] == "Marokko"

    transit_first = (await service.get("/focus-countries", transitCountryWeight=5)).json()
    assert [c["countryCode"] for c in transit_first["items"][:2]] == ["TUN", "MAR"]
    assert transit_first["weights"]["transitCountry"] == 5.0
    assert transit_first["items"][0]["weightedScore"] == 4.38  # (25 + 2 + 4 + 4) / 8

    only_watch = (await service.get("/focus-countries", designation="watch")).json()
    assert [c["countryCode"] for c in only_watch["items"]] == ["EGY", "JOR"]
    paged = (await service.get("/focus-countries", pageSize=2, page=2)).json()
    assert [c["rank"] for c in paged["items"]] == [3, 4]


async def test_configured_weights_apply_to_ranking_and_new_decisions(
    fresh_countries: Countries,
) -> None:
    from services.countries.settings import CountriesSettings

    service = fresh_countries
    service.app.state.context = replace(
        service.app.state.context,
        settings=CountriesSettings(
            weight_transit_country=3, weight_country_of_origin=1, weight_bilateral_scope=0,
            weight_added_value_over_eu=0,
        ),
    )  # fmt: skip
    made = (
        await service.post("/countries/TUR/designations", decision(scores=scores(5, 1, 0, 0)))
    ).json()
    assert made["weightedScore"] == 4.0
    assert made["weights"]["bilateralScope"] == 0.0
    listed = (await service.get("/focus-countries")).json()
    assert listed["items"][0]["weightedScore"] == 4.0


async def test_concurrent_decisions_each_commit_whole_or_not_at_all(
    fresh_countries: Countries,
) -> None:
    service = fresh_countries
    responses = await asyncio.gather(
        *(
            service.post("/countries/ETH/designations", decision("watch", decidedOn=day))
            for day in ("2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04")
        )
    )
    assert {r.status_code for r in responses} <= {201, 409, 422}
    for lost in (r for r in responses if r.status_code == 409):
        assert lost.headers["content-type"].startswith("application/problem+json")
    made = [r.json()["id"] for r in responses if r.status_code == 201]
    assert made
    listed = (await service.get("/countries/ETH/designations")).json()
    assert sorted(d["id"] for d in listed["items"]) == sorted(made)
    assert [d["current"] for d in listed["items"]].count(True) == 1
    assert len(await service.emitted()) == len(made)
