"""Demo programmes for a running programmes service, loaded through its public HTTP API.

``taskforce demo load`` and ``make up`` call :func:`load`. Five programmes in
the spirit of the seed letter (COMPASS with IOM in North Africa, border
management support in Tunisia, return and reintegration with Morocco,
protection with UNHCR, countering trafficking with UNODC), each with a budget,
a results framework, approved into implementation and with a first commitment.

The programmes are data, in ``demo.json``: years count from this year (a
budget's ``yearsFromNow``, an indicator's targets one a year from this one,
its baseline the year before), so the demo is current whenever it is loaded.
ALL AMOUNTS, DATES AND TARGETS ARE ILLUSTRATIVE: they show how the registry
works, they are not the taskforce's figures.

Every step checks first, so a second run creates nothing: a programme is found
by owner and title, a budget is set only when there is none, the results
framework only at revision 0, approval only in the pipeline, the commitment
only when nothing is booked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from shared.demo import DemoApi, TokenFor, demo_data

WRITE = ["programmes:write"]

#: What a demo programme in ``demo.json`` holds besides its registration body.
_NOT_REGISTERED = ("owner", "budget", "indicators", "commitment")


@dataclass(frozen=True)
class DemoProgramme:
    """One demo programme as the API takes it: registration, budget, framework, commitment."""

    owner: str
    body: dict[str, Any]
    budgets: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    commitment: dict[str, Any]

    @classmethod
    def of(cls, item: Mapping[str, Any], year: int) -> DemoProgramme:
        """The programme of ``demo.json`` with its years counted from ``year``."""
        period = {"plannedStart": f"{year}-01-01", "plannedEnd": f"{year + 2}-12-31"}
        registration = {k: v for k, v in item.items() if k not in _NOT_REGISTERED}
        return cls(
            owner=item["owner"],
            body=registration | period,
            budgets=[
                {
                    "year": year + b["yearsFromNow"],
                    "budgetLine": b["budgetLine"],
                    "oda": b["oda"],
                    "amount": b["amount"],
                }
                for b in item["budget"]
            ],
            indicators=[_indicator(i, year) for i in item["indicators"]],
            commitment=item["commitment"],
        )


def _indicator(item: Mapping[str, Any], year: int) -> dict[str, Any]:
    """An outcome counted in units: baseline last year, a target a year from this one."""
    return {
        "indicatorId": item["indicatorId"],
        "title": item["title"],
        "resultType": "outcome",
        "measure": "unit",
        "ascending": item["ascending"],
        "baseline": {"year": year - 1, "value": item["baseline"]},
        "targets": [
            {"periodStart": f"{year + i}-01-01", "periodEnd": f"{year + i}-12-31", "value": value}
            for i, value in enumerate(item["targets"])
        ],
    }


async def load(client: httpx.AsyncClient, base_url: str, token_for: TokenFor) -> int:
    """Create what is missing of the demo programmes; returns how many things were created."""
    api = DemoApi(client, base_url, token_for, WRITE)
    data = demo_data("programmes")
    year = date.today().year
    created = 0
    for item in data["programmes"]:
        created += await _load_one(api, DemoProgramme.of(item, year), data)
    return created


async def _load_one(api: DemoApi, demo: DemoProgramme, data: Mapping[str, Any]) -> int:
    owner, title = demo.owner, demo.body["title"]
    listed = await api.request(
        "GET", "/programmes", owner, params={"owningOrganisation": owner, "pageSize": 100}
    )
    found = next((p for p in listed["items"] if p["title"] == title), None)
    created = 0
    if found is None:
        found = await api.request("POST", "/programmes", owner, json=demo.body)
        created += 1
    path = f"/programmes/{found['programmeId']}"
    budget = await api.request("GET", f"{path}/budgets", owner)
    if not budget["budgets"]:
        await api.request("PUT", f"{path}/budgets", owner, json={"budgets": demo.budgets})
        created += 1
    if found["resultsFrameworkRevision"] == 0:
        body = {"indicators": demo.indicators}
        await api.request("PUT", f"{path}/results-framework", owner, json=body)
        created += 1
    if found["status"] == 1:
        approval = {"status": 2, "reason": data["approvalReason"]}
        await api.request("POST", f"{path}/status-transitions", owner, json=approval)
        created += 1
    booked = await api.request("GET", f"{path}/transactions", owner)
    if not booked["items"]:
        commitment = {
            "type": "commitment",
            "transactionDate": date.today().isoformat(),
            **demo.commitment,
            "description": data["commitmentDescription"],
        }
        await api.request("POST", f"{path}/transactions", owner, json=commitment)
        created += 1
    return created
