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
from services.monitoring.service_layer.reading import Read
from shared.contracts.vocabulary import IntendedDirection
from shared.http.models import ApiModel
from shared.http.shaping import built_from
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
        periods = [built_from(PeriodProgress, p) for p in progress.periods]
        return built_from(cls, progress.indicator, periods=periods)


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
        evaluation = found.last_evaluation
        return built_from(
            cls,
            found.programme,
            indicators=[IndicatorProgress.of(i) for i in found.indicators],
            open_flags=[FlagOut.of(f) for f in found.open_flags],
            last_evaluation=(
                None
                if evaluation is None
                else EvaluationOut.seen_by(viewer, Read(evaluation, found.programme))
            ),
        )


class CountryOverview(ApiModel):
    country_code: str
    residual_risk: str | None = Field(description="The latest residual human-rights risk.")
    programme_ids: list[str] = Field(description="Programmes with the country as a recipient.")
    open_flags: list[FlagOut]

    @classmethod
    def of(cls, found: overview.CountryOverview) -> CountryOverview:
        return built_from(
            cls,
            found,
            residual_risk=None if found.risk is None else found.risk.residual.value,
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
        status = found.programme.status
        return built_from(
            cls, found.programme, found, status=None if status is None else int(status)
        )
