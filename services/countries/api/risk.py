"""Do-no-harm human-rights risk assessments of the cooperation with a country."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Request, Response

from services.countries.api.common import CONFLICT, Context, Country, Viewer, Writer, window
from services.countries.api.risk_models import AssessmentView, NewAssessment
from services.countries.service_layer import risk
from services.countries.service_layer.commands import AssessmentQuery, AssessRisk
from shared.contracts.vocabulary import CountryCode, RiskRating
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page, PageParams

router = APIRouter(tags=["Risk assessments"])

AssessmentId = Annotated[UUID, Path(alias="assessmentId", description="The assessment's id.")]


@router.post(
    "/countries/{countryCode}/risk-assessments",
    status_code=201,
    summary="Record a do-no-harm risk assessment",
    responses={201: {"description": "Recorded; `Location` names the new assessment."}, **CONFLICT},
)
async def assess_risk(
    reference: Country,
    body: NewAssessment,
    caller: Writer,
    runtime: Runtime,
    ctx: Context,
    response: Response,
) -> AssessmentView:
    """Derive the ratings, supersede the scope's current assessment, emit an event.

    `human-rights-risk-assessed` carries the country, the ratings, the outcome, the categories of
    concern and the dates; never the texts.
    """
    command = AssessRisk(
        country_code=reference.code,
        phase=body.phase,
        partnership_id=body.partnership_id,
        items=tuple(body.items),
        outcome=body.outcome,
        assessed_at=body.assessed_at,
        assessed_by=body.assessed_by,
        next_review_date=body.next_review_date,
        summary=body.summary,
        by=caller.organisation,
    )
    async with runtime.unit_of_work() as uow:
        assessment = await risk.assess_risk(command, uow, ctx)
    response.headers["Location"] = ctx.links.assessment(reference.code, assessment.id)
    # The assessing side's own texts, just written: shown, and no read to note.
    return AssessmentView.of(assessment, shown=True, today=ctx.today())


OverdueFilter = Annotated[
    bool | None,
    Query(description="`true`: only current assessments past their review date; `false`: none."),
]
RatingFilter = Annotated[
    RiskRating | None, Query(alias="residualRating", description="Only this residual rating.")
]
CurrentFilter = Annotated[
    bool | None,
    Query(description="`true`: only the latest of each scope; `false`: only superseded ones."),
]


async def _page(
    request: Request,
    paging: PageParams,
    runtime: Runtime,
    ctx: Context,
    query: AssessmentQuery,
    viewer: Viewer,
) -> Page[AssessmentView]:
    async with runtime.sessions() as session:
        found, total = await risk.risk_assessments(query, window(paging), session, ctx)
    views = [AssessmentView.seen_by(viewer, read, ctx.today()) for read in found]
    return Page[AssessmentView].of(views, total=total, params=paging, request=request)


@router.get("/risk-assessments", summary="Risk assessments of all countries")
async def list_all_assessments(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    ctx: Context,
    paging: Paging,
    country_code: Annotated[
        CountryCode | None, Query(alias="countryCode", description="Only this country.")
    ] = None,
    overdue: OverdueFilter = None,
    residual_rating: RatingFilter = None,
    current: CurrentFilter = None,
) -> Page[AssessmentView]:
    """Newest first; `overdue=true` lists the assessments due for review."""
    query = AssessmentQuery(country_code, None, overdue, residual_rating, current)
    return await _page(request, paging, runtime, ctx, query, viewer)


@router.get("/countries/{countryCode}/risk-assessments", summary="A country's risk assessments")
async def list_assessments(
    request: Request,
    reference: Country,
    viewer: Viewer,
    runtime: Runtime,
    ctx: Context,
    paging: Paging,
    partnership_id: Annotated[
        UUID | None, Query(alias="partnershipId", description="Only this partnership track.")
    ] = None,
    overdue: OverdueFilter = None,
    residual_rating: RatingFilter = None,
    current: CurrentFilter = None,
) -> Page[AssessmentView]:
    """Newest first."""
    query = AssessmentQuery(reference.code, partnership_id, overdue, residual_rating, current)
    return await _page(request, paging, runtime, ctx, query, viewer)


@router.get("/countries/{countryCode}/risk-assessments/{assessmentId}", summary="A risk assessment")
async def get_assessment(
    reference: Country,
    assessment_id: AssessmentId,
    viewer: Viewer,
    runtime: Runtime,
    ctx: Context,
) -> AssessmentView:
    async with runtime.sessions() as session:
        read = await risk.risk_assessment(reference.code, assessment_id, session)
    return AssessmentView.seen_by(viewer, read, ctx.today())
