"""The programmes service's events, built from the domain: one function per event type.

Every event carries the programme's routing fields (owner, partner
organisations, countries, themes) so notifications can route it on its own.
Amounts are whole euros, as the catalogue defines them; the exact amounts stay
at the linked resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from services.programmes.domain.budget import Transaction, YearBudget
from services.programmes.domain.frame import FrameExcess
from services.programmes.domain.lifecycle import Transition
from services.programmes.domain.money import whole_euros, whole_euros_up
from services.programmes.domain.programme import Programme
from services.programmes.domain.results import Indicator
from services.programmes.domain.reviews import Review
from services.programmes.links import Links
from shared.contracts.programmes import (
    BudgetFrameExceeded,
    IndicatorDefinition,
    IndicatorTarget,
    ProgrammeApproved,
    ProgrammeRegistered,
    ProgrammeStatusChanged,
    ResultsFrameworkChanged,
    ReviewDecided,
    ReviewOpened,
)
from shared.contracts.programmes import YearBudget as YearBudgetData
from shared.contracts.vocabulary import EventRef


def routing(programme: Programme) -> dict[str, Any]:
    return {
        "programme_id": programme.programme_id,
        "owning_organisation": programme.owning_organisation,
        "partner_organisations": programme.partner_organisations,
        "country_codes": programme.country_codes,
        "themes": programme.themes,
    }


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def indicator_definitions(indicators: Sequence[Indicator]) -> tuple[IndicatorDefinition, ...]:
    """Indicators as monitoring reads them (values as JSON numbers; exact ones at the API)."""
    return tuple(
        IndicatorDefinition(
            indicator_id=i.indicator_id,
            title=i.title,
            measure=i.measure,
            direction=i.direction,
            baseline=_number(i.baseline.value) if i.baseline else None,
            baseline_year=i.baseline.year if i.baseline else None,
            targets=tuple(
                IndicatorTarget(
                    period_start=t.period_start, period_end=t.period_end, value=_number(t.value)
                )
                for t in i.targets
            ),
        )
        for i in indicators
    )


def registered(programme: Programme, links: Links) -> ProgrammeRegistered:
    return ProgrammeRegistered(
        **routing(programme),
        programme_url=links.programme(programme.programme_id),
        iati_identifier=programme.iati_identifier,
        title=programme.title,
        status=programme.status,
        dac_sectors=programme.sector_codes,
        channel_codes=programme.channel_codes,
        planned_start=programme.planned_start,
        planned_end=programme.planned_end,
        partnership_id=programme.partnership_id,
    )


def approved(
    programme: Programme,
    transition: Transition,
    budgets: Sequence[YearBudget],
    indicators: Sequence[Indicator],
    links: Links,
) -> ProgrammeApproved:
    parts = tuple(
        YearBudgetData(
            year=b.key.year,
            budget_line=b.key.line,
            oda=b.key.oda,
            amount_eur=whole_euros(b.amount),
        )
        for b in budgets
    )
    return ProgrammeApproved(
        **routing(programme),
        programme_url=links.programme(programme.programme_id),
        approved_on=transition.effective_on,
        approved_by=transition.changed_by,
        total_budget_eur=sum(part.amount_eur for part in parts),
        budget=parts,
        results_framework_revision=programme.results_framework_revision,
        indicators=indicator_definitions(indicators),
    )


def status_changed(
    programme: Programme, transition: Transition, links: Links
) -> ProgrammeStatusChanged:
    return ProgrammeStatusChanged(
        **routing(programme),
        programme_url=links.programme(programme.programme_id),
        status=transition.to_status,
        previous_status=transition.from_status,
        effective_on=transition.effective_on,
        changed_by=transition.changed_by,
        review_id=transition.review_id,
    )


def results_framework_changed(
    programme: Programme, revision: int, indicators: Sequence[Indicator], links: Links
) -> ResultsFrameworkChanged:
    return ResultsFrameworkChanged(
        **routing(programme),
        results_framework_url=links.results_framework(programme.programme_id),
        revision=revision,
        indicators=indicator_definitions(indicators),
    )


def frame_exceeded(
    programme: Programme, transaction: Transaction, excess: FrameExcess, links: Links
) -> BudgetFrameExceeded:
    framed = whole_euros(excess.framed)
    committed = whole_euros_up(excess.committed)
    return BudgetFrameExceeded(
        **routing(programme),
        programme_url=links.programme(programme.programme_id),
        frame_url=links.frame_summary(excess.key.year),
        transaction_id=transaction.transaction_id,
        year=excess.key.year,
        budget_line=excess.key.line,
        oda=excess.key.oda,
        budget_holder=excess.budget_holder,
        framed_eur=framed,
        committed_eur=committed,
        excess_eur=committed - framed,
    )


def review_opened(programme: Programme, review: Review, links: Links) -> ReviewOpened:
    return ReviewOpened(
        **routing(programme),
        review_id=review.review_id,
        review_url=links.review(programme.programme_id, review.review_id),
        triggers=tuple(
            EventRef(
                event_id=t.origin.event_id, event_type=t.origin.event_type, source=t.origin.source
            )
            for t in review.triggers
        ),
        flag_ids=review.flag_ids,
        critical=review.critical,
        disbursements_on_hold=review.holds_disbursements,
        due_date=review.due_date,
    )


def review_decided(
    programme: Programme, review: Review, on_hold: bool, links: Links
) -> ReviewDecided:
    decision = review.decision
    assert decision is not None, "review-decided is about a decided review"
    return ReviewDecided(
        **routing(programme),
        review_id=review.review_id,
        review_url=links.review(programme.programme_id, review.review_id),
        decision=decision.decision,
        decided_on=decision.decided_on,
        decided_by=decision.decided_by,
        flag_ids=review.flag_ids,
        disbursements_on_hold=on_hold,
        resulting_status=decision.resulting_status,
    )
