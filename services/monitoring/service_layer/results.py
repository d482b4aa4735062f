"""Indicator results: recording one per period, correcting it, reading them back.

Recording or correcting a result announces it (``indicator-result-recorded``),
then runs every rule that reads indicator results on all the indicator's
current results; each finding not flagged before raises a flag.

Concurrency: both use cases first lock the indicator's row in the plan
(``SELECT ... FOR UPDATE`` on ``plan_indicator``, a no-op on SQLite, which has
one writer), then read the indicator's results. Two results for the same
indicator are so judged one after the other, and under READ COMMITTED the
second reads the first once it has committed: a rule over several periods
(``underperforming-consecutive-periods``) sees both, so no flag is missed; the
"flagged before?" check sees the first's flags, so none is raised twice; and a
correction numbers its version after the one committed before it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from services.monitoring import events
from services.monitoring.context import MonitoringContext
from services.monitoring.domain.plans import Indicator
from services.monitoring.domain.programmes import Programme
from services.monitoring.domain.results import (
    IndicatorResult,
    ResultRecord,
    ResultVersion,
    period_violations,
    previous_value,
    result_for,
    values_violations,
)
from services.monitoring.domain.rights import Evidence, check_reporter
from services.monitoring.domain.rules import IndicatorFacts
from services.monitoring.service_layer.commands import CorrectResult, RecordResult, ResultQuery
from services.monitoring.service_layer.flags import raise_flags
from services.monitoring.service_layer.reading import Listing, Read, read_one, read_page
from services.monitoring.storage import programmes, results
from shared.errors import Conflict, NotFound, Violation, invalid, raise_if
from shared.unit_of_work import UnitOfWork


async def record_result(
    command: RecordResult, uow: UnitOfWork, ctx: MonitoringContext
) -> ResultRecord:
    """Record the indicator's value for one of its periods; a period has one result."""
    period = (command.period_start, command.period_end)
    programme, indicator = await programmes.with_indicator(
        uow.session, command.programme_id, command.indicator_id
    )
    if programme is None or not programme.planned:
        invalid([Violation("programmeId", "no monitoring plan for this programme")])
    check_reporter(Evidence.INDICATOR_RESULT, programme, command.reporter)
    if indicator is None:
        invalid([Violation("indicatorId", "not an indicator of the programme's plan")])
    raise_if(period_violations(indicator, period, command.values))
    found, measured_on = values_violations(indicator, period, command.values, ctx.today())
    raise_if(found)
    # The indicator's lock, then its results: concurrent results for it are judged in turn.
    indicator = await programmes.indicator(
        uow.session, command.programme_id, command.indicator_id, for_update=True
    )
    if indicator is None:
        invalid([Violation("indicatorId", "not an indicator of the programme's plan")])
    # Read once: the conflict check, the previous value and the rules all need these.
    earlier = await results.of_indicator(uow.session, command.programme_id, command.indicator_id)
    existing = result_for(earlier, period)
    if existing is not None:
        raise Conflict(
            "The period has a result already; correct it at "
            f"{ctx.links.corrections(existing.result_id)}."
        )
    version = ResultVersion.reported(
        1, command.values, measured_on, reporter=command.reporter, at=ctx.now()
    )
    result = IndicatorResult.first_reported(
        uuid.uuid4(), command.programme_id, command.indicator_id, period, version
    )
    await results.add(uow.session, result)
    previous = previous_value(indicator, period, earlier)
    await _assess(uow, ctx, programme, indicator, result, previous, [*earlier, result])
    # A new result has exactly the one version just written, the caller's own.
    return ResultRecord(result, (version,))


async def correct_result(
    command: CorrectResult, uow: UnitOfWork, ctx: MonitoringContext
) -> Read[ResultRecord]:
    """A new version of the result, the earlier ones kept; the rules run again."""
    first_read = await results.get(uow.session, command.result_id)
    if first_read is None:
        raise NotFound(f"No indicator result {command.result_id}.")
    # The indicator's lock, then the result again: its version is the latest committed.
    indicator = await programmes.indicator(
        uow.session, first_read.programme_id, first_read.indicator_id, for_update=True
    )
    held = await results.get(uow.session, command.result_id, fresh=True) or first_read
    programme = await programmes.get(uow.session, held.programme_id)
    if programme is None or indicator is None:
        raise Conflict("The indicator is no longer in the programme's plan.")
    check_reporter(Evidence.RESULT_CORRECTION, programme, command.reporter)
    found, measured_on = values_violations(
        indicator, held.period, command.values, ctx.today(), command.reason
    )
    raise_if(found)
    result = held.corrected(
        command.values,
        measured_on,
        reporter=command.reporter,
        at=ctx.now(),
        reason=command.reason,
    )
    await results.correct(uow.session, result)
    current = await results.of_indicator(uow.session, result.programme_id, result.indicator_id)
    await _assess(uow, ctx, programme, indicator, result, held.value, current)
    # The history holds earlier reporters' texts: the caller is shown them as it may read them.
    return Read(await _with_history(uow, result), programme)


async def _assess(
    uow: UnitOfWork,
    ctx: MonitoringContext,
    programme: Programme,
    indicator: Indicator,
    result: IndicatorResult,
    previous: Decimal | None,
    current: Sequence[IndicatorResult],
) -> None:
    """Announce the result, then run the indicator rules on ``current``, all its results.

    ``current`` includes ``result`` with its new values.
    """
    await uow.emit(
        events.indicator_result_recorded(programme, indicator, result, previous, ctx.links)
    )
    facts = IndicatorFacts(indicator, tuple(r.for_rules() for r in current), result.period)
    await raise_flags(uow, ctx, programme, ctx.rules.findings(facts))


async def get_result(result_id: UUID, uow: UnitOfWork) -> Read[ResultRecord]:
    """The result with its history, and its programme."""
    result = await results.get(uow.session, result_id)
    record = None if result is None else await _with_history(uow, result)
    return await read_one(uow.session, record, f"No indicator result {result_id}.")


async def list_results(query: ResultQuery, uow: UnitOfWork) -> Listing[Read[ResultRecord]]:
    """A page of results, latest period first, each with its history and its programme."""
    window = query.window
    found, total = await results.page(
        uow.session, query.programme_id, query.indicator_id, window.offset, window.limit
    )
    return await read_page(uow.session, ([await _with_history(uow, r) for r in found], total))


async def _with_history(uow: UnitOfWork, result: IndicatorResult) -> ResultRecord:
    return ResultRecord(result, await results.history(uow.session, result.result_id))
