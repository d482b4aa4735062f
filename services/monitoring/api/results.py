"""``/indicator-results``: actual values per indicator and period; corrections keep history."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field
from sqlalchemy import bindparam, select

from services.monitoring.api.common import (
    CONFLICT,
    INDICATOR_ID_PATTERN,
    NOT_FOUND,
    Context,
    IndicatorValue,
    ProgrammeFilter,
    Runtime,
    Writer,
)
from services.monitoring.api.readers import Viewer, programmes_of
from services.monitoring.api.result_views import (
    ResultOut,
    own_texts,
    result_seen_by,
    result_view,
)
from services.monitoring.api.result_views import decimal_of as _decimal
from services.monitoring.context import MonitoringContext
from services.monitoring.domain.plans import Indicator, value_violations
from services.monitoring.domain.rights import Evidence as ReportedEvidence
from services.monitoring.domain.rules import IndicatorFacts, PeriodResult
from services.monitoring.flags import check_reporter, raise_flags
from services.monitoring.storage import programmes
from services.monitoring.storage.programmes import ProgrammeView
from services.monitoring.storage.tables import IndicatorResultRevisionRow, IndicatorResultRow
from shared.contracts.monitoring import IndicatorResultRecorded
from shared.contracts.vocabulary import PROGRAMME_ID_PATTERN
from shared.db import fetch_page
from shared.errors import Conflict, NotFound, Violation, raise_if
from shared.http.models import InputModel, Text
from shared.http.pagination import Page, PageParams, page_params
from shared.personal_data import refusals
from shared.unit_of_work import UnitOfWork

router = APIRouter(prefix="/indicator-results", tags=["Indicator results"])

ResultIdPath = Annotated[UUID, Path(alias="resultId", description="The result.")]


class ResultValues(InputModel):
    value: IndicatorValue | None = Field(
        default=None, description="The actual value; absent for a qualitative indicator."
    )
    qualitative_value: Text | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="For a qualitative indicator: the result in words, about no one in person "
        "(refused when it carries a date of birth, an address, a phone or identifying number "
        "or an e-mail address).",
    )
    measured_on: date | None = Field(
        default=None,
        description="When the value was measured, within the period; defaults to the period's "
        "end or today, whichever is earlier. Targets are pro-rated to it.",
    )
    comment: Text | None = Field(
        default=None,
        min_length=1,
        max_length=1000,
        description="A remark on the value, about no one in person (refused like "
        "`qualitativeValue`).",
    )
    source: Text = Field(
        min_length=1, max_length=200, description="Where the value comes from, e.g. a report."
    )

    def free_texts(self) -> dict[str, str | None]:
        """The texts that must be about no one in person, by field."""
        return {"qualitativeValue": self.qualitative_value, "comment": self.comment}


class NewResult(ResultValues):
    programme_id: str = Field(pattern=PROGRAMME_ID_PATTERN)
    indicator_id: str = Field(pattern=INDICATOR_ID_PATTERN)
    period_start: date
    period_end: date


class Correction(ResultValues):
    reason: Text = Field(
        min_length=1,
        max_length=500,
        description="Why the value was corrected, about no one in person (refused like "
        "`qualitativeValue`).",
    )

    def free_texts(self) -> dict[str, str | None]:
        return {**super().free_texts(), "reason": self.reason}


def _values_violations(
    ctx: MonitoringContext,
    indicator: Indicator,
    period: tuple[date, date],
    body: ResultValues,
) -> tuple[list[Violation], date]:
    found = value_violations(indicator.measure, body.value, body.qualitative_value)
    found += refusals(body.free_texts(), Violation)
    measured_on = body.measured_on or min(period[1], ctx.today())
    if measured_on > ctx.today():
        found.append(Violation("measuredOn", "is in the future"))
    elif not period[0] <= measured_on <= period[1]:
        found.append(Violation("measuredOn", "is outside the period"))
    return found, measured_on


async def _write_version(
    uow: UnitOfWork,
    ctx: MonitoringContext,
    row: IndicatorResultRow,
    body: ResultValues,
    measured_on: date,
    reporter: str,
    reason: str | None,
) -> IndicatorResultRevisionRow:
    """Make ``body`` the row's current values and keep them as its revision ``row.revision``."""
    row.value = None if body.value is None else str(body.value)
    row.qualitative_value = body.qualitative_value
    row.measured_on = measured_on
    row.comment = body.comment
    row.source = body.source
    row.reported_by = reporter
    row.recorded_at = ctx.now()
    version = IndicatorResultRevisionRow(
        result_id=row.result_id,
        revision=row.revision,
        value=row.value,
        qualitative_value=row.qualitative_value,
        measured_on=measured_on,
        comment=row.comment,
        source=row.source,
        reported_by=reporter,
        recorded_at=row.recorded_at,
        reason=reason,
    )
    uow.session.add(version)
    await uow.session.flush()
    return version


async def _assess(
    uow: UnitOfWork,
    ctx: MonitoringContext,
    programme: ProgrammeView,
    indicator: Indicator,
    row: IndicatorResultRow,
    previous: Decimal | None,
    rows: Sequence[IndicatorResultRow],
) -> None:
    """Announce the result, then run the indicator rules on ``rows``, all the indicator's results.

    ``rows`` includes ``row`` with its new values.
    """
    await uow.emit(
        IndicatorResultRecorded(
            **programme.routing(),
            result_id=row.result_id,
            result_url=ctx.links.result(row.result_id),
            indicator_id=indicator.indicator_id,
            period_start=row.period_start,
            period_end=row.period_end,
            value=None if row.value is None else float(row.value),
            previous_value=None if previous is None else float(previous),
            direction=indicator.direction,
            revision=row.revision,
        )
    )
    facts = IndicatorFacts(
        indicator,
        tuple(
            PeriodResult(
                str(r.result_id), r.period_start, r.period_end, _decimal(r.value), r.measured_on
            )
            for r in rows
        ),
        (row.period_start, row.period_end),
    )
    for rule in (ctx.rules.counterproductive, ctx.rules.underperforming):
        await raise_flags(uow, ctx, programme, rule, rule(facts))


async def _indicator_results(
    uow: UnitOfWork, programme_id: str, indicator_id: str
) -> list[IndicatorResultRow]:
    """Every current result of the indicator, one per period (in no particular order)."""
    rows = await uow.session.scalars(
        _RESULTS_OF_INDICATOR, {"programme_id": programme_id, "indicator_id": indicator_id}
    )
    return list(rows)


#: Built once: a statement built per request costs its construction and cache key each time.
_RESULTS_OF_INDICATOR = select(IndicatorResultRow).where(
    IndicatorResultRow.programme_id == bindparam("programme_id"),
    IndicatorResultRow.indicator_id == bindparam("indicator_id"),
)


def _result_for(
    rows: Iterable[IndicatorResultRow], period: tuple[date, date]
) -> IndicatorResultRow | None:
    return next((r for r in rows if (r.period_start, r.period_end) == period), None)


def _previous_value(
    indicator: Indicator, period: tuple[date, date], rows: Iterable[IndicatorResultRow]
) -> Decimal | None:
    """The value reported for the period before ``period``, if any."""
    periods = indicator.periods()
    at = periods.index(period)
    if at == 0:
        return None
    earlier = _result_for(rows, periods[at - 1])
    return None if earlier is None else _decimal(earlier.value)


@router.post(
    "",
    operation_id="recordIndicatorResult",
    summary="Record an indicator's actual value for one of its periods; the rules run on it",
    status_code=201,
    responses=CONFLICT,
)
async def record_result(
    body: NewResult, caller: Writer, runtime: Runtime, ctx: Context
) -> ResultOut:
    period = (body.period_start, body.period_end)
    async with runtime.unit_of_work() as uow:
        programme, indicator = await programmes.with_indicator(
            uow.session, body.programme_id, body.indicator_id
        )
        if programme is None or programme.plan_revision == 0:
            raise_if([Violation("programmeId", "no monitoring plan for this programme")])
        assert programme is not None
        check_reporter(programme, caller.organisation, ReportedEvidence.INDICATOR_RESULT)
        if indicator is None:
            raise_if([Violation("indicatorId", "not an indicator of the programme's plan")])
        assert indicator is not None
        violations: list[Violation] = []
        if period not in indicator.periods():
            reason = "not a reporting period of the indicator (see its targets)"
            violations += [Violation("periodStart", reason), Violation("periodEnd", reason)]
            raise_if(
                violations + value_violations(indicator.measure, body.value, body.qualitative_value)
            )
        found, measured_on = _values_violations(ctx, indicator, period, body)
        raise_if(found)
        # Read once: the conflict check, the previous value and the rules all need these rows.
        rows = await _indicator_results(uow, body.programme_id, body.indicator_id)
        existing = _result_for(rows, period)
        if existing is not None:
            raise Conflict(
                "The period has a result already; correct it at "
                f"{ctx.links.result(existing.result_id)}/corrections."
            )
        row = IndicatorResultRow(
            result_id=uuid.uuid4(),
            programme_id=body.programme_id,
            indicator_id=body.indicator_id,
            period_start=body.period_start,
            period_end=body.period_end,
            revision=1,
        )
        uow.session.add(row)
        version = await _write_version(uow, ctx, row, body, measured_on, caller.organisation, None)
        previous = _previous_value(indicator, period, rows)
        await _assess(uow, ctx, programme, indicator, row, previous, [*rows, row])
        # A new result has exactly the one version just written, the caller's own.
        return result_view(row, [version], own_texts)


@router.post(
    "/{resultId}/corrections",
    operation_id="correctIndicatorResult",
    summary="Correct a result: a new version, the earlier ones kept; the rules run again",
    status_code=201,
    responses=NOT_FOUND,
)
async def correct_result(
    result_id: ResultIdPath,
    body: Correction,
    caller: Writer,
    viewer: Viewer,
    runtime: Runtime,
    ctx: Context,
) -> ResultOut:
    async with runtime.unit_of_work() as uow:
        row = await uow.session.get(IndicatorResultRow, result_id)
        if row is None:
            raise NotFound(f"No indicator result {result_id}.")
        programme = await programmes.get(uow.session, row.programme_id)
        indicator = await programmes.indicator(uow.session, row.programme_id, row.indicator_id)
        if programme is None or indicator is None:
            raise Conflict("The indicator is no longer in the programme's plan.")
        check_reporter(programme, caller.organisation, ReportedEvidence.RESULT_CORRECTION)
        period = (row.period_start, row.period_end)
        found, measured_on = _values_violations(ctx, indicator, period, body)
        raise_if(found)
        previous = _decimal(row.value)
        row.revision += 1
        await _write_version(uow, ctx, row, body, measured_on, caller.organisation, body.reason)
        rows = await _indicator_results(uow, row.programme_id, row.indicator_id)
        await _assess(uow, ctx, programme, indicator, row, previous, rows)
        # The history holds earlier reporters' texts: shown only as the caller may read them.
        return await result_seen_by(uow, viewer, row, programme)


@router.get("", operation_id="listIndicatorResults", summary="Indicator results, newest first")
async def list_results(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    paging: Annotated[PageParams, Depends(page_params)],
    programme_id: ProgrammeFilter = None,
    indicator_id: Annotated[
        str | None, Query(alias="indicatorId", pattern=INDICATOR_ID_PATTERN)
    ] = None,
) -> Page[ResultOut]:
    query = select(IndicatorResultRow)
    if programme_id is not None:
        query = query.where(IndicatorResultRow.programme_id == programme_id)
    if indicator_id is not None:
        query = query.where(IndicatorResultRow.indicator_id == indicator_id)
    async with runtime.unit_of_work() as uow:
        rows, total = await fetch_page(
            uow.session,
            query,
            IndicatorResultRow.period_start.desc(),
            IndicatorResultRow.indicator_id,
            offset=paging.offset,
            limit=paging.page_size,
        )
        known = await programmes_of(uow.session, (r.programme_id for r in rows))
        items = [await result_seen_by(uow, viewer, r, known.get(r.programme_id)) for r in rows]
    return Page[ResultOut].of(items, total=total, params=paging, request=request)


@router.get(
    "/{resultId}",
    operation_id="getIndicatorResult",
    summary="One result with its history",
    responses=NOT_FOUND,
)
async def get_result(result_id: ResultIdPath, viewer: Viewer, runtime: Runtime) -> ResultOut:
    async with runtime.unit_of_work() as uow:
        row = await uow.session.get(IndicatorResultRow, result_id)
        if row is None:
            raise NotFound(f"No indicator result {result_id}.")
        programme = await programmes.get(uow.session, row.programme_id)
        return await result_seen_by(uow, viewer, row, programme)
