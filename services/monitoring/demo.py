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

The values are data, in ``demo.json``: the indicator each piece of evidence is
reported on, the result's value and the incident's details.

ALL VALUES ARE ILLUSTRATIVE. Every step checks first, so a second run adds nothing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import httpx

from shared.demo import DemoApi, DemoLoadError, TokenFor, demo_data

WRITE = ["monitoring:write"]


async def load(client: httpx.AsyncClient, base_url: str, token_for: TokenFor) -> int:
    """Add the missing demo evidence; returns how many things were created."""
    api = DemoApi(client, base_url, token_for, WRITE)
    data = demo_data("monitoring")
    result, incident = data["result"], data["incident"]

    async def call(method: str, path: str, organisation: str = "bz", **kwargs: Any) -> Any:
        return await api.request(method, path, organisation, **kwargs)

    wanted = (result["indicatorId"], incident["indicatorId"])
    plans = await _wait_for_plans(call, wanted, float(data["waitForPlansSeconds"]))
    created = 0
    year = date.today().year
    compass, compass_owner = plans[result["indicatorId"]]
    found = await call(
        "GET",
        "/indicator-results",
        params={"programmeId": compass, "indicatorId": result["indicatorId"]},
    )
    if not found["items"]:
        body = {
            "programmeId": compass,
            "periodStart": f"{year}-01-01",
            "periodEnd": f"{year}-12-31",
            **result,
        }
        await call("POST", "/indicator-results", compass_owner, json=body)
        created += 1
    trafficking, trafficking_owner = plans[incident["indicatorId"]]
    incidents = await call("GET", "/incidents", params={"programmeId": trafficking})
    if not incidents["items"]:
        occurred = date.today() - timedelta(days=int(incident["occurredDaysAgo"]))
        details = {k: v for k, v in incident.items() if k not in ("indicatorId", "occurredDaysAgo")}
        body = {"programmeId": trafficking, "occurredOn": occurred.isoformat(), **details}
        await call("POST", "/incidents", trafficking_owner, json=body)
        created += 1
    return created


async def _wait_for_plans(
    call: Callable[..., Any], wanted: tuple[str, ...], wait_s: float
) -> dict[str, tuple[str, str]]:
    """Programme id and owner per demo indicator, once monitoring holds the plans ``wanted``."""
    deadline = time.monotonic() + wait_s
    while True:
        listed = await call("GET", "/programmes", params={"pageSize": 100})
        plans: dict[str, tuple[str, str]] = {}
        for programme in listed["items"]:
            for indicator in programme["indicatorIds"]:
                plans.setdefault(
                    indicator, (programme["programmeId"], programme["owningOrganisation"])
                )
        if all(indicator in plans for indicator in wanted):
            return plans
        if time.monotonic() > deadline:
            raise DemoLoadError("the demo programmes' plans did not reach monitoring in time")
        await asyncio.sleep(1.0)
