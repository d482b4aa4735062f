"""The demo loader: the letter's countries through the public API, once, whatever runs after."""

from __future__ import annotations

from services.countries.demo import load
from shared.demo import demo_data
from shared.http.auth import issue_token
from tests.countries.support import Countries


async def test_the_demo_loads_the_seed_countries_once(fresh_countries: Countries) -> None:
    service = fresh_countries

    def token_for(organisation: str, scopes: list[str]) -> str:
        return issue_token(service.settings, organisation, scopes)

    countries = demo_data("countries")["countries"]
    created = await load(service.client, "http://test", token_for)
    expected = sum(
        1 + len(c["decisions"]) + len(c["tracks"]) + sum(len(t["then"]) for t in c["tracks"]) + 1
        for c in countries
    )
    assert created == expected
    assert len(await service.emitted()) == created  # one event per thing created
    assert await load(service.client, "http://test", token_for) == 0
    assert len(await service.emitted()) == created

    codes = {c["code"] for c in countries}
    assert {"MAR", "TUN", "EGY", "JOR", "TUR", "UGA", "LBY", "DZA"} <= codes
    focus = (await service.get("/focus-countries", designation="focus")).json()
    assert {c["countryCode"] for c in focus["items"]} == {"MAR", "TUN", "EGY", "TUR"}
    tunisia = (await service.get("/countries/TUN/risk-assessments")).json()["items"][0]
    assert tunisia["residualRating"] == "high"
    overdue = (await service.get("/risk-assessments", overdue="true")).json()
    assert "LBY" in {a["countryCode"] for a in overdue["items"]}
    for code in codes:
        profile = (await service.get(f"/countries/{code}")).json()
        assert profile["revision"] == 1
        assert all(f["illustrative"] for f in profile["keyFigures"])
        assert (await service.get(f"/countries/{code}/risk-assessments")).json()["totalItems"] == 1
