"""Concurrent decisions on one country or track, through the API at once (``asyncio.gather``).

On SQLite the requests are served one after the other anyway (one writer); on
PostgreSQL they pass because of the locks the use cases take first
(``services.countries.storage.locks``). Each was seen to fail without its lock:

- risk: without ``lock_country`` in ``assess_risk`` both assessments of a scope
  read no current one and both are left current;
- designations: without it in ``decide_designation`` both decisions take the
  same number and the second fails on the unique key (409 "Concurrent change");
- profiles: without it in ``change_profile`` two patches both start from the
  revision they read: both make the same revision, and the second fails on it;
- tracks: without the row lock in ``_track_to_change`` two moves both start
  from the status they read, and the history no longer chains; two edits both
  make revision 2, and one of them is lost.
"""

from __future__ import annotations

import asyncio

from tests.countries.support import Countries, assessment, decision, partnership


async def test_two_assessments_of_a_scope_at_once_leave_one_current(
    countries: Countries,
) -> None:
    posted = await asyncio.gather(
        *(countries.post("/countries/KEN/risk-assessments", assessment()) for _ in range(2))
    )
    # Both of the same moment: the second, judged after the first, may not date before it.
    assert sorted(r.status_code for r in posted) == [201, 422]
    current = (await countries.get("/countries/KEN/risk-assessments", current="true")).json()
    assert len(current["items"]) == 1


async def test_two_designations_at_once_are_numbered_and_chained(countries: Countries) -> None:
    posted = await asyncio.gather(
        countries.post("/countries/SEN/designations", decision("watch")),
        countries.post("/countries/SEN/designations", decision("focus")),
    )
    assert [r.status_code for r in posted] == [201, 201], [r.text for r in posted]
    listed = (await countries.get("/countries/SEN/designations")).json()["items"]
    newest, oldest = listed
    assert oldest["previousDesignation"] == "none"
    assert newest["previousDesignation"] == oldest["designation"]
    assert [d["current"] for d in listed] == [True, False]


async def test_two_moves_of_a_track_at_once_keep_its_history_chained(
    countries: Countries,
) -> None:
    track = (await countries.post("/countries/GHA/partnerships", partnership())).json()
    path = f"/countries/GHA/partnerships/{track['id']}"
    await asyncio.gather(
        *(
            countries.post(f"{path}/status-changes", {"status": s, "effectiveFrom": "2026-03-01"})
            for s in ("active", "ended")
        )
    )
    history = (await countries.get(f"{path}/status-changes")).json()
    assert [h["previousStatus"] for h in history[1:]] == [h["status"] for h in history[:-1]]
    shown = (await countries.get(path)).json()
    assert shown["status"] == history[-1]["status"]


async def test_two_edits_of_a_track_at_once_are_two_revisions(countries: Countries) -> None:
    track = (await countries.post("/countries/GHA/partnerships", partnership())).json()
    path = f"/countries/GHA/partnerships/{track['id']}"
    edited = await asyncio.gather(
        countries.patch(path, {"title": "Return cooperation, phase two"}),
        countries.patch(path, {"description": "Notes on the second phase."}),
    )
    assert sorted(r.json()["revision"] for r in edited) == [2, 3]
    shown = (await countries.get(path)).json()
    assert shown["title"] == "Return cooperation, phase two" and shown["revision"] == 3


async def test_two_profile_patches_at_once_are_two_revisions(countries: Countries) -> None:
    patched = await asyncio.gather(
        countries.patch("/countries/CMR", {"migrationRoles": ["transit"]}),
        countries.patch("/countries/CMR", {"notes": "Both patches kept."}),
    )
    assert sorted(r.json()["revision"] for r in patched) == [1, 2], [r.text for r in patched]
    profile = (await countries.get("/countries/CMR")).json()
    assert (profile["migrationRoles"], profile["notes"]) == (["transit"], "Both patches kept.")
