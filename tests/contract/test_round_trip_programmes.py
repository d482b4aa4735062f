"""Programmes: budgets, commitments and disbursements, results frameworks, the lifecycle and
review decisions.

Every write comes from the owning ministry (``am``, which registered the
programmes), the only organisation ``services/programmes/domain/rights.py`` lets
change them. After each one the programme's IATI activity must still be written,
since budgets, transactions and indicators are part of it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import strategies as st
from lxml import etree

from services.programmes.api.money_models import OverrideIn, TransactionIn
from services.programmes.api.programme_models import StatusTransitionIn
from services.programmes.api.results import BaselineModel, IndicatorModel
from services.programmes.api.reviews import DecisionIn
from services.programmes.domain.lifecycle import TRANSITIONS
from shared.contracts.vocabulary import ActivityStatus
from tests.contract.round_trip_support import (
    FEW,
    about_no_one,
    assert_sent,
    cents,
    edge_text_of,
    examples,
    int_bounds,
    text,
    text_of,
)
from tests.databases import TestDatabases
from tests.programmes import conftest as programmes
from tests.programmes.conftest import DECIDE, WRITE, YEAR

TODAY = datetime.now(UTC).date()
#: The cells of ``budgets_body()`` that an approved programme has: (year, line, ODA).
CELLS = [(YEAR, "bho", True), (YEAR + 1, "bho", True), (YEAR + 1, "am", False)]


@pytest.fixture(scope="module")
async def service(
    tmp_path_factory: pytest.TempPathFactory, database: TestDatabases
) -> AsyncIterator[programmes.Service]:
    var = tmp_path_factory.mktemp("round-trip-programmes")
    async with programmes.running(programmes.settings_for(var, None, database=database)) as started:
        yield started


async def exported(service: programmes.Service, programme_id: str) -> None:
    """The programme's IATI activity is still written, and is one activity."""
    export = await service.client.get(f"/v1/programmes/{programme_id}/iati", headers=service.auth())
    assert export.status_code == 200, export.text[:500]
    assert len(etree.fromstring(export.content).findall("iati-activity")) == 1


# --- budgets ----------------------------------------------------------------------


#: Every cell a budget may have in the programme's planned period (its years).
_KEYS = [
    (y, line, oda)
    for y in (YEAR, YEAR + 1, YEAR + 2)
    for line in ("bho", "am")
    for oda in (True, False)
]


budgets = st.lists(st.sampled_from(_KEYS), unique=True, max_size=len(_KEYS)).flatmap(
    lambda keys: st.tuples(*[cents("0.01", "999999999999.99") for _ in keys]).map(
        lambda amounts: {
            "budgets": [
                {"year": y, "budgetLine": line, "oda": oda, "amount": amount}
                for (y, line, oda), amount in zip(keys, amounts, strict=True)
            ]
        }
    )
)


async def test_budgets_read_back(service: programmes.Service) -> None:
    programme_id = await service.create()
    path = f"/v1/programmes/{programme_id}/budgets"
    for body in examples(budgets, FEW):
        written = await service.client.put(path, json=body, headers=service.auth())
        assert written.status_code == 200, (body, written.text[:500])
        read = await service.client.get(path, headers=service.auth())
        assert read.status_code == 200
        assert read.json() == written.json()
        # Read back in cell order: by year, budget line, ODA before non-ODA.
        cells = sorted(body["budgets"], key=lambda b: (b["year"], b["budgetLine"], not b["oda"]))
        assert_sent({"budgets": cells}, read.json(), numbers={"amount"})
        await exported(service, programme_id)


# --- commitments and disbursements ------------------------------------------------


@st.composite
def transactions(draw: st.DrawFn) -> dict[str, Any]:
    """A booking on one of the budget's cells; beyond its budget only with an override.

    Without an override the amounts stay small, so the fifteen bookings together never
    exceed a cell (that is refused by the domain rule, with a 422 naming `amount`).
    """
    year, line, oda = draw(st.sampled_from(CELLS))
    override = draw(st.booleans())
    body: dict[str, Any] = {
        "type": draw(st.sampled_from(["commitment", "disbursement"])),
        "transactionDate": (
            date(year, 1, 1) + timedelta(days=draw(st.integers(0, 364)))
        ).isoformat(),
        "budgetLine": line,
        "oda": oda,
        "amount": draw(cents("0.01", "999999999999.99" if override else "20000.00")),
        "description": draw(st.none() | edge_text_of(TransactionIn, "description")),
    }
    if override:
        body["override"] = {"reason": draw(text_of(OverrideIn, "reason", longest=400))}
    return body


async def test_transactions_read_back(service: programmes.Service) -> None:
    programme_id = await service.approved()
    path = f"/v1/programmes/{programme_id}/transactions"
    for body in examples(transactions(), FEW):
        written = await service.client.post(path, json=body, headers=service.auth())
        assert written.status_code == 201, (body, written.text[:500])
        read = await service.client.get(path, headers=service.auth())
        assert read.status_code == 200
        [found] = [
            t for t in read.json()["items"] if t["transactionId"] == written.json()["transactionId"]
        ]
        assert found == written.json()
        assert_sent(body, found, numbers={"amount"})
        assert found["recordedBy"] == "am"
    # The cells' bookings add up past what one amount may be, and still read back.
    budget = await service.client.get(
        f"/v1/programmes/{programme_id}/budgets", headers=service.auth()
    )
    assert budget.status_code == 200, budget.text[:500]
    booked = (await service.client.get(path, headers=service.auth())).json()["items"]
    for cell in budget.json()["budgets"]:
        for kind, field in (("commitment", "committed"), ("disbursement", "disbursed")):
            amounts = [
                Decimal(t["amount"])
                for t in booked
                if (t["type"], t["year"], t["budgetLine"], t["oda"])
                == (kind, cell["year"], cell["budgetLine"], cell["oda"])
            ]
            assert Decimal(cell[field]) == sum(amounts, Decimal(0))
    await exported(service, programme_id)


# --- results framework ------------------------------------------------------------

_MEASURES = ["unit", "percentage", "nominal", "ordinal", "qualitative"]


@st.composite
def indicators(draw: st.DrawFn, indicator_id: str) -> dict[str, Any]:
    """An indicator: targets in periods that do not overlap, a baseline no later than them."""
    measure = draw(st.sampled_from(_MEASURES))
    high = "100" if measure == "percentage" else "9999999999999999"
    low = "0" if measure == "percentage" else "-9999999999999999"
    value: st.SearchStrategy[str | None] = (
        st.none() if measure == "qualitative" else st.decimals(low, high, places=4).map(str)
    )
    start = date(YEAR - 2, 1, 1) + timedelta(days=draw(st.integers(0, 700)))
    targets: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(0, 4))):
        end = start + timedelta(days=draw(st.integers(0, 400)))
        targets.append(
            {"periodStart": start.isoformat(), "periodEnd": end.isoformat(), "value": draw(value)}
        )
        start = end + timedelta(days=draw(st.integers(1, 30)))
    first = int(targets[0]["periodStart"][:4]) if targets else YEAR
    body: dict[str, Any] = {
        "indicatorId": indicator_id,
        "title": draw(edge_text_of(IndicatorModel, "title")),
        "description": draw(st.none() | text_of(IndicatorModel, "description", longest=500)),
        "resultType": draw(st.sampled_from(["output", "outcome", "impact"])),
        "measure": measure,
        "ascending": draw(st.booleans()),
        "targets": targets,
    }
    if draw(st.booleans()):
        # Any year the model allows up to the first target's (the rule across fields).
        lowest = int_bounds(BaselineModel, "year")[0]
        body["baseline"] = {"year": draw(st.integers(lowest, first)), "value": draw(value)}
    return body


frameworks = st.lists(
    st.from_regex(r"[a-z0-9][a-z0-9-]{0,63}", fullmatch=True), unique=True, max_size=4
).flatmap(
    lambda ids: st.tuples(*[indicators(i) for i in ids]).map(lambda i: {"indicators": list(i)})
)


async def test_results_frameworks_read_back(service: programmes.Service) -> None:
    programme_id = await service.create()
    path = f"/v1/programmes/{programme_id}/results-framework"
    for revision, body in enumerate(examples(frameworks, FEW), start=1):
        written = await service.client.put(path, json=body, headers=service.auth())
        assert written.status_code == 200, (body, written.text[:500])
        read = await service.client.get(path, headers=service.auth())
        assert read.status_code == 200
        assert read.json() == written.json()
        assert read.json()["revision"] == revision
        assert_sent(body, read.json(), numbers={"value"})
        await exported(service, programme_id)


# --- the lifecycle ----------------------------------------------------------------


@st.composite
def lifecycles(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Moves along the lifecycle from the pipeline, dated in order and not in the future."""
    status, on = ActivityStatus.PIPELINE, TODAY - timedelta(days=draw(st.integers(0, 400)))
    moves: list[dict[str, Any]] = []
    while TRANSITIONS[status] and len(moves) < draw(st.integers(1, 4)):
        status = draw(st.sampled_from(sorted(TRANSITIONS[status])))
        on = min(TODAY, on + timedelta(days=draw(st.integers(0, 60))))
        move = {
            "status": int(status),
            "reason": draw(text_of(StatusTransitionIn, "reason", longest=500)),
        }
        if draw(st.booleans()):
            move["effectiveOn"] = on.isoformat()
        else:
            on = TODAY  # the service dates it today; later moves cannot be dated before
        moves.append(move)
    return moves


async def test_status_transitions_read_back(service: programmes.Service) -> None:
    for moves in examples(lifecycles(), FEW):
        programme_id = await service.create()
        base = f"/v1/programmes/{programme_id}"
        # Approval needs a budget and a results framework.
        await service.client.put(
            f"{base}/budgets", json=programmes.budgets_body(), headers=service.auth()
        )
        await service.client.put(
            f"{base}/results-framework", json=programmes.framework_body(), headers=service.auth()
        )
        for move in moves:
            written = await service.client.post(
                f"{base}/status-transitions", json=move, headers=service.auth()
            )
            assert written.status_code == 201, (moves, written.text[:500])
            read = await service.client.get(f"{base}/status-transitions", headers=service.auth())
            assert read.status_code == 200
            last = read.json()["items"][-1]
            assert last == written.json()
            assert (last["toStatus"], last["reason"], last["changedBy"]) == (
                move["status"],
                move["reason"],
                "am",
            )
            assert last["effectiveOn"] == move.get("effectiveOn", TODAY.isoformat())
        programme = await service.client.get(base, headers=service.auth())
        assert programme.json()["status"] == moves[-1]["status"]
        await exported(service, programme_id)


# --- review decisions -------------------------------------------------------------


@st.composite
def decisions(draw: st.DrawFn) -> dict[str, Any]:
    """A decision as the rules have it: changes only for adapt, a termination status only for
    terminate; its texts about no one in person (a personal detail is a 422 by that rule)."""
    decision = draw(st.sampled_from(["continue", "adapt", "suspend", "terminate"]))
    body: dict[str, Any] = {
        "decision": decision,
        "rationale": draw(about_no_one(text_of(DecisionIn, "rationale", longest=600))),
    }
    if decision == "adapt":
        body["changes"] = draw(st.lists(about_no_one(text(1, 500)), min_size=1, max_size=3))
    if decision == "terminate":
        body["terminationStatus"] = draw(st.sampled_from([3, 5]))
    return body


async def test_review_decisions_read_back(service: programmes.Service) -> None:
    deciding = service.auth(scopes=[WRITE, DECIDE])
    for body in examples(decisions(), FEW):
        programme_id = await service.approved()
        await programmes.deliver(service, programmes.cloud_event(programmes.flagged(programme_id)))
        base = f"/v1/programmes/{programme_id}/reviews"
        [review] = (await service.client.get(base, headers=deciding)).json()["items"]
        path = f"{base}/{review['reviewId']}"
        written = await service.client.post(f"{path}/decision", json=body, headers=deciding)
        assert written.status_code == 201, (body, written.text[:500])
        read = await service.client.get(path, headers=deciding)
        assert read.status_code == 200
        assert read.json() == written.json()
        # The termination status reads back as the resulting status.
        decided = read.json()["decision"]
        assert_sent({k: v for k, v in body.items() if k != "terminationStatus"}, decided)
        assert decided["resultingStatus"] == body.get(
            "terminationStatus", decided["resultingStatus"]
        )
        assert read.json()["decision"]["decidedBy"] == "am"
        moved = (
            await service.client.get(
                f"/v1/programmes/{programme_id}/status-transitions", headers=deciding
            )
        ).json()["items"][-1]
        if read.json()["decision"]["resultingStatus"] is not None:
            assert moved["toStatus"] == read.json()["decision"]["resultingStatus"]
            assert moved["reason"].endswith(body["rationale"])
        await exported(service, programme_id)
