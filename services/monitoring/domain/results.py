"""Indicator results: one per indicator and reporting period, corrected without losing history.

A result is recorded once for its period (a second one is a conflict: correct
the first). A correction is a new version; every version stays, with who
reported it, when, and why it was corrected. The current version is what the
rules read.

The values must be of the kind the indicator's measure takes
(:func:`~services.monitoring.domain.plans.value_violations`), its texts about
no one in person (:mod:`shared.personal_data`), and the date it was measured
within the period and not in the future; targets are pro-rated to that date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from services.monitoring.domain.plans import Indicator, value_violations
from services.monitoring.domain.rules import PeriodResult
from shared.errors import Violation
from shared.personal_data import refusals

Period = tuple[date, date]


@dataclass(frozen=True)
class ReportedValues:
    """What a reporter says of a period: the value (a number or words) and where it is from."""

    value: Decimal | None
    qualitative_value: str | None
    measured_on: date | None
    comment: str | None
    source: str

    def free_texts(self) -> dict[str, str | None]:
        """The texts that must be about no one in person, by field."""
        return {"qualitativeValue": self.qualitative_value, "comment": self.comment}


@dataclass(frozen=True)
class ResultVersion:
    """One version of a result as it was reported (``reason``: why it corrected the one before)."""

    revision: int
    value: Decimal | None
    qualitative_value: str | None
    measured_on: date
    comment: str | None
    source: str
    reported_by: str
    recorded_at: datetime
    reason: str | None = None

    @classmethod
    def reported(
        cls,
        revision: int,
        values: ReportedValues,
        measured_on: date,
        *,
        reporter: str,
        at: datetime,
        reason: str | None = None,
    ) -> ResultVersion:
        return cls(
            revision=revision,
            value=values.value,
            qualitative_value=values.qualitative_value,
            measured_on=measured_on,
            comment=values.comment,
            source=values.source,
            reported_by=reporter,
            recorded_at=at,
            reason=reason,
        )


@dataclass(frozen=True)
class IndicatorResult:
    """A result with its current version (the history is kept beside it, see ``ResultRecord``)."""

    result_id: UUID
    programme_id: str
    indicator_id: str
    period_start: date
    period_end: date
    current: ResultVersion

    @property
    def period(self) -> Period:
        return (self.period_start, self.period_end)

    @property
    def revision(self) -> int:
        return self.current.revision

    @property
    def value(self) -> Decimal | None:
        return self.current.value

    @classmethod
    def first_reported(
        cls,
        result_id: UUID,
        programme_id: str,
        indicator_id: str,
        period: Period,
        version: ResultVersion,
    ) -> IndicatorResult:
        return cls(result_id, programme_id, indicator_id, period[0], period[1], version)

    def corrected(
        self, values: ReportedValues, measured_on: date, *, reporter: str, at: datetime, reason: str
    ) -> IndicatorResult:
        """The result with the corrected values as its next version."""
        version = ResultVersion.reported(
            self.revision + 1, values, measured_on, reporter=reporter, at=at, reason=reason
        )
        return replace(self, current=version)

    def for_rules(self) -> PeriodResult:
        """The result as the indicator rules read it."""
        return PeriodResult(
            str(self.result_id),
            self.period_start,
            self.period_end,
            self.value,
            self.current.measured_on,
        )


@dataclass(frozen=True)
class ResultRecord:
    """A result with every version, oldest first: what a caller is shown."""

    result: IndicatorResult
    history: tuple[ResultVersion, ...]

    @property
    def programme_id(self) -> str:
        return self.result.programme_id


def period_violations(
    indicator: Indicator, period: Period, values: ReportedValues
) -> list[Violation]:
    """A period the indicator has no target for, with what is wrong with the values besides."""
    if period in indicator.periods():
        return []
    reason = "not a reporting period of the indicator (see its targets)"
    return [
        Violation("periodStart", reason),
        Violation("periodEnd", reason),
        *value_violations(indicator.measure, values.value, values.qualitative_value),
    ]


def values_violations(
    indicator: Indicator,
    period: Period,
    values: ReportedValues,
    today: date,
    reason: str | None = None,
) -> tuple[list[Violation], date]:
    """What is wrong with ``values`` for the period, and the date they count as measured on.

    ``reason`` is a correction's: free text like the values' own. Measured on
    defaults to the period's end or today, whichever is earlier.
    """
    found = value_violations(indicator.measure, values.value, values.qualitative_value)
    texts = values.free_texts() if reason is None else {**values.free_texts(), "reason": reason}
    found += refusals(texts, Violation)
    measured_on = values.measured_on or min(period[1], today)
    if measured_on > today:
        found.append(Violation("measuredOn", "is in the future"))
    elif not period[0] <= measured_on <= period[1]:
        found.append(Violation("measuredOn", "is outside the period"))
    return found, measured_on


def result_for(results: Iterable[IndicatorResult], period: Period) -> IndicatorResult | None:
    return next((r for r in results if r.period == period), None)


def previous_value(
    indicator: Indicator, period: Period, results: Iterable[IndicatorResult]
) -> Decimal | None:
    """The value reported for the period before ``period``, if any."""
    periods = indicator.periods()
    at = periods.index(period)
    if at == 0:
        return None
    earlier = result_for(results, periods[at - 1])
    return None if earlier is None else earlier.value
