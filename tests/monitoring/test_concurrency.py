"""Concurrent results on PostgreSQL: no flag is missed and none is raised twice.

The first result's transaction runs up to its flags and is held open (an
``asyncio.Event``) while the second starts. On SQLite the second waits for the
first (one writer, and the process's write gate), so the tests are serial
there; on PostgreSQL they pass because both use cases lock the indicator's row
in the plan before reading its results (``programmes.indicator(...,
for_update=True)`` in ``services.monitoring.service_layer.results``). Without
that lock:

- two periods reported at once each see only their own result, and the run of
  two underperforming periods is never flagged (``test_two_periods_...`` fails);
- two corrections at once both find the result at version 1 and the flag not
  raised yet: the second's flag and version collide with the first's and it
  fails (``test_two_corrections_...``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

from services.monitoring.api.result_models import Correction, NewResult
from services.monitoring.context import MonitoringContext
from services.monitoring.service_layer.commands import CorrectResult, RecordResult
from services.monitoring.service_layer.results import correct_result, record_result
from shared.consumer import Outcome
from shared.unit_of_work import UnitOfWork
from tests.monitoring.conftest import (
    YEAR,
    Service,
    approved,
    cloud_event,
    deliver,
    result_body,
)

Step = Callable[[UnitOfWork, MonitoringContext], Awaitable[object]]


async def race(service: Service, first: Step, second: Step) -> None:
    """``first`` done and held uncommitted while ``second`` starts; then both commit."""
    ctx: MonitoringContext = service.app.state.context
    decided, release = asyncio.Event(), asyncio.Event()

    async def held() -> None:
        async with service.runtime.unit_of_work() as uow:
            await first(uow, ctx)
            decided.set()
            await release.wait()

    async def then() -> None:
        async with service.runtime.unit_of_work() as uow:
            await second(uow, ctx)

    holding = asyncio.create_task(held())
    waiting = asyncio.create_task(decided.wait())
    await asyncio.wait([holding, waiting], return_when=asyncio.FIRST_COMPLETED)
    if holding.done():
        waiting.cancel()
        holding.result()  # ``first`` failed: its error, not a wait for ever
    following = asyncio.create_task(then())
    await asyncio.sleep(0.5)
    release.set()
    await asyncio.gather(holding, following)


async def planned(service: Service) -> str:
    programme_id = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    assert await deliver(service, cloud_event(approved(programme_id))) is Outcome.HANDLED
    return programme_id


def recording(programme_id: str, year: int, value: str) -> RecordResult:
    body = NewResult.model_validate(
        result_body(programme_id, value, periodStart=f"{year}-01-01", periodEnd=f"{year}-12-31")
    )
    return RecordResult(
        programme_id=body.programme_id,
        indicator_id=body.indicator_id,
        period_start=body.period_start,
        period_end=body.period_end,
        values=body.reported(),
        reporter=Service.reporter,
    )


def correcting(result_id: str, value: str) -> CorrectResult:
    body = Correction.model_validate(
        {"value": value, "source": "Audited report", "reason": "Audit corrected the count."}
    )
    return CorrectResult(uuid.UUID(result_id), body.reported(), body.reason, Service.reporter)


async def test_two_periods_reported_at_once_flag_the_run_they_make(service: Service) -> None:
    """Each alone is one period below target; together they are two consecutive ones."""
    programme_id = await planned(service)
    earlier, later = (
        recording(programme_id, YEAR - 2, "11"),
        recording(programme_id, YEAR - 1, "11"),
    )

    await race(
        service,
        lambda uow, ctx: record_result(earlier, uow, ctx),
        lambda uow, ctx: record_result(later, uow, ctx),
    )

    flagged = [e for e in await service.emitted(programme_id) if e.name == "programme-flagged"]
    assert [f.data["ruleId"] for f in flagged] == ["underperforming-consecutive-periods"]
    assert len(flagged[0].data["evidence"]) == 2


async def test_two_corrections_at_once_number_their_versions_and_flag_once(
    service: Service,
) -> None:
    programme_id = await planned(service)
    created = await service.post("/indicator-results", result_body(programme_id, "12"))
    assert created.status_code == 201, created.text
    result_id = created.json()["resultId"]
    one, other = correcting(result_id, "9"), correcting(result_id, "8")

    await race(
        service,
        lambda uow, ctx: correct_result(one, uow, ctx),
        lambda uow, ctx: correct_result(other, uow, ctx),
    )

    shown = (await service.get(f"/indicator-results/{result_id}")).json()
    assert shown["revision"] == 3
    assert [v["value"] for v in shown["history"]] == ["12", "9", "8"]
    flagged = [e for e in await service.emitted(programme_id) if e.name == "programme-flagged"]
    assert [f.data["ruleId"] for f in flagged] == ["counterproductive-latest-period"]


async def test_many_results_at_once_each_get_their_period(service: Service) -> None:
    """Through the API at once: one result per period, the second for a period refused."""
    programme_id = await planned(service)
    bodies = [result_body(programme_id, "25"), result_body(programme_id, "26")]
    responses = await asyncio.gather(*(service.post("/indicator-results", b) for b in bodies))
    assert sorted(r.status_code for r in responses) == [201, 409]
