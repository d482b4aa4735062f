"""Demo programmes for a running programmes service, loaded through its public HTTP API.

``taskforce demo load`` and ``make up`` call :func:`load`. Five programmes in
the spirit of the seed letter (COMPASS with IOM in North Africa, border
management support in Tunisia, return and reintegration with Morocco,
protection with UNHCR, countering trafficking with UNODC), each with a budget,
a results framework, approved into implementation and with a first commitment.

ALL AMOUNTS, DATES AND TARGETS ARE ILLUSTRATIVE: they show how the registry
works, they are not the taskforce's figures.

Every step checks first, so a second run creates nothing: a programme is found
by owner and title, a budget is set only when there is none, the results
framework only at revision 0, approval only in the pipeline, the commitment
only when nothing is booked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from shared.demo import DemoApi

WRITE = ["programmes:write"]
ILLUSTRATIVE = " Amounts are illustrative."


@dataclass(frozen=True)
class DemoProgramme:
    owner: str
    body: dict[str, Any]
    #: (year offset from this year, budget line, ODA, amount in euros)
    budget: tuple[tuple[int, str, bool, str], ...]
    indicators: tuple[dict[str, Any], ...]
    #: The first commitment: budget line, ODA, amount (in this year's budget).
    commitment: tuple[str, bool, str] = ("bho", True, "0")


def _indicator(
    indicator_id: str, title: str, *, ascending: bool, baseline: str, targets: tuple[str, ...]
) -> dict[str, Any]:
    year = date.today().year
    return {
        "indicatorId": indicator_id,
        "title": title,
        "resultType": "outcome",
        "measure": "unit",
        "ascending": ascending,
        "baseline": {"year": year - 1, "value": baseline},
        "targets": [
            {
                "periodStart": f"{year + i}-01-01",
                "periodEnd": f"{year + i}-12-31",
                "value": value,
            }
            for i, value in enumerate(targets)
        ],
    }


def _programmes() -> list[DemoProgramme]:
    year = date.today().year
    period = {"plannedStart": f"{year}-01-01", "plannedEnd": f"{year + 2}-12-31"}
    iom = {
        "role": "implementing",
        "name": "International Organization for Migration",
        "ref": "XM-DAC-47066",
        "type": "40",
        "crsChannelCode": "47066",
    }
    return [
        DemoProgramme(
            owner="bz",
            body={
                "title": "COMPASS: protection and solutions for migrants in North Africa",
                "description": "With IOM: countering migrant smuggling, protection of migrants "
                "along the routes and assisted voluntary return and reintegration." + ILLUSTRATIVE,
                "participatingOrganisations": [{"role": "funding", "organisation": "bz"}, iom],
                **period,
                "recipientCountries": [
                    {"countryCode": "MAR", "percentage": "25"},
                    {"countryCode": "TUN", "percentage": "25"},
                    {"countryCode": "LBY", "percentage": "30"},
                    {"countryCode": "EGY", "percentage": "20"},
                ],
                "sectors": [{"code": "15190", "percentage": "100"}],
                "themes": ["anti-smuggling-and-trafficking", "protection"],
                "returnAssistance": "voluntary",
            },
            budget=(
                (0, "bho", True, "6000000.00"),
                (1, "bho", True, "6000000.00"),
                (2, "bho", True, "6000000.00"),
            ),
            indicators=(
                _indicator(
                    "smuggling-cases-referred",
                    "Smuggling cases referred to prosecutors",
                    ascending=True,
                    baseline="40",
                    targets=("60", "80", "100"),
                ),
                _indicator(
                    "migrants-assisted",
                    "Migrants in vulnerable situations assisted",
                    ascending=True,
                    baseline="5000",
                    targets=("7000", "9000", "10000"),
                ),
            ),
            commitment=("bho", True, "6000000.00"),
        ),
        DemoProgramme(
            owner="am",
            body={
                "title": "Border management support to Tunisia",
                "description": "Training and equipment for border management, with the Royal "
                "Marechaussee deployed alongside the Tunisian authorities; human-rights "
                "monitoring built in." + ILLUSTRATIVE,
                "participatingOrganisations": [
                    {"role": "funding", "organisation": "am"},
                    {"role": "implementing", "organisation": "kmar"},
                ],
                **period,
                "recipientCountries": [{"countryCode": "TUN", "percentage": "100"}],
                "sectors": [{"code": "15190", "percentage": "100"}],
                "themes": ["border-management", "anti-smuggling-and-trafficking"],
            },
            budget=((0, "am", False, "2500000.00"), (1, "am", False, "3000000.00")),
            indicators=(
                _indicator(
                    "officers-trained",
                    "Border officers trained, including on human rights",
                    ascending=True,
                    baseline="0",
                    targets=("150", "300"),
                ),
                _indicator(
                    "reported-abuse",
                    "Reported abuse of migrants at supported posts",
                    ascending=False,
                    baseline="12",
                    targets=("8", "4"),
                ),
            ),
            commitment=("am", False, "2500000.00"),
        ),
        DemoProgramme(
            owner="am",
            body={
                "title": "Return and reintegration cooperation with Morocco",
                "description": "Assisted voluntary return from the Netherlands by DT&V and "
                "sustainable reintegration in Morocco with IOM." + ILLUSTRATIVE,
                "participatingOrganisations": [
                    {"role": "funding", "organisation": "am"},
                    {"role": "implementing", "organisation": "dtv"},
                    iom,
                ],
                **period,
                "recipientCountries": [{"countryCode": "MAR", "percentage": "100"}],
                "sectors": [{"code": "15190", "percentage": "100"}],
                "themes": ["return-cooperation"],
                "returnAssistance": "voluntary",
            },
            budget=(
                (0, "am", True, "1500000.00"),
                (0, "am", False, "1000000.00"),
                (1, "am", True, "2000000.00"),
            ),
            indicators=(
                _indicator(
                    "returnees-reintegrated",
                    "Returnees with a reintegration plan completed",
                    ascending=True,
                    baseline="120",
                    targets=("200", "300"),
                ),
            ),
            commitment=("am", True, "1500000.00"),
        ),
        DemoProgramme(
            owner="bz",
            body={
                "title": "Protection along the Central Mediterranean route with UNHCR",
                "description": "International protection, access to asylum and durable "
                "solutions for refugees in transit." + ILLUSTRATIVE,
                "participatingOrganisations": [
                    {"role": "funding", "organisation": "bz"},
                    {
                        "role": "implementing",
                        "name": "United Nations High Commissioner for Refugees",
                        "ref": "XM-DAC-41121",
                        "type": "40",
                        "crsChannelCode": "41121",
                    },
                ],
                **period,
                "recipientCountries": [
                    {"countryCode": "LBY", "percentage": "40"},
                    {"countryCode": "NER", "percentage": "35"},
                    {"countryCode": "TCD", "percentage": "25"},
                ],
                "sectors": [{"code": "15190", "percentage": "100"}],
                "themes": ["protection", "asylum-and-migration-management"],
            },
            budget=((0, "bho", True, "4000000.00"), (1, "bho", True, "4000000.00")),
            indicators=(
                _indicator(
                    "refugees-registered",
                    "Refugees registered and referred to services",
                    ascending=True,
                    baseline="8000",
                    targets=("10000", "12000"),
                ),
            ),
            commitment=("bho", True, "4000000.00"),
        ),
        DemoProgramme(
            owner="jenv",
            body={
                "title": "Countering trafficking in human beings with UNODC",
                "description": "Criminal-justice capacity against trafficking and migrant "
                "smuggling, with victim identification and referral." + ILLUSTRATIVE,
                "participatingOrganisations": [
                    {"role": "funding", "organisation": "jenv"},
                    {
                        "role": "implementing",
                        "name": "United Nations Office on Drugs and Crime",
                        "ref": "XM-DAC-41128",
                        "type": "40",
                        "crsChannelCode": "41128",
                    },
                    {"role": "implementing", "organisation": "politie"},
                ],
                **period,
                "recipientCountries": [
                    {"countryCode": "EGY", "percentage": "50"},
                    {"countryCode": "JOR", "percentage": "50"},
                ],
                "sectors": [{"code": "15190", "percentage": "100"}],
                "themes": ["anti-smuggling-and-trafficking"],
            },
            budget=((0, "am", True, "1200000.00"), (1, "am", True, "1200000.00")),
            indicators=(
                _indicator(
                    "victims-identified",
                    "Victims of trafficking identified and referred",
                    ascending=True,
                    baseline="60",
                    targets=("90", "120"),
                ),
            ),
            commitment=("am", True, "1200000.00"),
        ),
    ]


async def load(
    client: httpx.AsyncClient, base_url: str, token_for: Callable[[str, list[str]], str]
) -> int:
    """Create what is missing of the demo programmes; returns how many things were created."""
    api = DemoApi(client, base_url, token_for, WRITE)
    created = 0
    for demo in _programmes():
        created += await _load_one(api, demo)
    return created


async def _load_one(api: DemoApi, demo: DemoProgramme) -> int:
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
    year = date.today().year
    budget = await api.request("GET", f"{path}/budgets", owner)
    if not budget["budgets"]:
        items = [
            {"year": year + offset, "budgetLine": line, "oda": oda, "amount": amount}
            for offset, line, oda, amount in demo.budget
        ]
        await api.request("PUT", f"{path}/budgets", owner, json={"budgets": items})
        created += 1
    if found["resultsFrameworkRevision"] == 0:
        body = {"indicators": list(demo.indicators)}
        await api.request("PUT", f"{path}/results-framework", owner, json=body)
        created += 1
    if found["status"] == 1:
        approval = {"status": 2, "reason": "Approved for the demo (illustrative)."}
        await api.request("POST", f"{path}/status-transitions", owner, json=approval)
        created += 1
    booked = await api.request("GET", f"{path}/transactions", owner)
    if not booked["items"]:
        line, oda, amount = demo.commitment
        commitment = {
            "type": "commitment",
            "transactionDate": date.today().isoformat(),
            "budgetLine": line,
            "oda": oda,
            "amount": amount,
            "description": "First-year grant agreement (illustrative).",
        }
        await api.request("POST", f"{path}/transactions", owner, json=commitment)
        created += 1
    return created
