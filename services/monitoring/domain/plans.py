"""Monitoring plans: a programme's indicators as the programmes service last announced them.

A plan is replaced as a whole by ``programme-approved`` and
``results-framework-changed`` (they carry the full set), never patched, so a
replay of the programmes topic rebuilds it. Values are exact decimals here;
events carry them as JSON numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.contracts.vocabulary import IndicatorMeasure, IntendedDirection
from shared.errors import Violation


@dataclass(frozen=True)
class Target:
    period_start: date
    period_end: date
    value: Decimal | None

    @property
    def period(self) -> tuple[date, date]:
        return (self.period_start, self.period_end)


@dataclass(frozen=True)
class Indicator:
    indicator_id: str
    title: str
    measure: IndicatorMeasure
    direction: IntendedDirection
    baseline: Decimal | None
    targets: tuple[Target, ...]

    @property
    def ascending(self) -> bool:
        return self.direction is IntendedDirection.INCREASE

    def target_for(self, period_start: date, period_end: date) -> Target | None:
        return next((t for t in self.targets if t.period == (period_start, period_end)), None)

    def periods(self) -> list[tuple[date, date]]:
        """The plan's reporting periods, in order."""
        return sorted(t.period for t in self.targets)


#: Measures whose results are numbers; a qualitative indicator is reported in words.
QUANTITATIVE = frozenset(
    {
        IndicatorMeasure.UNIT,
        IndicatorMeasure.PERCENTAGE,
        IndicatorMeasure.NOMINAL,
        IndicatorMeasure.ORDINAL,
    }
)


def value_violations(
    measure: IndicatorMeasure, value: Decimal | None, qualitative: str | None
) -> list[Violation]:
    """Whether a result's value is of the kind the indicator's measure takes.

    Unit and nominal: any number; percentage: 0 to 100; ordinal: a whole number
    from 0; qualitative: words (``qualitativeValue``), no number.
    """
    if measure is IndicatorMeasure.QUALITATIVE:
        found = []
        if value is not None:
            found.append(Violation("value", "a qualitative indicator takes no number"))
        if qualitative is None:
            found.append(
                Violation("qualitativeValue", "a qualitative indicator needs a qualitativeValue")
            )
        return found
    found = []
    if qualitative is not None:
        found.append(
            Violation("qualitativeValue", f"a {measure.name.lower()} indicator takes a number")
        )
    if value is None:
        found.append(Violation("value", f"a {measure.name.lower()} indicator needs a number"))
        return found
    if measure is IndicatorMeasure.PERCENTAGE and not Decimal(0) <= value <= Decimal(100):
        found.append(Violation("value", "a percentage is between 0 and 100"))
    if measure is IndicatorMeasure.ORDINAL and (value < 0 or value != value.to_integral_value()):
        found.append(Violation("value", "an ordinal value is a whole number from 0"))
    return found
