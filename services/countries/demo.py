"""Demo data for a running countries service, loaded through its public HTTP API.

``taskforce demo load`` and ``make up`` call :func:`load`. It checks before it
creates, so a second run creates nothing: a profile is written only while it
is at revision 0, decisions only when dated after the country's latest, a
track only when no track of the country has its title, a status change only
when the track is not in that status yet, an assessment only when its scope
has none. The content is data, ``demo.json`` (read by :func:`shared.demo.demo_data`):
per country its profile patch, decisions, tracks (the opening body and the
status changes that follow) and one assessment, of the track titled
``assessedTrack`` or of the whole country when that is null.
"""

from __future__ import annotations

from typing import Any

import httpx

from shared.demo import DemoApi, TokenFor, demo_data

WRITE = ["countries:write"]
#: Who does what in the demo: the secretariat keeps profiles and records decisions,
#: the lead organisation opens its tracks, Foreign Affairs records the assessments.
RECORDER = "tf-secretariaat"
#: One country of ``demo.json``: code, profile, decisions, tracks, assessment, assessedTrack.
DemoCountry = dict[str, Any]


async def load(client: httpx.AsyncClient, base_url: str, token_for: TokenFor) -> int:
    """Create what is missing of the demo countries; returns how many things were created."""
    api = _Api(client, base_url, token_for, WRITE)
    created = 0
    for country in demo_data("countries")["countries"]:
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
    profile = await api.request("GET", f"/countries/{country['code']}")
    if profile["revision"] > 0:
        return 0
    await api.request("PATCH", f"/countries/{country['code']}", json=country["profile"])
    return 1


async def _decisions(api: _Api, country: DemoCountry) -> int:
    path = f"/countries/{country['code']}/designations"
    existing = await api.request("GET", path, params={"pageSize": 1})
    latest = existing["items"][0]["decidedOn"] if existing["items"] else ""
    created = 0
    for decision in country["decisions"]:
        if decision["decidedOn"] > latest:
            await api.request("POST", path, json=decision)
            created += 1
    return created


async def _tracks(api: _Api, country: DemoCountry) -> dict[str, Any]:
    """Open missing tracks and bring them to their demo status.

    Returns the tracks' ids by title, plus the number created under ``""``.
    """
    path = f"/countries/{country['code']}/partnerships"
    listed = await api.request("GET", path, params={"pageSize": 100})
    by_title = {track["title"]: track for track in listed["items"]}
    created = 0
    for plan in country["tracks"]:
        title = plan["open"]["title"]
        lead = plan["open"]["leadOrganisation"]
        track = by_title.get(title)
        if track is None:
            track = await api.request("POST", path, lead, json=plan["open"])
            created += 1
        for change in plan["then"]:
            status = change["status"]
            if track["status"] != status and status in track["allowedNextStatuses"]:
                track = await api.request(
                    "POST", f"{path}/{track['id']}/status-changes", lead, json=change
                )
                created += 1
        by_title[title] = track
    return {"": created, **{title: track["id"] for title, track in by_title.items()}}


async def _assessment(api: _Api, country: DemoCountry, track_ids: dict[str, Any]) -> int:
    path = f"/countries/{country['code']}/risk-assessments"
    body = dict(country["assessment"])
    params: dict[str, Any] = {"pageSize": 1}
    if country["assessedTrack"] is not None:
        body["partnershipId"] = track_ids[country["assessedTrack"]]
        params["partnershipId"] = body["partnershipId"]
    existing = await api.request("GET", path, params=params)
    if existing["totalItems"] > 0:
        return 0
    await api.request("POST", path, "bz", json=body)
    return 1
