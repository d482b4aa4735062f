"""Country profiles over HTTP: implicit profiles, merge patches, history, events, lists."""

from __future__ import annotations

from typing import Any

from tests.countries.support import Countries

FIGURE: dict[str, Any] = {
    "kind": "returns-from-nl",
    "value": 1250,
    "unit": "persons",
    "periodStart": "2025-01-01",
    "periodEnd": "2025-12-31",
    "source": "illustrative",
    "illustrative": True,
}


async def test_every_country_has_a_profile_before_anything_is_recorded(
    countries: Countries,
) -> None:
    response = await countries.get("/countries/UGA")
    assert response.status_code == 200
    profile = response.json()
    assert profile["countryCode"] == "UGA"
    assert profile["alpha2Code"] == "UG"
    assert (profile["nameEn"], profile["nameNl"]) == ("Uganda", "Oeganda")
    assert profile["region"] == {"code": "002", "name": "Africa"}
    assert profile["subRegion"] == {"code": "202", "name": "Sub-Saharan Africa"}
    assert profile["intermediateRegion"] == {"code": "014", "name": "Eastern Africa"}
    assert profile["revision"] == 0
    assert profile["migrationRoles"] == [] and profile["keyFigures"] == []
    assert profile["updatedAt"] is None and profile["updatedBy"] is None
    assert profile["designation"] == {
        "designation": "none",
        "decisionId": None,
        "decidedOn": None,
        "reviewDate": None,
        "reviewOverdue": False,
    }
    assert response.headers["API-Version"] == "1.0.0"


async def test_a_patch_makes_a_revision_a_history_entry_and_one_event(
    countries: Countries,
) -> None:
    before = len(await countries.emitted())
    response = await countries.patch(
        "/countries/MAR",
        {"migrationRoles": ["origin", "transit"], "keyFigures": [FIGURE], "notes": "Note."},
    )
    assert response.status_code == 200, response.text
    profile = response.json()
    assert profile["revision"] == 1
    assert profile["migrationRoles"] == ["origin", "transit"]
    assert profile["keyFigures"][0]["value"] == 1250
    assert profile["updatedBy"] == "am"
    assert profile["updatedAt"].endswith("Z")

    events = (await countries.emitted())[before:]
    assert len(events) == 1
    event = events[0]
    assert event.type == "nl.migratiesamenwerking.countries.country-profile-updated"
    assert event.key == "MAR"
    assert event.headers["ce_subject"] == "MAR"
    assert event.data == {
        "countryCode": "MAR",
        "profileUrl": "http://127.0.0.1:8001/v1/countries/MAR",
        "revision": 1,
        "changedFields": ["migrationRoles", "keyFigures", "notes"],
        "migrationRoles": ["origin", "transit"],
        "changedBy": "am",
    }
    assert b"Note." not in event.raw  # free text stays behind the API


async def test_merge_patch_keeps_what_is_left_out_and_clears_what_is_null(
    countries: Countries,
) -> None:
    await countries.patch(
        "/countries/DZA",
        {"migrationRoles": ["origin"], "notes": "N", "diplomaticRelations": "embassy"},
    )
    response = await countries.patch("/countries/DZA", {"notes": None}, organisation="bz")
    profile = response.json()
    assert profile["notes"] is None
    assert profile["migrationRoles"] == ["origin"]
    assert profile["diplomaticRelations"] == "embassy"
    assert (profile["revision"], profile["updatedBy"]) == (2, "bz")

    history = (await countries.get("/countries/DZA/history")).json()
    assert history["totalItems"] == 2
    latest, first = history["items"]
    assert (latest["revision"], latest["changedBy"]) == (2, "bz")
    assert latest["changes"] == [{"field": "notes", "before": "N", "after": None}]
    assert first["revision"] == 1
    assert {c["field"] for c in first["changes"]} == {
        "migrationRoles",
        "notes",
        "diplomaticRelations",
    }


async def test_a_patch_that_changes_nothing_makes_no_revision_and_no_event(
    countries: Countries,
) -> None:
    await countries.patch("/countries/EGY", {"migrationRoles": ["transit"]})
    before = await countries.state()
    for body in ({"migrationRoles": ["transit"]}, {}):
        response = await countries.patch("/countries/EGY", body)
        assert response.status_code == 200
        assert response.json()["revision"] == 1
    assert await countries.state() == before


async def test_eu_partnership_and_diplomatic_relations_are_recorded(countries: Countries) -> None:
    response = await countries.patch(
        "/countries/JOR",
        {
            "diplomaticRelations": "embassy",
            "euPartnership": {
                "status": "concluded",
                "name": "EU-Jordan Strategic and Comprehensive Partnership",
                "since": "2025-01-29",
            },
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["euPartnership"]["status"] == "concluded"


async def test_the_list_holds_all_of_iso_3166_and_filters(countries: Countries) -> None:
    everything = (await countries.get("/countries", pageSize=100)).json()
    assert everything["totalItems"] == 249
    assert everything["totalPages"] == 3
    assert everything["items"][0]["countryCode"] == "ABW"

    north_africa = (await countries.get("/countries", regionCode="015")).json()
    assert {c["countryCode"] for c in north_africa["items"]} == {
        "DZA", "EGY", "LBY", "MAR", "SDN", "TUN", "ESH",
    }  # fmt: skip
    by_name = (await countries.get("/countries", name="marok")).json()
    assert [c["countryCode"] for c in by_name["items"]] == ["MAR"]

    await countries.patch("/countries/NER", {"migrationRoles": ["transit"]})
    transit = (await countries.get("/countries", migrationRole="transit", regionCode="011")).json()
    assert [c["countryCode"] for c in transit["items"]] == ["NER"]
    assert transit["items"][0]["revision"] == 1


async def test_an_unknown_country_is_a_404_and_a_malformed_code_a_400(
    countries: Countries,
) -> None:
    for path in ("/countries/XXX", "/countries/XXX/history", "/countries/XXX/designations"):
        response = await countries.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "XXX" in response.json()["detail"]
    assert (await countries.patch("/countries/QQQ", {"notes": "x"})).status_code == 404
    malformed = await countries.get("/countries/mar")
    assert malformed.status_code == 400
    assert malformed.json()["invalidParams"][0]["name"] == "countryCode"


async def test_a_merge_patch_may_say_so_in_its_media_type(countries: Countries) -> None:
    response = await countries.client.patch(
        "/v1/countries/ERI",
        content=b'{"migrationRoles": ["origin"]}',
        headers={**countries.auth(), "Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["migrationRoles"] == ["origin"]
