"""Bounded input at the programmes API: body size, pages, text, and an IATI export that pages
and survives a bad stored record."""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree
from sqlalchemy import text

from tests.programmes.conftest import Service, programme_body
from tests.programmes.test_iati_export import validated

MIB = 1024 * 1024


async def iati_page(
    service: Service, page: int, page_size: int
) -> tuple[etree._Element, dict[str, str]]:
    response = await service.client.get(
        "/v1/iati-activities",
        params={"page": page, "pageSize": page_size},
        headers=service.auth("bz", []),
    )
    assert response.status_code == 200, response.text
    return validated(response.content), dict(response.headers)


def links(header: str) -> dict[str, str]:
    return {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="([a-z]+)"', header)}


async def test_a_16_mib_registration_without_a_token_is_a_413_and_stores_nothing(
    service: Service,
) -> None:
    before = await service.snapshot()
    body = json.dumps(programme_body(description="x" * (16 * MIB))).encode()
    response = await service.client.post(
        "/v1/programmes", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await service.snapshot() == before


async def test_a_huge_page_number_is_refused_naming_page_not_a_500(service: Service) -> None:
    for path in ("/v1/programmes", "/v1/iati-activities"):
        response = await service.client.get(
            path, params={"page": str(10**21)}, headers=service.auth("bz", [])
        )
        assert response.status_code == 400, (path, response.text)
        assert [p["name"] for p in response.json()["invalidParams"]] == ["page"]


async def test_programme_text_with_control_characters_is_refused_naming_the_field(
    service: Service,
) -> None:
    before = await service.snapshot()
    organisations: list[dict[str, str]] = programme_body()["participatingOrganisations"]
    renamed = [{**organisations[1], "name": "IOM\x7f"}, organisations[0]]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": "COMPASS\x00"}, "title"),
        ({"description": "Support\x0bwith IOM"}, "description"),
        ({"participatingOrganisations": renamed}, "participatingOrganisations[0].name"),
    ]
    for changes, name in cases:
        response = await service.client.post(
            "/v1/programmes", json=programme_body(**changes), headers=service.auth()
        )
        assert response.status_code == 422, (changes, response.text)
        assert [p["name"] for p in response.json()["invalidParams"]] == [name]
    assert await service.snapshot() == before


async def test_the_iati_export_pages_and_each_page_is_a_valid_document(service: Service) -> None:
    created = {await service.create() for _ in range(3)}
    root, headers = await iati_page(service, 1, 2)
    total = int(headers["x-total-count"])
    assert total >= 3
    assert len(root.findall("iati-activity")) == 2
    assert set(links(headers["link"])) == {"first", "next", "last"}
    seen: list[str] = []
    for page in range(1, (total + 1) // 2 + 1):
        root, headers = await iati_page(service, page, 2)
        seen += [a.findtext("iati-identifier") or "" for a in root.findall("iati-activity")]
    assert len(seen) == len(set(seen)) == total
    assert {f"XM-DAC-7-{p}" for p in created} <= set(seen)
    assert "prev" in links(headers["link"])
    beyond = await service.client.get(
        "/v1/iati-activities", params={"page": total + 1}, headers=service.auth("bz", [])
    )
    assert beyond.status_code == 200
    assert etree.fromstring(beyond.content).findall("iati-activity") == []  # well-formed, empty


async def test_one_bad_stored_programme_does_not_take_the_export_down(service: Service) -> None:
    """Records stored before the API refused control characters, and one the writer cannot
    express at all (a recipient country ISO does not know)."""
    garbled = await service.create()
    unwritable = await service.create()
    fine = await service.create()
    # PostgreSQL cannot store NUL in text at all; SQLite can, so there both are tried.
    postgresql = service.runtime.sessions.kw["bind"].dialect.name == "postgresql"
    control = "\x1b\x1b[2J" if postgresql else "\x00\x1b[2J"
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(
            text("UPDATE registered_programme SET title = :title WHERE programme_id = :id"),
            {"title": f"COMPASS{control}", "id": garbled},
        )
        await session.execute(
            text(
                "UPDATE programme_country SET country_code = 'XXX' "
                "WHERE programme_id = :id AND country_code = 'TUN'"
            ),
            {"id": unwritable},
        )
    root, _ = await iati_page(service, 1, 100)
    identifiers = {a.findtext("iati-identifier"): a for a in root.findall("iati-activity")}
    assert f"XM-DAC-7-{fine}" in identifiers
    assert (
        identifiers[f"XM-DAC-7-{garbled}"].findtext("title/narrative") == "COMPASS\ufffd\ufffd[2J"
    )
    assert f"XM-DAC-7-{unwritable}" not in identifiers
    comments = [c.text or "" for c in root.iter(etree.Comment)]
    assert any(unwritable in c for c in comments)
    one = await service.client.get(f"/v1/programmes/{garbled}/iati", headers=service.auth("bz", []))
    assert one.status_code == 200
    validated(one.content)
    async with service.runtime.sessions() as session, session.begin():
        await session.execute(
            text(
                "UPDATE programme_country SET country_code = 'TUN' "
                "WHERE programme_id = :id AND country_code = 'XXX'"
            ),
            {"id": unwritable},
        )
