"""The demo loader: a handful of programmes in the seed's spirit; a second run creates nothing."""

from __future__ import annotations

import pytest
from lxml import etree

from services.programmes import demo
from shared.http.auth import issue_token
from tests.databases import TestDatabases
from tests.programmes.conftest import running, settings_for
from tests.programmes.test_iati_export import validated


async def test_demo_loads_once(
    tmp_path_factory: pytest.TempPathFactory, database: TestDatabases
) -> None:
    settings = settings_for(tmp_path_factory.mktemp("demo"), None, database=database)
    async with running(settings) as service:

        def token_for(organisation: str, scopes: list[str]) -> str:
            return issue_token(settings, organisation, scopes)

        first = await demo.load(service.client, "http://test", token_for)
        assert first == 5 * 5, "programme, budget, framework, approval, commitment each"
        assert await demo.load(service.client, "http://test", token_for) == 0

        listed = (await service.client.get("/v1/programmes", headers=service.auth("bz", []))).json()
        programmes = listed["items"]
        assert len(programmes) == 5
        assert {p["statusName"] for p in programmes} == {"implementation"}
        assert {p["owningOrganisation"] for p in programmes} == {"am", "bz", "jenv"}
        channels = {
            o.get("crsChannelCode") for p in programmes for o in p["participatingOrganisations"]
        }
        assert {"47066", "41121", "41128"} <= channels
        assert all("illustrative" in p["description"] for p in programmes)
        compass = next(p for p in programmes if p["title"].startswith("COMPASS"))
        assert {c["countryCode"] for c in compass["recipientCountries"]} == {
            "MAR",
            "TUN",
            "LBY",
            "EGY",
        }

        names = [e.name for e in await service.emitted()]
        assert names.count("programme-approved") == 5
        assert "budget-frame-exceeded" not in names, "the demo stays within the frame"

        export = await service.client.get("/v1/iati-activities", headers=service.auth("bz", []))
        root = validated(export.content)
        assert len(root.findall("iati-activity")) == 5
        assert etree.tostring(root).count(b"<transaction ") == 5
