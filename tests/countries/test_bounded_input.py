"""Bounded input at the countries API: body size, pages, URLs after normalisation, text."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import inspect, text

from tests.countries.support import Countries

MIB = 1024 * 1024
FIGURE: dict[str, Any] = {
    "kind": "returns-from-nl",
    "value": 100,
    "unit": "persons",
    "periodStart": "2025-01-01",
    "periodEnd": "2025-12-31",
    "source": "Dienst Terugkeer en Vertrek",
}
#: 2,083 characters as sent, 2,084 once normalised (pydantic adds the path's "/").
LONGEST_BARE_HOST = "https://" + "a" * (2083 - len("https://.org")) + ".org"


async def row_counts(countries: Countries) -> dict[str, int]:
    """Rows of every table of the service's database, the audit trail's included."""
    async with countries.app.state.runtime.sessions() as session:
        connection = await session.connection()
        tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        return {
            table: int(await session.scalar(text(f'SELECT count(*) FROM "{table}"')) or 0)
            for table in tables
        }


async def test_a_16_mib_patch_without_a_token_is_a_413_and_leaves_no_trace(
    countries: Countries,
) -> None:
    before, counts = await countries.state(), await row_counts(countries)
    body = json.dumps({"notes": "x" * (16 * MIB)}).encode()
    response = await countries.client.patch(
        "/v1/countries/MAR", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await countries.state() == before
    assert await row_counts(countries) == counts


async def test_a_huge_page_number_is_refused_naming_page_not_a_500(countries: Countries) -> None:
    for path in ("/countries", "/countries/MAR/history", "/partnerships", "/risk-assessments"):
        response = await countries.get(path, page=str(10**21))
        assert response.status_code == 400, (path, response.text)
        assert [p["name"] for p in response.json()["invalidParams"]] == ["page"]


async def test_a_source_url_too_long_once_normalised_is_refused_and_the_profile_stays_readable(
    countries: Countries,
) -> None:
    before = await countries.state()
    figure = {**FIGURE, "sourceUrl": LONGEST_BARE_HOST}
    response = await countries.patch("/countries/MAR", {"keyFigures": [figure]})
    assert response.status_code == 422, response.text
    names = [p["name"] for p in response.json()["invalidParams"]]
    assert names == ["keyFigures[0].sourceUrl"]
    assert await countries.state() == before
    assert (await countries.get("/countries/MAR")).status_code == 200


async def test_an_accepted_source_url_reads_back_as_stored(countries: Countries) -> None:
    shorter = LONGEST_BARE_HOST.replace("aa.org", ".org")
    figure = {**FIGURE, "sourceUrl": shorter}
    response = await countries.patch("/countries/TUN", {"keyFigures": [figure]})
    assert response.status_code == 200, response.text
    stored = response.json()["keyFigures"][0]["sourceUrl"]
    assert stored == shorter + "/"
    read = await countries.get("/countries/TUN")
    assert read.status_code == 200
    assert read.json()["keyFigures"][0]["sourceUrl"] == stored


async def test_a_profile_stored_unreadable_is_a_500_not_a_422(countries: Countries) -> None:
    """The state the defect left behind: a stored figure the read model refuses."""
    content = {"keyFigures": [{**FIGURE, "sourceUrl": LONGEST_BARE_HOST + "/"}]}
    async with countries.app.state.runtime.sessions() as session, session.begin():
        await session.execute(
            text(
                "INSERT INTO country_profile (country_code, content, revision, updated_at, "
                "updated_by) VALUES ('EGY', :content, 1, '2026-01-01 00:00:00', 'am')"
            ),
            {"content": json.dumps(content)},
        )
    response = await countries.get("/countries/EGY")
    assert response.status_code == 500
    assert "invalidParams" not in response.json()
    async with countries.app.state.runtime.sessions() as session, session.begin():
        await session.execute(text("DELETE FROM country_profile WHERE country_code = 'EGY'"))


async def test_text_with_control_characters_is_refused_naming_the_field(
    countries: Countries,
) -> None:
    before = await countries.state()
    for body, name in [
        ({"notes": "a\x00b"}, "notes"),
        ({"keyFigures": [{**FIGURE, "source": "DT&V\x1b[31m"}]}, "keyFigures[0].source"),
        ({"euPartnership": {"status": "exploring", "name": "EU\x85"}}, "euPartnership.name"),
    ]:
        response = await countries.patch("/countries/SEN", body)
        assert response.status_code == 422, (body, response.text)
        assert [p["name"] for p in response.json()["invalidParams"]] == [name]
    assert await countries.state() == before
    kept = await countries.patch("/countries/SEN", {"notes": "line one\r\n\tline two"})
    assert kept.status_code == 200
    assert kept.json()["notes"] == "line one\r\n\tline two"
