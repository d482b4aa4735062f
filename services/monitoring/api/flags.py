"""``/flags``, ``/rules`` and the overviews per programme and per country."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import Field
from sqlalchemy import select

from services.monitoring.api.common import (
    NOT_FOUND,
    Context,
    ProgrammeFilter,
    ProgrammeIdPath,
    Runtime,
)
from services.monitoring.api.evidence import EvaluationOut
from services.monitoring.api.readers import Viewer
from services.monitoring.flags import OPEN
from services.monitoring.storage import programmes
from services.monitoring.storage.tables import EvaluationRow, FlagRow, IndicatorResultRow
from shared.contracts.monitoring import EvidenceRef
from shared.contracts.vocabulary import (
    CountryCode,
    EvidenceKind,
    FlagCategory,
    IntendedDirection,
    ReviewDecision,
    Severity,
)
from shared.db import fetch_page
from shared.errors import NotFound
from shared.http import AuthenticatedCaller, UtcDateTime
from shared.http.models import ApiModel, from_storage
from shared.http.pagination import Page, PageParams, page_params

flags_router = APIRouter(prefix="/flags", tags=["Flags"])
rules_router = APIRouter(prefix="/rules", tags=["Rules"])
overview_router = APIRouter(tags=["Overview"])

FlagState = Literal["open", "resolved"]


class FlagOut(ApiModel):
    flag_id: UUID
    programme_id: str
    rule_id: str
    rule_version: int
    category: FlagCategory
    severity: Severity
    state: FlagState
    recommends_disbursement_hold: bool
    evidence: list[EvidenceRef]
    raised_at: UtcDateTime
    resolved_at: UtcDateTime | None = None
    review_id: UUID | None = None
    decision: ReviewDecision | None = None

    @classmethod
    def of(cls, row: FlagRow) -> FlagOut:
        return cls(
            flag_id=row.flag_id,
            programme_id=row.programme_id,
            rule_id=row.rule_id,
            rule_version=row.rule_version,
            category=FlagCategory(row.category),
            severity=Severity(row.severity),
            state="open" if row.state == OPEN else "resolved",
            recommends_disbursement_hold=row.recommends_hold,
            evidence=[from_storage(EvidenceRef, e) for e in row.evidence],
            raised_at=row.raised_at,
            resolved_at=row.resolved_at,
            review_id=row.review_id,
            decision=None if row.decision is None else ReviewDecision(row.decision),
        )


@flags_router.get("", operation_id="listFlags", summary="Flags, newest first")
async def list_flags(
    request: Request,
    caller: AuthenticatedCaller,
    runtime: Runtime,
    paging: Annotated[PageParams, Depends(page_params)],
    programme_id: ProgrammeFilter = None,
    state: Annotated[FlagState | None, Query(description="Open or resolved.")] = None,
    category: Annotated[FlagCategory | None, Query()] = None,
) -> Page[FlagOut]:
    query = select(FlagRow)
    if programme_id is not None:
        query = query.where(FlagRow.programme_id == programme_id)
    if state is not None:
        query = query.where(FlagRow.state == state)
    if category is not None:
        query = query.where(FlagRow.category == category.value)
    async with runtime.unit_of_work() as uow:
        rows, total = await fetch_page(
            uow.session,
            query,
            FlagRow.raised_at.desc(),
            FlagRow.flag_id,
            offset=paging.offset,
            limit=paging.page_size,
        )
    items = [FlagOut.of(r) for r in rows]
    return Page[FlagOut].of(items, total=total, params=paging, request=request)


@flags_router.get("/{flagId}", operation_id="getFlag", summary="One flag", responses=NOT_FOUND)
async def get_flag(
    flag_id: Annotated[UUID, Path(alias="flagId", description="The flag.")],
    caller: AuthenticatedCaller,
    runtime: Runtime,
) -> FlagOut:
    async with runtime.unit_of_work() as uow:
        row = await uow.session.get(FlagRow, flag_id)
    if row is None:
        raise NotFound(f"No flag {flag_id}.")
    return FlagOut.of(row)


class RuleOut(ApiModel):
    rule_id: str
    version: int
    category: FlagCategory
    reads: EvidenceKind = Field(description="The evidence the rule is evaluated on.")
    definition: str
    parameters: dict[str, Decimal]


class RuleList(ApiModel):
    items: list[RuleOut]


@rules_router.get("", operation_id="listRules", summary="The adaptive-management rules in force")
async def list_rules(caller: AuthenticatedCaller, ctx: Context) -> RuleList:
    return RuleList(
        items=[
            RuleOut(
                rule_id=r.rule_id,
                version=r.version,
                category=r.category,
                reads=r.reads,
                definition=r.definition,
                parameters=dict(r.parameters),
            )
            for r in ctx.rules.all
        ]
    )


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


class ProgrammeOverview(ApiModel):
    programme_id: str
    owning_organisation: str
    country_codes: list[str]
    plan_revision: int
    indicators: list[IndicatorProgress]
    open_flags: list[FlagOut]
    last_evaluation: EvaluationOut | None = None


@overview_router.get(
    "/programmes/{programmeId}/overview",
    operation_id="getProgrammeOverview",
    summary="A programme's indicator progress against targets, open flags, last evaluation",
    responses=NOT_FOUND,
)
async def programme_overview(
    programme_id: ProgrammeIdPath, viewer: Viewer, runtime: Runtime
) -> ProgrammeOverview:
    async with runtime.unit_of_work() as uow:
        programme = await programmes.get(uow.session, programme_id)
        if programme is None:
            raise NotFound(f"Monitoring knows no programme {programme_id}.")
        plan = await programmes.plan(uow.session, programme_id)
        results = {
            (r.indicator_id, r.period_start, r.period_end): r
            for r in await uow.session.scalars(
                select(IndicatorResultRow).where(IndicatorResultRow.programme_id == programme_id)
            )
        }
        flags = await uow.session.scalars(
            select(FlagRow)
            .where(FlagRow.programme_id == programme_id, FlagRow.state == OPEN)
            .order_by(FlagRow.raised_at)
        )
        open_flags = [FlagOut.of(f) for f in flags]
        evaluation = await uow.session.scalar(
            select(EvaluationRow)
            .where(EvaluationRow.programme_id == programme_id)
            .order_by(EvaluationRow.completed_on.desc(), EvaluationRow.recorded_at.desc())
            .limit(1)
        )
    indicators = []
    for indicator in plan:
        periods = []
        for target in sorted(indicator.targets, key=lambda t: t.period):
            row = results.get((indicator.indicator_id, target.period_start, target.period_end))
            actual = None if row is None or row.value is None else Decimal(row.value)
            share = (
                None
                if actual is None or not target.value
                else (actual / target.value).quantize(Decimal("0.0001"))
            )
            periods.append(
                PeriodProgress(
                    period_start=target.period_start,
                    period_end=target.period_end,
                    target=target.value,
                    actual=actual,
                    result_id=None if row is None else row.result_id,
                    share_of_target=share,
                )
            )
        indicators.append(
            IndicatorProgress(
                indicator_id=indicator.indicator_id,
                title=indicator.title,
                direction=indicator.direction,
                baseline=indicator.baseline,
                periods=periods,
            )
        )
    return ProgrammeOverview(
        programme_id=programme.programme_id,
        owning_organisation=programme.owning_organisation,
        country_codes=list(programme.country_codes),
        plan_revision=programme.plan_revision,
        indicators=indicators,
        open_flags=open_flags,
        last_evaluation=(
            None if evaluation is None else EvaluationOut.seen_by(viewer, evaluation, programme)
        ),
    )


class CountryOverview(ApiModel):
    country_code: str
    residual_risk: str | None = Field(description="The latest residual human-rights risk.")
    programme_ids: list[str] = Field(description="Programmes with the country as a recipient.")
    open_flags: list[FlagOut]


@overview_router.get(
    "/countries/{countryCode}/overview",
    operation_id="getCountryOverview",
    summary="Open flags across the programmes in a country",
)
async def country_overview(
    country_code: Annotated[
        CountryCode, Path(alias="countryCode", description="ISO 3166-1 alpha-3 code.")
    ],
    caller: AuthenticatedCaller,
    runtime: Runtime,
) -> CountryOverview:
    async with runtime.unit_of_work() as uow:
        there = [p.programme_id for p in await programmes.in_country(uow.session, country_code)]
        risk = await programmes.country_risk(uow.session, country_code)
        flags = await uow.session.scalars(
            select(FlagRow)
            .where(FlagRow.programme_id.in_(there), FlagRow.state == OPEN)
            .order_by(FlagRow.raised_at)
        )
        open_flags = [FlagOut.of(f) for f in flags]
    return CountryOverview(
        country_code=country_code,
        residual_risk=None if risk is None else risk.residual_rating,
        programme_ids=there,
        open_flags=open_flags,
    )


class MonitoredProgramme(ApiModel):
    programme_id: str
    owning_organisation: str
    country_codes: list[str]
    status: int | None = Field(description="IATI activity status code, as last announced.")
    plan_revision: int = Field(description="Results-framework revision of the plan; 0: none yet.")
    indicator_ids: list[str]


@overview_router.get(
    "/programmes", operation_id="listMonitoredProgrammes", summary="Programmes monitoring knows"
)
async def list_programmes(
    request: Request,
    caller: AuthenticatedCaller,
    runtime: Runtime,
    paging: Annotated[PageParams, Depends(page_params)],
) -> Page[MonitoredProgramme]:
    async with runtime.unit_of_work() as uow:
        everything = await programmes.all_programmes(uow.session)
        chosen = everything[paging.offset : paging.offset + paging.page_size]
        items = [
            MonitoredProgramme(
                programme_id=p.programme_id,
                owning_organisation=p.owning_organisation,
                country_codes=list(p.country_codes),
                status=None if p.status is None else int(p.status),
                plan_revision=p.plan_revision,
                indicator_ids=[
                    i.indicator_id for i in await programmes.plan(uow.session, p.programme_id)
                ],
            )
            for p in chosen
        ]
    return Page[MonitoredProgramme].of(items, total=len(everything), params=paging, request=request)
