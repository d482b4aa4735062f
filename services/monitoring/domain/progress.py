"""Progress against target: per indicator and reporting period, the actual value and its share.

The share of target is the actual value divided by the period's target, to four
decimals, when both are numbers (and the target is not zero); it is a plain
ratio, not the rules' baseline-relative, pro-rated progress.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final
from uuid import UUID

from services.monitoring.domain.plans import Indicator
from services.monitoring.domain.results import IndicatorResult

SHARE_PLACES: Final = Decimal("0.0001")


@dataclass(frozen=True)
class PeriodProgress:
    period_start: date
    period_end: date
    target: Decimal | None
    actual: Decimal | None
    result_id: UUID | None
    share_of_target: Decimal | None


@dataclass(frozen=True)
class IndicatorProgress:
    indicator: Indicator
    periods: tuple[PeriodProgress, ...]


def share_of_target(actual: Decimal | None, target: Decimal | None) -> Decimal | None:
    if actual is None or not target:
        return None
    return (actual / target).quantize(SHARE_PLACES)


def progress(
    plan: Sequence[Indicator], results: Iterable[IndicatorResult]
) -> list[IndicatorProgress]:
    """Each indicator of ``plan`` with its periods in order, against the current results."""
    by_period = {(r.indicator_id, *r.period): r for r in results}
    found = []
    for indicator in plan:
        periods = []
        for target in sorted(indicator.targets, key=lambda t: t.period):
            result = by_period.get((indicator.indicator_id, *target.period))
            actual = None if result is None else result.value
            periods.append(
                PeriodProgress(
                    period_start=target.period_start,
                    period_end=target.period_end,
                    target=target.value,
                    actual=actual,
                    result_id=None if result is None else result.result_id,
                    share_of_target=share_of_target(actual, target.value),
                )
            )
        found.append(IndicatorProgress(indicator, tuple(periods)))
    return found
