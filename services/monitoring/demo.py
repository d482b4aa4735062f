"""Demo evidence for a running monitoring service, loaded through its public HTTP API.

It runs after the programmes demo. The demo programmes' plans reach monitoring
by ``programme-approved`` events, so it first waits (at most a minute) until
monitoring has them. Then:

- COMPASS (``smuggling-cases-referred``, baseline 40, increasing): this year's
  result is 31, below the baseline, so the counterproductive rule flags it;
- the anti-trafficking programme (``victims-identified``): a verified incident
  of critical severity, so the negative-side-effects rule flags it.

Each is reported by the programme's owning ministry (bz for COMPASS, jenv for
the anti-trafficking programme): only a programme's owner, its participating
organisations and the taskforce secretariat may report evidence on it.

ALL VALUES ARE ILLUSTRATIVE. Every step checks first, so a second run adds nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from shared.demo import DemoApi, DemoLoadError

WRITE = ["monitoring:write"]
COUNTERPRODUCTIVE_INDICATOR = "smuggling-cases-referred"
INCIDENT_INDICATOR = "victims-identified"
WAIT_S = 60.0


async def load(
    client: httpx.AsyncClient, base_url: str, token_for: Callable[[str, list[str]], str]
) -> int:
    """Add the missing demo evidence; returns how many things were created."""
    api = DemoApi(client, base_url, token_for, WRITE)

    async def call(method: str, path: str, organisation: str = "bz", **kwargs: Any) -> Any:
        return await api.request(method, path, organisation, **kwargs)

    plans = await _wait_for_plans(call)
    created = 0
    year = date.today().year
    compass, compass_owner = plans[COUNTERPRODUCTIVE_INDICATOR]
    found = await call(
        "GET",
        "/indicator-results",
        params={"programmeId": compass, "indicatorId": COUNTERPRODUCTIVE_INDICATOR},
    )
    if not found["items"]:
        await call(
            "POST",
            "/indicator-results",
            compass_owner,
            json={
                "programmeId": compass,
                "indicatorId": COUNTERPRODUCTIVE_INDICATOR,
                "periodStart": f"{year}-01-01",
                "periodEnd": f"{year}-12-31",
                "value": "31",
                "comment": "Fewer referrals than before the programme (illustrative).",
                "source": "Implementing partner's interim report (illustrative)",
            },
        )
        created += 1
    trafficking, trafficking_owner = plans[INCIDENT_INDICATOR]
    incidents = await call("GET", "/incidents", params={"programmeId": trafficking})
    if not incidents["items"]:
        await call(
            "POST",
            "/incidents",
            trafficking_owner,
            json={
                "programmeId": trafficking,
                "category": "exploitation",
                "severity": "critical",
                "countryCode": "EGY",
                "occurredOn": (date.today() - timedelta(days=10)).isoformat(),
                "verified": True,
                "summary": "Referred victims were placed with an employer who exploited them "
                "(illustrative).",
            },
        )
        created += 1
    return created


async def _wait_for_plans(call: Callable[..., Any]) -> dict[str, tuple[str, str]]:
    """Programme id and owner per demo indicator, once monitoring holds both plans."""
    deadline = time.monotonic() + WAIT_S
    while True:
        listed = await call("GET", "/programmes", params={"pageSize": 100})
        plans: dict[str, tuple[str, str]] = {}
        for programme in listed["items"]:
            for indicator in programme["indicatorIds"]:
                plans.setdefault(
                    indicator, (programme["programmeId"], programme["owningOrganisation"])
                )
        if COUNTERPRODUCTIVE_INDICATOR in plans and INCIDENT_INDICATOR in plans:
            return plans
        if time.monotonic() > deadline:
            raise DemoLoadError("the demo programmes' plans did not reach monitoring in time")
        await asyncio.sleep(1.0)
