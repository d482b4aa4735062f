"""Focus-country designation: decisions per country and the ranked list of focus countries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from services.countries.api.common import (
    CONFLICT,
    Context,
    Country,
    DecisionId,
    Reader,
    Write,
    window,
)
from services.countries.api.designation_models import (
    DecisionView,
    FocusCountryPage,
    FocusCountryView,
    NewDecision,
)
from services.countries.service_layer import designations
from services.countries.service_layer.commands import DecideDesignation, RankFocusCountries
from shared.contracts.vocabulary import Designation
from shared.http.dependencies import Paging, Runtime
from shared.http.pagination import Page

router = APIRouter(tags=["Focus designation"])


@router.post(
    "/countries/{countryCode}/designations",
    status_code=201,
    summary="Record a designation decision",
    responses={201: {"description": "Recorded; `Location` names the new decision."}, **CONFLICT},
)
async def decide_designation(
    reference: Country, body: NewDecision, write: Write, response: Response
) -> DecisionView:
    """Designate (focus, watch), withdraw (none) or review a country's designation.

    Emits `focus-designation-changed` when the designation changes and
    `focus-designation-reviewed` when a decision keeps it.
    """
    command = DecideDesignation(
        country_code=reference.code,
        designation=body.designation,
        decided_on=body.decided_on,
        decided_by=body.decided_by,
        scores=tuple(body.scores),
        review_date=body.review_date,
        summary=body.summary,
        by=write.by,
    )
    async with write.runtime.unit_of_work() as uow:
        decision = await designations.decide_designation(command, uow, write.ctx)
    response.headers["Location"] = write.ctx.links.decision(reference.code, decision.id)
    return DecisionView.of(decision, write.ctx.today())


@router.get("/countries/{countryCode}/designations", summary="A country's designation decisions")
async def list_designations(
    request: Request,
    reference: Country,
    caller: Reader,
    runtime: Runtime,
    ctx: Context,
    paging: Paging,
) -> Page[DecisionView]:
    """Newest decision first; the first item is the current one."""
    async with runtime.sessions() as session:
        found, total = await designations.designation_decisions(
            reference.code, window(paging), session
        )
    views = [DecisionView.of(d, ctx.today()) for d in found]
    return Page[DecisionView].of(views, total=total, params=paging, request=request)


@router.get("/countries/{countryCode}/designations/{decisionId}", summary="A designation decision")
async def get_designation(
    reference: Country, decision_id: DecisionId, caller: Reader, runtime: Runtime, ctx: Context
) -> DecisionView:
    async with runtime.sessions() as session:
        decision = await designations.designation_decision(reference.code, decision_id, session)
    return DecisionView.of(decision, ctx.today())


def _weight_query(alias: str, criterion: str) -> Any:
    return Query(
        alias=alias,
        ge=0,
        le=10,
        description=f"Weight of `{criterion}` for this list only (0-10); configured when absent.",
    )


@router.get("/focus-countries", summary="Countries ranked by weighted criteria score")
async def list_focus_countries(
    request: Request,
    caller: Reader,
    runtime: Runtime,
    ctx: Context,
    paging: Paging,
    designation: Annotated[
        Designation | None,
        Query(description="Only this designation; focus and watch when absent."),
    ] = None,
    transit_country_weight: Annotated[
        float | None, _weight_query("transitCountryWeight", "transit-country")
    ] = None,
    country_of_origin_weight: Annotated[
        float | None, _weight_query("countryOfOriginWeight", "country-of-origin")
    ] = None,
    bilateral_scope_weight: Annotated[
        float | None, _weight_query("bilateralScopeWeight", "bilateral-scope")
    ] = None,
    added_value_over_eu_weight: Annotated[
        float | None, _weight_query("addedValueOverEuWeight", "added-value-over-eu")
    ] = None,
) -> FocusCountryPage:
    """Current decisions ranked by weighted score with the configured weights.

    The weight parameters try out another weighting for this list only; they
    change nothing stored.
    """
    tried = {
        "transit_country": transit_country_weight,
        "country_of_origin": country_of_origin_weight,
        "bilateral_scope": bilateral_scope_weight,
        "added_value_over_eu": added_value_over_eu_weight,
    }
    query = RankFocusCountries(
        designation, {name: weight for name, weight in tried.items() if weight is not None}
    )
    async with runtime.sessions() as session:
        ranking = await designations.rank_focus_countries(query, session, ctx)
    shown = ranking.ranked[paging.offset : paging.offset + paging.page_size]
    views = [FocusCountryView.of(entry, ctx.today()) for entry in shown]
    page = Page[FocusCountryView].of(
        views, total=len(ranking.ranked), params=paging, request=request
    )
    return FocusCountryPage(**page.model_dump(), weights=ranking.weights)
