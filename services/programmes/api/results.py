"""``/results-framework``: a programme's indicators, baselines and targets per period."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import Field

from services.programmes.api.common import CONFLICT, Context, IndicatorValue, Writer
from services.programmes.domain.results import (
    Baseline,
    Indicator,
    ResultsFramework,
    ResultType,
    Target,
)
from services.programmes.service_layer import results as use_cases
from services.programmes.service_layer.commands import ReplaceResultsFramework
from shared.contracts.vocabulary import IndicatorMeasure
from shared.http import AuthenticatedCaller
from shared.http.dependencies import ProgrammeIdPath, Runtime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.routes import replaces

router = APIRouter(prefix="/programmes/{programmeId}", tags=["Results framework"])

MeasureName = Literal["unit", "percentage", "nominal", "ordinal", "qualitative"]
ResultTypeName = Literal["output", "outcome", "impact"]


class BaselineModel(InputModel):
    # The bounds of `results-framework-changed` and `programme-approved`, which carry it.
    year: int = Field(ge=2000, le=2100)
    value: IndicatorValue | None = Field(
        default=None, description="Absent for a qualitative indicator."
    )


class TargetModel(InputModel):
    period_start: date
    period_end: date
    value: IndicatorValue | None = Field(
        default=None, description="Absent for a qualitative indicator."
    )


class IndicatorModel(InputModel):
    """An indicator as IATI 2.03 describes it."""

    indicator_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    title: Text = Field(min_length=1, max_length=200)
    description: Text | None = Field(default=None, min_length=1, max_length=2000)
    result_type: ResultTypeName = Field(description="The result level (IATI ResultType).")
    measure: MeasureName = Field(description="IATI IndicatorMeasure.")
    ascending: bool = Field(description="True when a higher value is better.")
    baseline: BaselineModel | None = None
    targets: list[TargetModel] = Field(default_factory=list, max_length=40)

    def to_domain(self) -> Indicator:
        return Indicator(
            indicator_id=self.indicator_id,
            title=self.title,
            description=self.description,
            result_type=ResultType[self.result_type.upper()],
            measure=IndicatorMeasure[self.measure.upper()],
            ascending=self.ascending,
            baseline=(
                None if self.baseline is None else Baseline(self.baseline.year, self.baseline.value)
            ),
            targets=tuple(Target(t.period_start, t.period_end, t.value) for t in self.targets),
        )

    @classmethod
    def of(cls, i: Indicator) -> IndicatorModel:
        return cls(
            indicator_id=i.indicator_id,
            title=i.title,
            description=i.description,
            result_type=i.result_type.label,
            measure=i.measure.name.lower(),
            ascending=i.ascending,
            baseline=(
                None
                if i.baseline is None
                else BaselineModel(year=i.baseline.year, value=i.baseline.value)
            ),
            targets=[
                TargetModel(period_start=t.period_start, period_end=t.period_end, value=t.value)
                for t in i.targets
            ],
        )


class ResultsFrameworkIn(InputModel):
    """The full set of indicators; it replaces the one before as a new revision."""

    indicators: list[IndicatorModel] = Field(max_length=50)


class ResultsFrameworkOut(ApiModel):
    programme_id: str
    revision: int = Field(description="0 until a framework is set.")
    indicators: list[IndicatorModel]

    @classmethod
    def of(cls, framework: ResultsFramework) -> ResultsFrameworkOut:
        return cls(
            programme_id=framework.programme_id,
            revision=framework.revision,
            indicators=[IndicatorModel.of(i) for i in framework.indicators],
        )


@router.get(
    "/results-framework", operation_id="getResultsFramework", summary="The results framework"
)
async def get_results_framework(
    programme_id: ProgrammeIdPath, caller: AuthenticatedCaller, runtime: Runtime
) -> ResultsFrameworkOut:
    async with runtime.unit_of_work() as uow:
        framework = await use_cases.get_results_framework(programme_id, uow)
    return ResultsFrameworkOut.of(framework)


@replaces(
    router,
    "/results-framework",
    "replaceResultsFramework",
    "Set the results framework (the owner only); monitoring is told",
    CONFLICT,
)
async def replace_results_framework(
    programme_id: ProgrammeIdPath,
    body: ResultsFrameworkIn,
    caller: Writer,
    runtime: Runtime,
    ctx: Context,
) -> ResultsFrameworkOut:
    indicators = tuple(i.to_domain() for i in body.indicators)
    command = ReplaceResultsFramework(programme_id, caller.organisation, indicators)
    async with runtime.unit_of_work() as uow:
        framework = await use_cases.replace_results_framework(command, uow, ctx)
    return ResultsFrameworkOut.of(framework)
