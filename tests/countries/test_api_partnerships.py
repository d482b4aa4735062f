"""Partnership tracks over HTTP: opening, editing, status changes, their events and lists."""

from __future__ import annotations

from tests.countries.support import Countries, partnership

STATUS_CHANGED = "nl.migratiesamenwerking.countries.partnership-status-changed"
UPDATED = "nl.migratiesamenwerking.countries.partnership-updated"


async def test_a_track_is_opened_edited_and_moved_with_one_event_per_change(
    countries: Countries,
) -> None:
    before = len(await countries.emitted())
    opened = await countries.post("/countries/MAR/partnerships", partnership())
    assert opened.status_code == 201, opened.text
    track = opened.json()
    url = f"http://127.0.0.1:8001/v1/countries/MAR/partnerships/{track['id']}"
    assert opened.headers["Location"] == url
    assert (track["status"], track["statusSince"], track["revision"]) == (
        "exploring",
        "2026-01-15",
        1,
    )
    assert track["allowedNextStatuses"] == ["active", "ended"]
    path = f"/countries/MAR/partnerships/{track['id']}"

    edited = await countries.patch(
        path,
        {
            "levers": ["development-cooperation", "trade"],
            "developmentThemes": ["youth-employment"],
            "negativeMeasuresConsidered": ["visa-measures"],
            "description": "Internal notes on the track.",
        },
        organisation="tf-secretariaat",
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["revision"], edited.json()["updatedBy"]) == (2, "tf-secretariaat")

    active = await countries.post(
        f"{path}/status-changes",
        {"status": "active", "effectiveFrom": "2026-03-01", "reason": "Dialogue agreed."},
    )
    assert active.status_code == 201, active.text
    assert (active.json()["status"], active.json()["statusSince"]) == ("active", "2026-03-01")
    assert active.json()["allowedNextStatuses"] == ["ended", "paused"]

    events = (await countries.emitted())[before:]
    assert [e.type for e in events] == [STATUS_CHANGED, UPDATED, STATUS_CHANGED]
    assert {e.key for e in events} == {"MAR"}
    routing = {
        "countryCode": "MAR",
        "partnershipId": track["id"],
        "partnershipUrl": url,
        "kind": "bilateral",
        "leadOrganisation": "am",
        "participatingOrganisations": ["dtv", "kmar"],
        "themes": ["return-cooperation"],
        "instruments": ["migration-dialogue"],
    }
    assert events[0].data == {**routing, "status": "exploring", "effectiveFrom": "2026-01-15"}
    assert events[1].data == {
        **routing,
        "status": "exploring",
        "revision": 2,
        "changedFields": [
            "levers",
            "developmentThemes",
            "negativeMeasuresConsidered",
            "description",
        ],
    }
    assert events[2].data == {
        **routing,
        "status": "active",
        "previousStatus": "exploring",
        "effectiveFrom": "2026-03-01",
    }
    assert b"Internal notes" not in events[1].raw and b"Dialogue agreed" not in events[2].raw

    history = (await countries.get(f"{path}/status-changes")).json()
    assert [(h["status"], h["previousStatus"]) for h in history] == [
        ("exploring", None),
        ("active", "exploring"),
    ]
    assert history[1]["reason"] == "Dialogue agreed."


async def test_an_unchanged_patch_emits_nothing(countries: Countries) -> None:
    track = (await countries.post("/countries/EGY/partnerships", partnership())).json()
    before = await countries.state()
    path = f"/countries/EGY/partnerships/{track['id']}"
    response = await countries.patch(path, {"title": track["title"]})
    assert response.status_code == 200
    assert response.json()["revision"] == 1
    assert await countries.state() == before


async def test_the_transition_table_is_enforced(countries: Countries) -> None:
    track = (
        await countries.post("/countries/TUR/partnerships", partnership(status="active"))
    ).json()
    path = f"/countries/TUR/partnerships/{track['id']}/status-changes"
    ended = await countries.post(path, {"status": "ended", "effectiveFrom": "2026-04-01"})
    assert ended.status_code == 201
    assert ended.json()["allowedNextStatuses"] == []
    before = await countries.state()
    again = await countries.post(path, {"status": "active", "effectiveFrom": "2026-05-01"})
    assert again.status_code == 422
    problem = again.json()
    assert [p["name"] for p in problem["invalidParams"]] == ["status"]
    assert "ended" in problem["invalidParams"][0]["reason"]
    assert await countries.state() == before


async def test_lists_filter_by_status_kind_theme_and_organisation(countries: Countries) -> None:
    eu = partnership(
        title="EU partnership",
        kind="eu",
        themes=["border-management", "anti-smuggling-and-trafficking"],
        leadOrganisation="bz",
        participatingOrganisations=["am", "kmar"],
        status="active",
    )
    made = (await countries.post("/countries/JOR/partnerships", eu, organisation="bz")).json()
    await countries.post("/countries/JOR/partnerships", partnership())

    mine = (await countries.get("/countries/JOR/partnerships")).json()
    assert mine["totalItems"] == 2
    by_kind = (await countries.get("/countries/JOR/partnerships", kind="eu")).json()
    assert [p["id"] for p in by_kind["items"]] == [made["id"]]
    by_theme = await countries.get("/partnerships", theme="border-management", countryCode="JOR")
    assert [p["id"] for p in by_theme.json()["items"]] == [made["id"]]
    by_org = (await countries.get("/partnerships", organisation="kmar", status="active")).json()
    assert made["id"] in [p["id"] for p in by_org["items"]]
    assert all(p["status"] == "active" for p in by_org["items"])


async def test_unknown_tracks_are_not_found(countries: Countries) -> None:
    track = (await countries.post("/countries/DZA/partnerships", partnership())).json()
    assert (await countries.get(f"/countries/LBY/partnerships/{track['id']}")).status_code == 404
    missing = "/countries/DZA/partnerships/00000000-0000-4000-8000-000000000000"
    assert (await countries.get(missing)).status_code == 404
    assert (await countries.patch(missing, {"title": "x"})).status_code == 404
    change = {"status": "active", "effectiveFrom": "2026-05-01"}
    assert (await countries.post(f"{missing}/status-changes", change)).status_code == 404
    assert (await countries.get("/countries/DZA/partnerships/not-a-uuid")).status_code == 400
