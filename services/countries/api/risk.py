"""Do-no-harm human-rights risk assessments of the cooperation with a country."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from services.countries.api.common import (
    CONFLICT,
    AssessmentId,
    Context,
    Country,
    Viewer,
    Write,
    window,
)
from services.countries.api.risk_models import AssessmentView, NewAssessment
from services.countries.service_layer import risk
from services.countries.service_layer.commands import AssessmentQuery, AssessRisk
from shared.contracts.vocabulary import CountryCode, RiskRating
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page, PageParams

router = APIRouter(tags=["Risk assessments"])

OverdueFilter = Annotated[
    bool | None,
    Query(description="`true`: only current assessments past their review date; `false`: none."),
]
RatingFilter = Annotated[
    RiskRating | None, Query(alias="residualRating", description="Only this residual rating.")
]
CountryFilter = Annotated[
    CountryCode | None, Query(alias="countryCode", description="Only this country.")
]
TrackFilter = Annotated[
    UUID | None, Query(alias="partnershipId", description="Only this partnership track.")
]
CurrentFilter = Annotated[
    bool | None,
    Query(description="`true`: only the latest of each scope; `false`: only superseded ones."),
]


@router.post(
    "/countries/{countryCode}/risk-assessments",
    status_code=201,
    summary="Record a do-no-harm risk assessment",
    responses={201: {"description": "Recorded; `Location` names the new assessment."}, **CONFLICT},
)
async def assess_risk(
    reference: Country, body: NewAssessment, write: Write, response: Response
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
        by=write.by,
    )
    async with write.runtime.unit_of_work() as uow:
        assessment = await risk.assess_risk(command, uow, write.ctx)
    response.headers["Location"] = write.ctx.links.assessment(reference.code, assessment.id)
    # The assessing side's own texts, just written: shown, and no read to note.
    return AssessmentView.of(assessment, shown=True, today=write.ctx.today())


@dataclass(frozen=True)
class AskedPage:
    """Which assessments a list route was asked for, and which page of them.

    Read by one dependency per list (the filters, then ``Paging`` beneath them),
    so the OpenAPI document lists and the validation reports the parameters in
    the order the routes have always had: filters first, then the page.
    """

    query: AssessmentQuery
    paging: PageParams


async def _all_asked(
    paging: Paging,
    country_code: CountryFilter = None,
    overdue: OverdueFilter = None,
    residual_rating: RatingFilter = None,
    current: CurrentFilter = None,
) -> AskedPage:
    """The filters and page of ``/risk-assessments``."""
    return AskedPage(AssessmentQuery(country_code, None, overdue, residual_rating, current), paging)


async def _country_asked(
    paging: Paging,
    partnership_id: TrackFilter = None,
    overdue: OverdueFilter = None,
    residual_rating: RatingFilter = None,
    current: CurrentFilter = None,
) -> AskedPage:
    """The filters and page of a country's assessments; the country comes from the path."""
    return AskedPage(
        AssessmentQuery(None, partnership_id, overdue, residual_rating, current), paging
    )


async def _page(
    request: Request, viewer: Viewer, runtime: Runtime, ctx: Context, asked: AskedPage
) -> Page[AssessmentView]:
    async with runtime.sessions() as session:
        found, total = await risk.risk_assessments(asked.query, window(asked.paging), session, ctx)
    views = [AssessmentView.seen_by(viewer, read, ctx.today()) for read in found]
    return Page[AssessmentView].of(views, total=total, params=asked.paging, request=request)


@router.get("/risk-assessments", summary="Risk assessments of all countries")
async def list_all_assessments(
    request: Request,
    viewer: Viewer,
    runtime: Runtime,
    ctx: Context,
    asked: Annotated[AskedPage, Depends(_all_asked)],
) -> Page[AssessmentView]:
    """Newest first; `overdue=true` lists the assessments due for review."""
    return await _page(request, viewer, runtime, ctx, asked)


@router.get("/countries/{countryCode}/risk-assessments", summary="A country's risk assessments")
async def list_assessments(
    request: Request,
    reference: Country,
    viewer: Viewer,
    runtime: Runtime,
    ctx: Context,
    asked: Annotated[AskedPage, Depends(_country_asked)],
) -> Page[AssessmentView]:
    """Newest first."""
    in_country = replace(asked, query=replace(asked.query, country_code=reference.code))
    return await _page(request, viewer, runtime, ctx, in_country)


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
