"""Who may write what in the countries service (``services/countries/domain/rights.py``).

Each rule is tried both ways through the HTTP API: the organisations it names
are allowed, and anyone else gets a 403 problem that names who may, with
nothing changed and nothing emitted.
"""

from __future__ import annotations

from typing import Any

from tests.countries.support import Countries, assessment, decision, partnership

SECRETARIAT = "tf-secretariaat"


async def refused(
    countries: Countries, method: str, path: str, body: Any, organisation: str, *names: str
) -> None:
    """403 problem+json whose detail names ``names``; no row and no event written."""
    before = await countries.state()
    response = await countries.client.request(
        method, f"/v1{path}", json=body, headers=countries.auth(organisation)
    )
    assert response.status_code == 403, (organisation, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    detail = response.json()["detail"]
    for name in names:
        assert name in detail, (name, detail)
    assert await countries.state() == before


# -- country profiles ---------------------------------------------------------------


async def test_profiles_are_kept_by_am_bz_and_the_secretariat(countries: Countries) -> None:
    for organisation in ("kmar", "ind", "jenv"):
        await refused(
            countries,
            "patch",
            "/countries/NER",
            {"notes": "x"},
            organisation,
            "am, bz or " + SECRETARIAT,
        )
    for n, organisation in enumerate(("am", "bz", SECRETARIAT)):
        response = await countries.patch("/countries/NER", {"notes": f"n{n}"}, organisation)
        assert response.status_code == 200, response.text
        assert response.json()["updatedBy"] == organisation


# -- designations --------------------------------------------------------------------


async def test_designations_are_decided_by_am_or_bz(countries: Countries) -> None:
    path = "/countries/MLI/designations"
    await refused(countries, "post", path, decision(), "jenv", "am or bz", "jenv")
    await refused(countries, "post", path, decision(), "kmar", "am or bz")
    made = await countries.post(path, decision(), "bz")
    assert made.status_code == 201, made.text
    assert (made.json()["decidedBy"], made.json()["recordedBy"]) == ("bz", "bz")


async def test_only_the_secretariat_records_a_decision_for_another(countries: Countries) -> None:
    path = "/countries/NGA/designations"
    on_behalf = decision(decidedBy="bz")
    await refused(countries, "post", path, on_behalf, "am", "only the taskforce secretariat")
    await refused(countries, "post", path, decision(), SECRETARIAT, "name the deciding")
    await refused(countries, "post", path, decision(decidedBy="jenv"), SECRETARIAT, "am or bz")
    made = await countries.post(path, on_behalf, SECRETARIAT)
    assert made.status_code == 201, made.text
    assert (made.json()["decidedBy"], made.json()["recordedBy"]) == ("bz", SECRETARIAT)
    event = (await countries.emitted())[-1]
    assert event.data["decidedBy"] == "bz"


# -- partnership tracks --------------------------------------------------------------


async def test_a_track_is_opened_by_its_lead_or_the_secretariat(countries: Countries) -> None:
    path = "/countries/SEN/partnerships"
    await refused(countries, "post", path, partnership(), "kmar", "kmar", "not am")
    await refused(countries, "post", path, partnership(), "bz")
    own = partnership(title="Border posts", leadOrganisation="kmar", participatingOrganisations=[])
    assert (await countries.post(path, own, "kmar")).status_code == 201
    opened = await countries.post(path, partnership(), SECRETARIAT)
    assert opened.status_code == 201, opened.text
    assert (opened.json()["leadOrganisation"], opened.json()["createdBy"]) == ("am", SECRETARIAT)


async def test_a_track_is_changed_by_its_lead_or_the_secretariat(countries: Countries) -> None:
    track = (await countries.post("/countries/GMB/partnerships", partnership())).json()
    path = f"/countries/GMB/partnerships/{track['id']}"
    edit = {"description": "Notes."}
    move = {"status": "active", "effectiveFrom": "2026-03-01"}
    for organisation in ("bz", "dtv", "jenv"):  # another ministry, a participant, an outsider
        await refused(countries, "patch", path, edit, organisation, "led by am", "only am or")
        await refused(countries, "post", f"{path}/status-changes", move, organisation, "led by am")
    assert (await countries.patch(path, edit, SECRETARIAT)).status_code == 200
    moved = await countries.post(f"{path}/status-changes", move, "am")
    assert moved.status_code == 201, moved.text
    assert moved.json()["updatedBy"] == "am"


async def test_the_lead_hands_a_track_on_and_then_the_new_lead_changes_it(
    countries: Countries,
) -> None:
    track = (await countries.post("/countries/GIN/partnerships", partnership())).json()
    path = f"/countries/GIN/partnerships/{track['id']}"
    handed = await countries.patch(path, {"leadOrganisation": "bz"}, "am")
    assert handed.status_code == 200, handed.text
    await refused(countries, "patch", path, {"description": "x"}, "am", "led by bz")
    assert (await countries.patch(path, {"description": "x"}, "bz")).status_code == 200


# -- do-no-harm assessments ----------------------------------------------------------


async def test_assessments_are_made_by_am_bz_or_the_tracks_lead(countries: Countries) -> None:
    path = "/countries/ERI/risk-assessments"
    for organisation in ("kmar", "jenv"):
        await refused(countries, "post", path, assessment(), organisation, "am or bz")
    made = await countries.post(path, assessment(), "bz")
    assert made.status_code == 201, made.text
    assert (made.json()["assessedBy"], made.json()["recordedBy"]) == ("bz", "bz")

    led = partnership(leadOrganisation="kmar", participatingOrganisations=[])
    track = (await countries.post("/countries/ERI/partnerships", led, "kmar")).json()
    of_track = assessment(partnershipId=track["id"], assessedAt="2026-06-02T10:00:00Z")
    await refused(countries, "post", path, of_track, "jenv", "am, bz or kmar")
    await refused(countries, "post", path, assessment(assessedAt="2026-06-02T10:00:00Z"), "kmar")
    by_lead = await countries.post(path, of_track, "kmar")
    assert by_lead.status_code == 201, by_lead.text
    assert by_lead.json()["assessedBy"] == "kmar"


async def test_only_the_secretariat_records_an_assessment_for_another(
    countries: Countries,
) -> None:
    path = "/countries/ETH/risk-assessments"
    on_behalf = assessment(assessedBy="bz")
    await refused(countries, "post", path, on_behalf, "am", "only the taskforce secretariat")
    await refused(countries, "post", path, assessment(), SECRETARIAT, "name the assessing")
    made = await countries.post(path, on_behalf, SECRETARIAT)
    assert made.status_code == 201, made.text
    assert (made.json()["assessedBy"], made.json()["recordedBy"]) == ("bz", SECRETARIAT)
