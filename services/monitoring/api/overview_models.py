"""The overviews as responses: progress against target, open flags, the last evaluation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from pydantic import Field

from services.monitoring.api.evidence_models import EvaluationOut
from services.monitoring.api.flag_models import FlagOut
from services.monitoring.domain.progress import IndicatorProgress as Progress
from services.monitoring.service_layer import overview
from shared.contracts.vocabulary import IntendedDirection
from shared.http.models import ApiModel
from shared.need_to_know import NeedToKnow


class PeriodProgress(ApiModel):
    period_start: date
    period_end: date
    target: Decimal | None
    actual: Decimal | None = Field(description="The current value of the period's result.")
    result_id: UUID | None = None
    share_of_target: Decimal | None = Field(
        default=None, description="Actual divided by target, when both are numbers."
    )


class IndicatorProgress(ApiModel):
    indicator_id: str
    title: str
    direction: IntendedDirection
    baseline: Decimal | None
    periods: list[PeriodProgress]

    @classmethod
    def of(cls, progress: Progress) -> IndicatorProgress:
        indicator = progress.indicator
        return cls(
            indicator_id=indicator.indicator_id,
            title=indicator.title,
            direction=indicator.direction,
            baseline=indicator.baseline,
            periods=[
                PeriodProgress(
                    period_start=p.period_start,
                    period_end=p.period_end,
                    target=p.target,
                    actual=p.actual,
                    result_id=p.result_id,
                    share_of_target=p.share_of_target,
                )
                for p in progress.periods
            ],
        )


class ProgrammeOverview(ApiModel):
    programme_id: str
    owning_organisation: str
    country_codes: list[str]
    plan_revision: int
    indicators: list[IndicatorProgress]
    open_flags: list[FlagOut]
    last_evaluation: EvaluationOut | None = None

    @classmethod
    def seen_by(cls, viewer: NeedToKnow, found: overview.ProgrammeOverview) -> ProgrammeOverview:
        """The overview as ``viewer`` may read it: the last evaluation's summary is need-to-know."""
        programme, evaluation = found.programme, found.last_evaluation
        return cls(
            programme_id=programme.programme_id,
            owning_organisation=programme.owning_organisation,
            country_codes=list(programme.country_codes),
            plan_revision=programme.plan_revision,
            indicators=[IndicatorProgress.of(i) for i in found.indicators],
            open_flags=[FlagOut.of(f) for f in found.open_flags],
            last_evaluation=(
                None if evaluation is None else EvaluationOut.seen_by(viewer, evaluation, programme)
            ),
        )


class CountryOverview(ApiModel):
    country_code: str
    residual_risk: str | None = Field(description="The latest residual human-rights risk.")
    programme_ids: list[str] = Field(description="Programmes with the country as a recipient.")
    open_flags: list[FlagOut]

    @classmethod
    def of(cls, found: overview.CountryOverview) -> CountryOverview:
        return cls(
            country_code=found.country_code,
            residual_risk=None if found.risk is None else found.risk.residual.value,
            programme_ids=found.programme_ids,
            open_flags=[FlagOut.of(f) for f in found.open_flags],
        )


class MonitoredProgramme(ApiModel):
    programme_id: str
    owning_organisation: str
    country_codes: list[str]
    status: int | None = Field(description="IATI activity status code, as last announced.")
    plan_revision: int = Field(description="Results-framework revision of the plan; 0: none yet.")
    indicator_ids: list[str]

    @classmethod
    def of(cls, found: overview.MonitoredProgramme) -> MonitoredProgramme:
        programme = found.programme
        return cls(
            programme_id=programme.programme_id,
            owning_organisation=programme.owning_organisation,
            country_codes=list(programme.country_codes),
            status=None if programme.status is None else int(programme.status),
            plan_revision=programme.plan_revision,
            indicator_ids=found.indicator_ids,
        )
