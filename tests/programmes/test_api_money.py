"""Budgets, transactions with overrides, and the taskforce budget frame over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from services.programmes.settings import FrameCellSetting, ProgrammesSettings
from shared.contracts.vocabulary import BudgetLine
from tests.databases import TestDatabases
from tests.programmes.conftest import (
    YEAR,
    Service,
    budgets_body,
    running,
    settings_for,
)

#: A small frame, so one programme can exceed it.
FRAME = [
    FrameCellSetting(year=YEAR, budget_line=BudgetLine.BHO, oda=True, amount_eur=1_500_000),
    FrameCellSetting(year=YEAR, budget_line=BudgetLine.AM, oda=False, amount_eur=250_000),
]


@pytest.fixture(scope="module")
async def framed(
    tmp_path_factory: pytest.TempPathFactory, database: TestDatabases
) -> AsyncIterator[Service]:
    settings = settings_for(tmp_path_factory.mktemp("framed"), None, database=database)
    async with running(settings, ProgrammesSettings(budget_frame=FRAME)) as started:
        yield started


def booking(kind: str, amount: str, **changes: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "transactionDate": f"{YEAR}-04-15",
        "budgetLine": "bho",
        "oda": True,
        "amount": amount,
        **changes,
    }


async def book(service: Service, programme_id: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await service.client.post(
        f"/v1/programmes/{programme_id}/transactions", json=body, headers=service.auth()
    )
    assert response.status_code == 201, response.text
    booked: dict[str, Any] = response.json()
    return booked


async def test_budget_and_bookings_in_exact_cents(framed: Service) -> None:
    programme_id = await framed.approved()
    await book(framed, programme_id, booking("commitment", "0.10"))
    await book(framed, programme_id, booking("commitment", "0.20"))
    await book(framed, programme_id, booking("disbursement", "0.30"))
    budget = (
        await framed.client.get(f"/v1/programmes/{programme_id}/budgets", headers=framed.auth())
    ).json()
    assert budget["total"] == "3000000.00"
    this_year = budget["budgets"][0]
    assert (this_year["year"], this_year["amount"]) == (YEAR, "1000000.00")
    assert (this_year["committed"], this_year["disbursed"]) == ("0.30", "0.30")
    listed = (
        await framed.client.get(
            f"/v1/programmes/{programme_id}/transactions", headers=framed.auth()
        )
    ).json()["items"]
    assert [t["amount"] for t in listed] == ["0.10", "0.20", "0.30"]
    assert {t["recordedBy"] for t in listed} == {"am"}


async def test_an_override_is_recorded_with_who_when_and_why(framed: Service) -> None:
    programme_id = await framed.approved()
    over = await book(
        framed,
        programme_id,
        booking(
            "commitment",
            "1000000.01",
            override={"reason": "Co-financing by the EU arrives next quarter."},
            description="Grant agreement with IOM",
        ),
    )
    assert over["override"]["reason"] == "Co-financing by the EU arrives next quarter."
    assert over["override"]["by"] == "am" and over["override"]["at"].endswith("Z")
    assert over["year"] == YEAR and over["amount"] == "1000000.01"


async def test_a_commitment_over_the_frame_is_booked_and_alerts_finance(
    tmp_path_factory: pytest.TempPathFactory,
    database: TestDatabases,
) -> None:
    settings = settings_for(tmp_path_factory.mktemp("frame"), None, database=database)
    async with running(settings, ProgrammesSettings(budget_frame=FRAME)) as service:
        first = await service.approved()
        second = await service.approved()
        await book(service, first, booking("commitment", "1000000.00"))
        assert not [e for e in await service.emitted() if e.name == "budget-frame-exceeded"]
        await book(service, second, booking("commitment", "500000.00"))
        assert not [e for e in await service.emitted() if e.name == "budget-frame-exceeded"]
        tipping = await book(service, second, booking("commitment", "0.50"))
        await book(service, second, booking("disbursement", "200000.00"))

        (alert,) = [e for e in await service.emitted() if e.name == "budget-frame-exceeded"]
        assert alert.key == second
        assert alert.data["transactionId"] == tipping["transactionId"]
        assert (alert.data["year"], alert.data["budgetLine"], alert.data["oda"]) == (
            YEAR,
            "bho",
            True,
        )
        assert alert.data["budgetHolder"] == "bz"
        assert (alert.data["framedEur"], alert.data["committedEur"], alert.data["excessEur"]) == (
            1_500_000,
            1_500_001,
            1,
        )
        assert alert.data["frameUrl"].endswith(f"/budget-frame/summary?year={YEAR}")

        summary = (
            await service.client.get(
                "/v1/budget-frame/summary", params={"year": YEAR}, headers=service.auth("bz", [])
            )
        ).json()
        (year,) = summary["years"]
        assert year["year"] == YEAR and year["exceeded"]
        assert year["framed"] == "1750000.00"
        assert year["committed"] == "1500000.50"
        assert year["disbursed"] == "200000.00"
        assert year["headroom"] == "249999.50"
        cells = {(c["budgetLine"], c["oda"]): c for c in year["cells"]}
        assert cells[("bho", True)]["headroom"] == "-0.50"
        assert cells[("am", False)]["headroom"] == "250000.00"
        assert Decimal(year["framed"]) - Decimal(year["committed"]) == Decimal(year["headroom"])


async def test_the_default_frame_is_the_seed_s_illustrative_split(service: Service) -> None:
    frame = (await service.client.get("/v1/budget-frame", headers=service.auth("am", []))).json()
    assert frame["illustrative"] is True and frame["currency"] == "EUR"
    in_2029 = [Decimal(c["amount"]) for c in frame["cells"] if c["year"] == 2029]
    assert sum(in_2029) == Decimal(118_000_000)
    holders = {(c["budgetLine"], c["budgetHolder"]) for c in frame["cells"]}
    assert holders == {("bho", "bz"), ("am", "am")}
    everything = (
        await service.client.get("/v1/budget-frame/summary", headers=service.auth("am", []))
    ).json()
    assert [y["year"] for y in everything["years"]][:5] == [2025, 2026, 2027, 2028, 2029]


async def test_a_budget_replaced_as_a_whole(service: Service) -> None:
    programme_id = await service.create()
    path = f"/v1/programmes/{programme_id}/budgets"
    body = budgets_body({"year": YEAR, "budgetLine": "am", "oda": False, "amount": 1250.5})
    response = await service.client.put(path, json=body, headers=service.auth())
    assert response.status_code == 200, response.text
    assert response.json()["budgets"] == [
        {
            "year": YEAR,
            "budgetLine": "am",
            "oda": False,
            "amount": "1250.50",
            "committed": "0.00",
            "disbursed": "0.00",
            "currency": "EUR",
        }
    ]
    cleared = await service.client.put(path, json={"budgets": []}, headers=service.auth())
    assert cleared.json()["budgets"] == [] and cleared.json()["total"] == "0.00"
