"""Monitoring: indicator results and their corrections (incidents and evaluations are in
``test_round_trip.py``).

Results are reported on the plan that ``programme-approved`` brings (the
indicators of ``tests.monitoring.conftest.INDICATORS``), by organisations
``services/monitoring/domain/rights.py`` lets report: the owner, a participating
organisation, or the secretariat.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import strategies as st

from services.monitoring.api.result_models import Correction, ResultValues
from tests.contract.round_trip_support import (
    FEW,
    about_no_one,
    assert_sent,
    edge_text_of,
    examples,
    text_of,
)
from tests.databases import TestDatabases
from tests.monitoring import conftest as monitoring

#: Each indicator of the plan with a target period and the values its measure takes.
PERIODS = [
    (indicator["indicatorId"], target["periodStart"], target["periodEnd"], indicator["measure"])
    for indicator in monitoring.INDICATORS
    for target in indicator["targets"]
]


@pytest.fixture(scope="module")
async def service(
    tmp_path_factory: pytest.TempPathFactory, database: TestDatabases
) -> AsyncIterator[monitoring.Service]:
    var = tmp_path_factory.mktemp("round-trip-monitoring")
    async with monitoring.running(monitoring.settings_for(var, None, database=database)) as started:
        yield started


@st.composite
def values(draw: st.DrawFn, measure: int, start: str, end: str) -> dict[str, Any]:
    """Values of a result or correction: a unit any number, a percentage 0 to 100; measured
    within the period; remarks about no one in person (a personal detail is a 422 by rule)."""
    low, high = ("0", "100") if measure == 2 else ("-9999999999999999", "9999999999999999")
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    body: dict[str, Any] = {
        "value": str(draw(st.decimals(low, high, places=draw(st.integers(0, 4))))),
        "source": draw(edge_text_of(ResultValues, "source")),
        "comment": draw(st.none() | about_no_one(text_of(ResultValues, "comment", longest=400))),
    }
    if draw(st.booleans()):
        measured = first + timedelta(days=draw(st.integers(0, (last - first).days)))
        body["measuredOn"] = measured.isoformat()
    return body


@st.composite
def reports(draw: st.DrawFn) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Who reports, a result, and its correction (with its reason)."""
    indicator, start, end, measure = draw(st.sampled_from(PERIODS))
    result = {
        "indicatorId": indicator,
        "periodStart": start,
        "periodEnd": end,
        **draw(values(measure, start, end)),
    }
    correction = {
        **draw(values(measure, start, end)),
        "reason": draw(about_no_one(text_of(Correction, "reason", longest=300))),
    }
    return draw(st.sampled_from(["am", "kmar", "tf-secretariaat"])), result, correction


async def test_indicator_results_and_corrections_read_back(service: monitoring.Service) -> None:
    for reporter, result, correction in examples(reports(), FEW):
        programme_id = f"prg-rt-{uuid.uuid4().hex[:8]}"
        await monitoring.deliver(service, monitoring.cloud_event(monitoring.approved(programme_id)))
        body = {"programmeId": programme_id, **result}
        headers = service.auth(reporter)
        written = await service.client.post("/v1/indicator-results", json=body, headers=headers)
        assert written.status_code == 201, (body, written.text[:500])
        path = f"/v1/indicator-results/{written.json()['resultId']}"
        read = await service.client.get(path, headers=headers)
        assert read.status_code == 200, read.text[:500]
        assert read.json() == written.json()
        assert_sent(body, read.json(), numbers={"value"})
        assert read.json()["reportedBy"] == reporter

        corrected = await service.client.post(
            f"{path}/corrections", json=correction, headers=headers
        )
        assert corrected.status_code == 201, (correction, corrected.text[:500])
        read = await service.client.get(path, headers=headers)
        assert read.status_code == 200, read.text[:500]
        assert read.json() == corrected.json()
        current = {k: v for k, v in correction.items() if k != "reason"}
        assert_sent(current, read.json(), numbers={"value"})
        first, latest = read.json()["history"]
        # Every version keeps its own values; the first has no reason.
        kept = {
            k: v for k, v in result.items() if k in ("value", "source", "comment", "measuredOn")
        }
        assert_sent(kept | {"reason": None}, first, numbers={"value"})
        assert_sent(correction, latest, numbers={"value"})
