"""Registering programmes, reading them, and moving them through the lifecycle over HTTP."""

from __future__ import annotations

from tests.programmes.conftest import YEAR, Service, programme_body


async def test_register_a_programme(service: Service) -> None:
    response = await service.client.post(
        "/v1/programmes", json=programme_body(), headers=service.auth("am")
    )
    assert response.status_code == 201, response.text
    body = response.json()
    programme_id = body["programmeId"]
    assert programme_id.startswith(f"prg-{YEAR}-")
    assert response.headers["Location"].endswith(f"/v1/programmes/{programme_id}")
    assert body["status"] == 1 and body["statusName"] == "pipeline"
    assert body["iatiIdentifier"] == f"XM-DAC-7-{programme_id}"
    assert body["owningOrganisation"] == "am"
    assert body["reportingOrganisation"] == {
        "ref": "XM-DAC-7",
        "type": "10",
        "name": "Ministry of Foreign Affairs of the Netherlands",
    }
    roles = [
        (o["role"], o.get("organisation"), o.get("crsChannelCode"))
        for o in body["participatingOrganisations"]
    ]
    assert roles == [
        ("funding", "am", None),
        ("implementing", None, "47066"),
        ("implementing", "kmar", None),
        ("accountable", "am", None),
    ]
    assert body["recipientCountries"][0] == {"countryCode": "TUN", "percentage": "50.00"}
    assert body["disbursementsOnHold"] is False
    assert body["_links"]["iati"]["href"].endswith(f"/programmes/{programme_id}/iati")

    (event,) = await service.emitted(programme_id)
    assert event.name == "programme-registered"
    assert event.data["iatiIdentifier"] == body["iatiIdentifier"]
    assert event.data["dacSectors"] == ["15190"]
    assert event.data["channelCodes"] == ["47066"]
    assert event.data["owningOrganisation"] == "am"
    assert event.data["partnerOrganisations"] == ["kmar"]
    assert event.data["countryCodes"] == ["TUN", "MAR", "EGY"]
    assert event.data["themes"] == ["anti-smuggling-and-trafficking", "protection"]

    read = await service.client.get(
        f"/v1/programmes/{programme_id}", headers=service.auth("bz", [])
    )
    assert read.status_code == 200
    assert read.json() == body


async def test_list_filters(service: Service) -> None:
    protection = await service.create(
        "bz",
        title="Protection along the Central Mediterranean route (UNHCR)",
        themes=["protection"],
        recipientCountries=[{"countryCode": "LBY", "percentage": "100"}],
        participatingOrganisations=[
            {"role": "implementing", "name": "UNHCR", "crsChannelCode": "41121"}
        ],
    )
    auth = service.auth("ind", [])
    listed = await service.client.get(
        "/v1/programmes", params={"countryCode": "LBY", "owningOrganisation": "bz"}, headers=auth
    )
    assert listed.status_code == 200
    page = listed.json()
    assert [p["programmeId"] for p in page["items"]] == [protection]
    assert page["totalItems"] == 1 and page["_links"]["self"]["href"]
    by_theme = await service.client.get(
        "/v1/programmes", params={"theme": "protection", "status": 1, "pageSize": 100}, headers=auth
    )
    assert protection in [p["programmeId"] for p in by_theme.json()["items"]]
    none = await service.client.get("/v1/programmes", params={"status": 4}, headers=auth)
    assert none.json()["items"] == []


async def test_reads_need_a_token(service: Service) -> None:
    response = await service.client.get("/v1/programmes")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_approval_records_who_when_why_and_announces_the_framework(
    service: Service,
) -> None:
    programme_id = await service.approved("am")
    transitions = await service.client.get(
        f"/v1/programmes/{programme_id}/status-transitions", headers=service.auth("bz", [])
    )
    (approval,) = transitions.json()["items"]
    assert (approval["fromStatus"], approval["toStatus"], approval["toStatusName"]) == (
        1,
        2,
        "implementation",
    )
    assert approval["changedBy"] == "am"
    assert approval["reason"] == "Approved by the taskforce board."
    assert approval["recordedAt"].endswith("Z")

    programme = (
        await service.client.get(f"/v1/programmes/{programme_id}", headers=service.auth())
    ).json()
    assert programme["status"] == 2
    assert programme["actualStart"] == approval["effectiveOn"]

    names = [e.name for e in await service.emitted(programme_id)]
    assert names == [
        "programme-registered",
        "results-framework-changed",
        "programme-approved",
        "programme-status-changed",
    ]
    approved = next(
        e for e in await service.emitted(programme_id) if e.name == "programme-approved"
    )
    assert approved.data["totalBudgetEur"] == 3_000_000
    assert approved.data["approvedBy"] == "am"
    assert [i["indicatorId"] for i in approved.data["indicators"]] == [
        "networks-disrupted",
        "reported-abuse",
    ]
    first = approved.data["indicators"][0]
    assert first["direction"] == "increase"
    assert first["baseline"] == 3.0
    assert [t["value"] for t in first["targets"]] == [6.0, 12.0]


async def test_the_lifecycle_to_closed(service: Service) -> None:
    programme_id = await service.approved("am")
    base = f"/v1/programmes/{programme_id}/status-transitions"
    for status in (6, 2, 3, 4):
        moved = await service.client.post(
            base, json={"status": status, "reason": f"Step to {status}."}, headers=service.auth()
        )
        assert moved.status_code == 201, moved.text
    history = (await service.client.get(base, headers=service.auth())).json()["items"]
    assert [(t["fromStatus"], t["toStatus"]) for t in history] == [
        (1, 2),
        (2, 6),
        (6, 2),
        (2, 3),
        (3, 4),
    ]
    programme = (
        await service.client.get(f"/v1/programmes/{programme_id}", headers=service.auth())
    ).json()
    assert programme["statusName"] == "closed"
    assert programme["actualEnd"] is not None
    changes = [
        e.data for e in await service.emitted(programme_id) if e.name == "programme-status-changed"
    ]
    assert [(c["previousStatus"], c["status"]) for c in changes][-1] == (3, 4)
    assert all(c["changedBy"] == "am" for c in changes)
