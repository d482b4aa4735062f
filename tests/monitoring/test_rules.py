"""Every adaptive-management rule, table-driven, with its edges."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.monitoring.domain.plans import Indicator, Target, value_violations
from services.monitoring.domain.rules import (
    EvaluationFacts,
    Evidence,
    IncidentFacts,
    IndicatorFacts,
    PeriodResult,
    RiskFacts,
    elapsed_share,
    flag_id,
    rule_book,
)
from shared.contracts.vocabulary import (
    DacCriterion,
    EvaluationRating,
    EvidenceKind,
    IndicatorMeasure,
    IntendedDirection,
    RiskRating,
    Severity,
)

RULES = rule_book(share=Decimal("0.5"), periods=2)
P1 = (date(2026, 1, 1), date(2026, 12, 31))
P2 = (date(2027, 1, 1), date(2027, 12, 31))
P3 = (date(2028, 1, 1), date(2028, 12, 31))
UP = IntendedDirection.INCREASE
DOWN = IntendedDirection.DECREASE


def indicator(
    direction: IntendedDirection,
    baseline: str | None,
    targets: tuple[str, ...] = ("20", "30", "40"),
) -> Indicator:
    return Indicator(
        "ind",
        "An indicator",
        IndicatorMeasure.UNIT,
        direction,
        None if baseline is None else Decimal(baseline),
        tuple(Target(p[0], p[1], Decimal(v)) for p, v in zip((P1, P2, P3), targets, strict=False)),
    )


def result(
    period: tuple[date, date], value: str | None, rid: str = "", measured_on: date | None = None
) -> PeriodResult:
    return PeriodResult(
        rid or f"r-{period[0].year}",
        period[0],
        period[1],
        None if value is None else Decimal(value),
        measured_on or period[1],
    )


# -- counterproductive ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "baseline", "actual", "fires"),
    [
        (UP, "10", "9.99", True),  # ascending, just below baseline
        (UP, "10", "10", False),  # exactly at baseline
        (UP, "10", "12", False),  # right direction
        (DOWN, "10", "10.01", True),  # descending, just above baseline
        (DOWN, "10", "10", False),  # exactly at baseline
        (DOWN, "10", "4", False),  # right direction
        (UP, None, "0", False),  # no baseline, nothing to move against
        (UP, "0", "-1", True),
    ],
)
def test_counterproductive(
    direction: IntendedDirection, baseline: str | None, actual: str, fires: bool
) -> None:
    facts = IndicatorFacts(indicator(direction, baseline), (result(P1, actual),), P1)
    verdicts = RULES.counterproductive(facts)
    assert bool(verdicts) is fires
    if fires:
        assert verdicts[0].severity is Severity.HIGH
        assert verdicts[0].evidence == (Evidence(EvidenceKind.INDICATOR_RESULT, "r-2026"),)


@pytest.mark.parametrize(
    ("reported", "results", "fires"),
    [
        (P2, (result(P1, "15"), result(P2, "5")), True),  # latest period is below
        (P1, (result(P1, "5"), result(P2, "15")), False),  # late result for an earlier period
        (P2, (result(P1, "5"), result(P2, "15")), False),  # recovered in the latest period
        (P1, (result(P1, None),), False),  # no number
    ],
)
def test_counterproductive_looks_at_the_latest_period(
    reported: tuple[date, date], results: tuple[PeriodResult, ...], fires: bool
) -> None:
    facts = IndicatorFacts(indicator(UP, "10"), results, reported)
    assert bool(RULES.counterproductive(facts)) is fires


# -- underperforming ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "baseline", "targets", "values", "fires"),
    [
        # ascending, baseline 10, targets 20 and 30: half-way marks are 15 and 20
        (UP, "10", ("20", "30"), ("14.99", "19.99"), True),
        (UP, "10", ("20", "30"), ("15", "20"), False),  # exactly at the threshold
        (UP, "10", ("20", "30"), ("14", "20"), False),  # only one period below
        (UP, None, ("20", "30"), ("9.9", "14.9"), True),  # no baseline: share of the target
        (UP, None, ("20", "30"), ("10", "15"), False),
        # descending, baseline 100, targets 80 and 60: half-way marks are 90 and 80
        (DOWN, "100", ("80", "60"), ("90.01", "80.01"), True),
        (DOWN, "100", ("80", "60"), ("90", "80"), False),  # exactly at the threshold
        (DOWN, "100", ("80", "60"), ("85", "70"), False),
    ],
)
def test_underperforming(
    direction: IntendedDirection,
    baseline: str | None,
    targets: tuple[str, ...],
    values: tuple[str, str],
    fires: bool,
) -> None:
    ind = indicator(direction, baseline, targets)
    facts = IndicatorFacts(ind, (result(P1, values[0]), result(P2, values[1])), P2)
    verdicts = RULES.underperforming(facts)
    assert bool(verdicts) is fires
    if fires:
        assert [e.resource_id for e in verdicts[0].evidence] == ["r-2026", "r-2027"]
        assert verdicts[0].severity is Severity.MEDIUM


def test_underperforming_pro_rates_the_target_in_time() -> None:
    ind = indicator(UP, "0", ("20", "40"))
    halfway = date(2027, 7, 1)  # 182 of 365 days: the pro-rated half-way mark is just below 10
    early = result(P2, "9.9", measured_on=halfway)
    assert RULES.underperforming(IndicatorFacts(ind, (result(P1, "9"), early), P2))
    fine = result(P2, "10", measured_on=halfway)
    assert not RULES.underperforming(IndicatorFacts(ind, (result(P1, "9"), fine), P2))


def test_underperforming_needs_consecutive_periods_with_results() -> None:
    ind = indicator(UP, "10")
    facts = IndicatorFacts(ind, (result(P1, "11"), result(P3, "11")), P3)
    assert not RULES.underperforming(facts)
    facts = IndicatorFacts(ind, (result(P1, "11"), result(P2, "11"), result(P3, "11")), P3)
    assert [[e.resource_id for e in v.evidence] for v in RULES.underperforming(facts)] == [
        ["r-2027", "r-2028"]
    ]


def test_elapsed_share_edges() -> None:
    assert elapsed_share(*P1, P1[1]) == 1
    assert elapsed_share(*P1, date(2030, 1, 1)) == 1
    assert elapsed_share(*P1, date(2025, 1, 1)) == 0
    assert elapsed_share(*P1, P1[0]) == Decimal(1) / Decimal(365)


# -- incidents, evaluations, risk ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "verified", "expected", "hold"),
    [
        (Severity.CRITICAL, False, Severity.CRITICAL, True),
        (Severity.CRITICAL, True, Severity.CRITICAL, True),
        (Severity.HIGH, True, Severity.HIGH, False),
        (Severity.HIGH, False, None, False),
        (Severity.MEDIUM, True, None, False),
        (Severity.LOW, True, None, False),
    ],
)
def test_negative_side_effects(
    severity: Severity, verified: bool, expected: Severity | None, hold: bool
) -> None:
    verdicts = RULES.negative_side_effects(IncidentFacts("i-1", severity, verified))
    assert [v.severity for v in verdicts] == ([] if expected is None else [expected])
    assert all(v.recommends_hold is hold for v in verdicts)


S = EvaluationRating.SATISFACTORY
HS = EvaluationRating.HIGHLY_SATISFACTORY
U = EvaluationRating.UNSATISFACTORY
HU = EvaluationRating.HIGHLY_UNSATISFACTORY


@pytest.mark.parametrize(
    ("effectiveness", "impact", "others", "expected"),
    [
        (S, S, HU, None),  # poor elsewhere does not count
        (U, S, S, Severity.MEDIUM),
        (S, U, S, Severity.MEDIUM),
        (HU, S, S, Severity.HIGH),
        (S, HU, HS, Severity.HIGH),
        (HS, HS, U, None),
    ],
)
def test_poor_evaluation(
    effectiveness: EvaluationRating,
    impact: EvaluationRating,
    others: EvaluationRating,
    expected: Severity | None,
) -> None:
    ratings = {c: others for c in DacCriterion}
    ratings[DacCriterion.EFFECTIVENESS] = effectiveness
    ratings[DacCriterion.IMPACT] = impact
    verdicts = RULES.poor_evaluation(EvaluationFacts("e-1", ratings))
    assert [v.severity for v in verdicts] == ([] if expected is None else [expected])


L, M, H, VH = RiskRating.LOW, RiskRating.MEDIUM, RiskRating.HIGH, RiskRating.VERY_HIGH


@pytest.mark.parametrize(
    ("residual", "previous", "expected"),
    [
        (H, M, Severity.HIGH),
        (H, None, Severity.HIGH),
        (VH, H, Severity.CRITICAL),  # rises within the band
        (VH, L, Severity.CRITICAL),
        (H, H, None),  # confirmed, not become
        (H, VH, None),  # falling
        (M, L, None),
        (L, None, None),
    ],
)
def test_risk(residual: RiskRating, previous: RiskRating | None, expected: Severity | None) -> None:
    verdicts = RULES.risk(RiskFacts("a-1", residual, previous))
    assert [v.severity for v in verdicts] == ([] if expected is None else [expected])


# -- identity and values ------------------------------------------------------------------------


def test_flag_ids_depend_on_rule_programme_and_evidence_only() -> None:
    one = [Evidence(EvidenceKind.INDICATOR_RESULT, "a"), Evidence(EvidenceKind.INCIDENT, "b")]
    assert flag_id("r", "p", one) == flag_id("r", "p", list(reversed(one)))
    assert flag_id("r", "p", one) != flag_id("r", "q", one)
    assert flag_id("r", "p", one) != flag_id("s", "p", one)
    assert flag_id("r", "p", one) != flag_id("r", "p", one[:1])


def test_every_rule_has_an_id_a_version_and_a_definition() -> None:
    ids = [rule.rule_id for rule in RULES.all]
    assert len(set(ids)) == 5
    assert all(rule.version >= 1 and rule.definition for rule in RULES.all)


@pytest.mark.parametrize(
    ("measure", "value", "qualitative", "fields"),
    [
        (IndicatorMeasure.UNIT, "-3.5", None, []),
        (IndicatorMeasure.UNIT, None, None, ["value"]),
        (IndicatorMeasure.UNIT, "1", "good", ["qualitativeValue"]),
        (IndicatorMeasure.PERCENTAGE, "100", None, []),
        (IndicatorMeasure.PERCENTAGE, "100.01", None, ["value"]),
        (IndicatorMeasure.PERCENTAGE, "-0.01", None, ["value"]),
        (IndicatorMeasure.ORDINAL, "3", None, []),
        (IndicatorMeasure.ORDINAL, "2.5", None, ["value"]),
        (IndicatorMeasure.QUALITATIVE, None, "improved", []),
        (IndicatorMeasure.QUALITATIVE, "1", None, ["value", "qualitativeValue"]),
    ],
)
def test_value_kinds(
    measure: IndicatorMeasure, value: str | None, qualitative: str | None, fields: list[str]
) -> None:
    number = None if value is None else Decimal(value)
    assert [v.field for v in value_violations(measure, number, qualitative)] == fields
