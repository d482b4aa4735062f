"""A programme's results framework: indicators with a baseline and targets per period.

Indicators follow IATI 2.03: a measure (unit, percentage, nominal, ordinal,
qualitative), whether higher is better (``ascending``), a baseline year and
value, and targets per period. Qualitative indicators carry no numbers; all
others need them. The framework is replaced as a whole and counted in
revisions, so monitoring can always take the full set.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import IntEnum

from shared.contracts.vocabulary import IndicatorMeasure, IntendedDirection
from shared.errors import Violation


class ResultType(IntEnum):
    """IATI 2.03 ResultType: the level of the result an indicator measures."""

    OUTPUT = 1
    OUTCOME = 2
    IMPACT = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Target:
    period_start: date
    period_end: date
    value: Decimal | None = None


@dataclass(frozen=True)
class Baseline:
    """Where an indicator stood before the programme: a year and, unless qualitative, a value."""

    year: int
    value: Decimal | None = None


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    title: str
    result_type: ResultType
    measure: IndicatorMeasure
    ascending: bool
    description: str | None = None
    baseline: Baseline | None = None
    targets: tuple[Target, ...] = ()

    @property
    def direction(self) -> IntendedDirection:
        return IntendedDirection.INCREASE if self.ascending else IntendedDirection.DECREASE

    @property
    def qualitative(self) -> bool:
        return self.measure is IndicatorMeasure.QUALITATIVE


@dataclass(frozen=True)
class ResultsFramework:
    """A programme's indicators as of a revision (0 until a framework is set)."""

    programme_id: str
    revision: int
    indicators: tuple[Indicator, ...]


def check_framework(indicators: Sequence[Indicator]) -> list[Violation]:
    """Every rule a results framework breaks (empty when it may replace the current one)."""
    violations: list[Violation] = []
    ids = [indicator.indicator_id for indicator in indicators]
    if len(set(ids)) != len(ids):
        violations.append(Violation("indicators", "each indicatorId may be used once"))
    for index, indicator in enumerate(indicators):
        violations += _check_indicator(indicator, f"indicators[{index}]")
    return violations


def _check_indicator(indicator: Indicator, where: str) -> list[Violation]:
    values = [(f"{where}.targets[{i}].value", t.value) for i, t in enumerate(indicator.targets)]
    if indicator.baseline is not None:
        values.insert(0, (f"{where}.baseline.value", indicator.baseline.value))
    if indicator.qualitative:
        violations = [
            Violation(field, "a qualitative indicator has no numeric values")
            for field, value in values
            if value is not None
        ]
    else:
        violations = [
            Violation(field, "is needed for a quantitative indicator")
            for field, value in values
            if value is None
        ]
    if indicator.measure is IndicatorMeasure.PERCENTAGE:
        violations += [
            Violation(field, "a percentage is between 0 and 100")
            for field, value in values
            if value is not None and not Decimal(0) <= value <= Decimal(100)
        ]
    for i, target in enumerate(indicator.targets):
        if target.period_end < target.period_start:
            violations.append(Violation(f"{where}.targets[{i}].periodEnd", "is before periodStart"))
    periods = sorted(indicator.targets, key=lambda t: t.period_start)
    for earlier, later in itertools.pairwise(periods):
        if later.period_start <= earlier.period_end:
            violations.append(Violation(f"{where}.targets", "target periods overlap"))
            break
    baseline = indicator.baseline
    if baseline is not None and periods and baseline.year > periods[0].period_start.year:
        violations.append(
            Violation(f"{where}.baseline.year", "is after the first target period starts")
        )
    return violations
