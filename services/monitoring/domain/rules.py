"""The adaptive-management rules, in one place: each is data plus a small pure function.

A rule reads one kind of evidence (``Rule.reads``) and answers with zero or
more verdicts; a verdict names the evidence it rests on. The facts a rule is
checked on say which kind of evidence they are about (``kind``), so whoever
records evidence gathers its facts once and asks the book for every rule that
reads them (:meth:`RuleBook.findings`): no caller lists rules by name. A flag
is keyed by rule id, programme and evidence ids (:func:`flag_id`), so the same
evidence never flags twice and replaying every topic from the start yields the
same flags.

The rules (``RuleBook.all`` lists them, ``GET /v1/rules`` serves them with
their definitions): ``counterproductive-latest-period``,
``underperforming-consecutive-periods``, ``verified-high-or-critical-incident``,
``poor-effectiveness-or-impact`` and ``residual-risk-high``, each at version 1.
A change to what a rule means is a new version.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from services.monitoring.domain.plans import Indicator
from shared.contracts.vocabulary import (
    DacCriterion,
    EvaluationRating,
    EvidenceKind,
    FlagCategory,
    RiskRating,
    Severity,
)

#: Namespace of flag ids: uuid5 over rule, programme and evidence.
FLAG_NAMESPACE = uuid.UUID("5b7e0c61-3f0a-4c55-9a7e-6d8f3b1e2a90")


@dataclass(frozen=True, order=True)
class Evidence:
    kind: EvidenceKind
    resource_id: str


@dataclass(frozen=True)
class Verdict:
    """A rule fired: how urgent, on what evidence, and whether to hold disbursements."""

    severity: Severity
    evidence: tuple[Evidence, ...]
    recommends_hold: bool = False


class Facts(Protocol):
    """What a rule is checked on; ``kind`` is the evidence the facts are about."""

    kind: ClassVar[EvidenceKind]


F = TypeVar("F")


@dataclass(frozen=True)
class Rule(Generic[F]):
    """A rule: identity, category, readable definition, parameters and its check."""

    rule_id: str
    version: int
    category: FlagCategory
    reads: EvidenceKind
    definition: str
    check: Callable[[F, Mapping[str, Decimal]], Sequence[Verdict]]
    parameters: Mapping[str, Decimal] = field(default_factory=dict)

    def __call__(self, facts: F) -> Sequence[Verdict]:
        return self.check(facts, self.parameters)


def flag_id(rule_id: str, programme_id: str, evidence: Sequence[Evidence]) -> uuid.UUID:
    """The flag's id, the same whenever the same rule fires on the same evidence."""
    keys = ",".join(f"{e.kind.value}:{e.resource_id}" for e in sorted(evidence))
    return uuid.uuid5(FLAG_NAMESPACE, f"{rule_id}|{programme_id}|{keys}")


@dataclass(frozen=True)
class Finding:
    """A rule fired on some facts: the rule and its verdict, a flag to raise."""

    rule: Rule[Any]
    verdict: Verdict

    def flag_id(self, programme_id: str) -> uuid.UUID:
        return flag_id(self.rule.rule_id, programme_id, self.verdict.evidence)


# -- facts the rules read -------------------------------------------------------


@dataclass(frozen=True)
class PeriodResult:
    """An indicator's current (possibly corrected) result for one period."""

    result_id: str
    period_start: date
    period_end: date
    value: Decimal | None
    measured_on: date


@dataclass(frozen=True)
class IndicatorFacts:
    """An indicator and all its current results; ``period`` is the one just reported."""

    kind: ClassVar[EvidenceKind] = EvidenceKind.INDICATOR_RESULT

    indicator: Indicator
    results: tuple[PeriodResult, ...]
    period: tuple[date, date]


@dataclass(frozen=True)
class IncidentFacts:
    kind: ClassVar[EvidenceKind] = EvidenceKind.INCIDENT

    incident_id: str
    severity: Severity
    verified: bool


@dataclass(frozen=True)
class EvaluationFacts:
    kind: ClassVar[EvidenceKind] = EvidenceKind.EVALUATION

    evaluation_id: str
    ratings: Mapping[DacCriterion, EvaluationRating]


@dataclass(frozen=True)
class RiskFacts:
    kind: ClassVar[EvidenceKind] = EvidenceKind.RISK_ASSESSMENT

    assessment_id: str
    residual: RiskRating
    previous: RiskRating | None


# -- the checks -----------------------------------------------------------------------


def _sign(indicator: Indicator) -> int:
    return 1 if indicator.ascending else -1


def counterproductive(facts: IndicatorFacts, _params: Mapping[str, Decimal]) -> list[Verdict]:
    indicator = facts.indicator
    numeric = [r for r in facts.results if r.value is not None]
    if indicator.baseline is None or not numeric:
        return []
    latest = max(numeric, key=lambda r: (r.period_start, r.period_end))
    if (latest.period_start, latest.period_end) != facts.period:
        return []  # a late result for an earlier period says nothing about the latest one
    assert latest.value is not None
    if (latest.value - indicator.baseline) * _sign(indicator) >= 0:
        return []
    evidence = (Evidence(EvidenceKind.INDICATOR_RESULT, latest.result_id),)
    return [Verdict(Severity.HIGH, evidence)]


def elapsed_share(period_start: date, period_end: date, measured_on: date) -> Decimal:
    """The part of a period that has passed on ``measured_on`` (days, both ends included)."""
    total = (period_end - period_start).days + 1
    passed = (measured_on - period_start).days + 1
    return min(Decimal(1), max(Decimal(0), Decimal(passed) / Decimal(total)))


def below_share_of_target(
    indicator: Indicator, result: PeriodResult, share: Decimal
) -> bool | None:
    """True when progress from the baseline falls short of ``share`` of the pro-rated target.

    Progress and target are measured from the baseline (0 without one) in the
    intended direction, so one formula serves increasing and decreasing
    indicators. None when the period has no numeric target or result.
    """
    target = indicator.target_for(result.period_start, result.period_end)
    if target is None or target.value is None or result.value is None:
        return None
    base = indicator.baseline if indicator.baseline is not None else Decimal(0)
    sign = _sign(indicator)
    elapsed = elapsed_share(result.period_start, result.period_end, result.measured_on)
    required = (target.value - base) * sign * elapsed * share
    progress = (result.value - base) * sign
    return progress < required


def underperforming(facts: IndicatorFacts, params: Mapping[str, Decimal]) -> list[Verdict]:
    share, run = params["share"], int(params["periods"])
    periods = facts.indicator.periods()
    if facts.period not in periods or run < 1:
        return []
    by_period = {(r.period_start, r.period_end): r for r in facts.results}
    at = periods.index(facts.period)
    verdicts = []
    # Every run of `run` consecutive periods that includes the period just reported.
    for first in range(max(0, at - run + 1), min(at, len(periods) - run) + 1):
        window = periods[first : first + run]
        results = [by_period.get(p) for p in window]
        if all(r is not None and below_share_of_target(facts.indicator, r, share) for r in results):
            evidence = tuple(
                Evidence(EvidenceKind.INDICATOR_RESULT, r.result_id) for r in results if r
            )
            verdicts.append(Verdict(Severity.MEDIUM, evidence))
    return verdicts


def negative_side_effects(facts: IncidentFacts, _params: Mapping[str, Decimal]) -> list[Verdict]:
    critical = facts.severity is Severity.CRITICAL
    if not (critical or (facts.verified and facts.severity is Severity.HIGH)):
        return []
    evidence = (Evidence(EvidenceKind.INCIDENT, facts.incident_id),)
    if critical:
        return [Verdict(Severity.CRITICAL, evidence, recommends_hold=True)]
    return [Verdict(Severity.HIGH, evidence)]


POOR = frozenset({EvaluationRating.UNSATISFACTORY, EvaluationRating.HIGHLY_UNSATISFACTORY})
JUDGED = (DacCriterion.EFFECTIVENESS, DacCriterion.IMPACT)


def poor_evaluation(facts: EvaluationFacts, _params: Mapping[str, Decimal]) -> list[Verdict]:
    ratings = [facts.ratings.get(c) for c in JUDGED]
    if not any(r in POOR for r in ratings):
        return []
    worst = EvaluationRating.HIGHLY_UNSATISFACTORY in ratings
    evidence = (Evidence(EvidenceKind.EVALUATION, facts.evaluation_id),)
    return [Verdict(Severity.HIGH if worst else Severity.MEDIUM, evidence)]


HIGH_RISK = frozenset({RiskRating.HIGH, RiskRating.VERY_HIGH})


def residual_risk(facts: RiskFacts, _params: Mapping[str, Decimal]) -> list[Verdict]:
    """Fires once per assessment; the caller flags each active programme in the country."""
    rises = facts.previous is None or facts.residual.rank > facts.previous.rank
    if facts.residual not in HIGH_RISK or not rises:
        return []
    very_high = facts.residual is RiskRating.VERY_HIGH
    evidence = (Evidence(EvidenceKind.RISK_ASSESSMENT, facts.assessment_id),)
    return [Verdict(Severity.CRITICAL if very_high else Severity.HIGH, evidence, very_high)]


# -- the rule book ------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleBook:
    """The rules in force; underperformance's share and run length are configuration."""

    counterproductive: Rule[IndicatorFacts]
    underperforming: Rule[IndicatorFacts]
    negative_side_effects: Rule[IncidentFacts]
    poor_evaluation: Rule[EvaluationFacts]
    risk: Rule[RiskFacts]

    @property
    def all(self) -> tuple[Rule[object], ...]:
        rules: tuple[Rule[object], ...] = (
            self.counterproductive,  # type: ignore[assignment]
            self.underperforming,
            self.negative_side_effects,
            self.poor_evaluation,
            self.risk,
        )
        return rules

    def findings(self, facts: Facts) -> list[Finding]:
        """Every rule that reads the kind of evidence ``facts`` are about, checked on them."""
        rules: tuple[Rule[Any], ...] = self.all
        return [Finding(r, v) for r in rules if r.reads is facts.kind for v in r(facts)]


def rule_book(share: Decimal = Decimal("0.5"), periods: int = 2) -> RuleBook:
    return RuleBook(
        counterproductive=Rule(
            "counterproductive-latest-period",
            1,
            FlagCategory.COUNTERPRODUCTIVE,
            EvidenceKind.INDICATOR_RESULT,
            "In the indicator's latest reported period the actual value moved against the "
            "intended direction beyond the baseline: below it for an increasing indicator, "
            "above it for a decreasing one. Exactly at the baseline does not fire.",
            counterproductive,
        ),
        underperforming=Rule(
            "underperforming-consecutive-periods",
            1,
            FlagCategory.UNDERPERFORMING,
            EvidenceKind.INDICATOR_RESULT,
            "For `periods` consecutive reporting periods, progress from the baseline (0 without "
            "one) in the intended direction is below `share` of the progress the period's "
            "target asks for, pro-rated by the part of the period elapsed when measured. "
            "Exactly at the threshold does not fire.",
            underperforming,
            {"share": share, "periods": Decimal(periods)},
        ),
        negative_side_effects=Rule(
            "verified-high-or-critical-incident",
            1,
            FlagCategory.NEGATIVE_SIDE_EFFECTS,
            EvidenceKind.INCIDENT,
            "An incident report of critical severity (verified or not), or a verified one of "
            "high severity. A critical one advises holding disbursements.",
            negative_side_effects,
        ),
        poor_evaluation=Rule(
            "poor-effectiveness-or-impact",
            1,
            FlagCategory.POOR_EVALUATION,
            EvidenceKind.EVALUATION,
            "An evaluation rates effectiveness or impact unsatisfactory or highly unsatisfactory.",
            poor_evaluation,
        ),
        risk=Rule(
            "residual-risk-high",
            1,
            FlagCategory.RISK,
            EvidenceKind.RISK_ASSESSMENT,
            "A recipient country's residual human-rights risk becomes high or very high, or "
            "rises within that band: every active programme there (implementation, "
            "finalisation, suspended) is flagged. Very high advises holding disbursements.",
            residual_risk,
        ),
    )
