"""Access: reads need a bearer token, writes the scope `countries:write`; the caller is recorded."""

from __future__ import annotations

import pytest

from tests.countries.support import Countries, assessment, decision, partnership

WRITES = [
    ("patch", "/countries/MAR", {"notes": "x"}),
    ("post", "/countries/MAR/designations", decision()),
    ("post", "/countries/MAR/partnerships", partnership()),
    ("post", "/countries/MAR/risk-assessments", assessment()),
]
READS = [
    "/countries",
    "/countries/MAR",
    "/countries/MAR/history",
    "/countries/MAR/designations",
    "/focus-countries",
    "/partnerships",
    "/countries/MAR/partnerships",
    "/risk-assessments",
    "/countries/MAR/risk-assessments",
]


@pytest.mark.parametrize("path", READS)
async def test_reads_need_a_token_but_no_scope(countries: Countries, path: str) -> None:
    anonymous = await countries.client.get(f"/v1{path}")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    authenticated = await countries.client.get(f"/v1{path}", headers=countries.auth("ind", ()))
    assert authenticated.status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
async def test_writes_need_the_write_scope_and_change_nothing_without_it(
    countries: Countries, method: str, path: str, body: object
) -> None:
    before = await countries.state()
    anonymous = await countries.client.request(method, f"/v1{path}", json=body)
    assert anonymous.status_code == 401
    read_only = await countries.client.request(
        method, f"/v1{path}", json=body, headers=countries.auth("bz", ("programmes:write",))
    )
    assert read_only.status_code == 403
    assert "countries:write" in read_only.json()["detail"]
    forged = await countries.client.request(
        method, f"/v1{path}", json=body, headers={"Authorization": "Bearer not.a.token"}
    )
    assert forged.status_code == 401
    assert await countries.state() == before


async def test_the_calling_organisation_is_recorded(countries: Countries) -> None:
    response = await countries.patch("/countries/SOM", {"notes": "x"}, organisation="bz")
    assert response.json()["updatedBy"] == "bz"
    led_by_ind = partnership(leadOrganisation="ind", participatingOrganisations=["coa"])
    track = await countries.post("/countries/SOM/partnerships", led_by_ind, organisation="ind")
    assert track.json()["createdBy"] == "ind"
