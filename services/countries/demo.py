"""Demo data for a running countries service, loaded through its public HTTP API.

``taskforce demo load`` and ``make up`` call :func:`load`. It checks before it
creates, so a second run creates nothing: a profile is written only while it
is at revision 0, decisions only when dated after the country's latest, a
track only when no track of the country has its title, a status change only
when the track is not in that status yet, an assessment only when its scope
has none. The content is in :mod:`services.countries.demo_data`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from services.countries.demo_data import COUNTRIES, DemoCountry
from shared.demo import DemoApi

WRITE = ["countries:write"]
#: Who does what in the demo: the secretariat keeps profiles and records decisions,
#: the lead organisation opens its tracks, Foreign Affairs records the assessments.
RECORDER = "tf-secretariaat"


async def load(
    client: httpx.AsyncClient, base_url: str, token_for: Callable[[str, list[str]], str]
) -> int:
    """Create what is missing of the demo countries; returns how many things were created."""
    api = _Api(client, base_url, token_for, WRITE)
    created = 0
    for country in COUNTRIES:
        created += await _profile(api, country)
        created += await _decisions(api, country)
        titles = await _tracks(api, country)
        created += titles.pop("", 0)
        created += await _assessment(api, country, titles)
    return created


class _Api(DemoApi):
    """Requests as the secretariat unless another organisation is named."""

    async def request(
        self, method: str, path: str, organisation: str = RECORDER, **kwargs: Any
    ) -> Any:
        return await super().request(method, path, organisation, **kwargs)


async def _profile(api: _Api, country: DemoCountry) -> int:
    profile = await api.request("GET", f"/countries/{country.code}")
    if profile["revision"] > 0:
        return 0
    await api.request("PATCH", f"/countries/{country.code}", json=country.profile)
    return 1


async def _decisions(api: _Api, country: DemoCountry) -> int:
    path = f"/countries/{country.code}/designations"
    existing = await api.request("GET", path, params={"pageSize": 1})
    latest = existing["items"][0]["decidedOn"] if existing["items"] else ""
    created = 0
    for decision in country.decisions:
        if decision["decidedOn"] > latest:
            await api.request("POST", path, json=decision)
            created += 1
    return created


async def _tracks(api: _Api, country: DemoCountry) -> dict[str, Any]:
    """Open missing tracks and bring them to their demo status.

    Returns the tracks' ids by title, plus the number created under ``""``.
    """
    path = f"/countries/{country.code}/partnerships"
    listed = await api.request("GET", path, params={"pageSize": 100})
    by_title = {track["title"]: track for track in listed["items"]}
    created = 0
    for plan in country.tracks:
        title = plan.body["title"]
        track = by_title.get(title)
        if track is None:
            lead = plan.body["leadOrganisation"]
            track = await api.request("POST", path, lead, json=plan.body)
            created += 1
        for status, effective_from in plan.then:
            if track["status"] != status and status in track["allowedNextStatuses"]:
                track = await api.request(
                    "POST",
                    f"{path}/{track['id']}/status-changes",
                    plan.body["leadOrganisation"],
                    json={"status": status, "effectiveFrom": effective_from},
                )
                created += 1
        by_title[title] = track
    return {"": created, **{title: track["id"] for title, track in by_title.items()}}


async def _assessment(api: _Api, country: DemoCountry, track_ids: dict[str, Any]) -> int:
    path = f"/countries/{country.code}/risk-assessments"
    body = dict(country.assessment)
    params: dict[str, Any] = {"pageSize": 1}
    if country.assessed_track is not None:
        body["partnershipId"] = track_ids[country.assessed_track]
        params["partnershipId"] = body["partnershipId"]
    existing = await api.request("GET", path, params=params)
    if existing["totalItems"] > 0:
        return 0
    await api.request("POST", path, "bz", json=body)
    return 1
