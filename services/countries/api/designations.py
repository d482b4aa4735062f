"""Focus-country designation: decisions per country and the ranked list of focus countries."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import Field

from services.countries.api.common import (
    CONFLICT,
    Config,
    Country,
    OptionalDate,
    Reader,
    Urls,
    Writer,
    now,
    today,
)
from services.countries.authority import deciding_organisation
from services.countries.domain.designations import (
    CriterionScore,
    Decision,
    DecisionKind,
    Weights,
    check_decision,
    check_scores,
    check_weights,
    kind_of,
    rank,
    review_overdue,
    weighted_score,
)
from services.countries.domain.partnerships import KnownOrganisation
from services.countries.domain.reference import country
from services.countries.links import Links
from services.countries.storage.designations import (
    add_decision,
    current_decision,
    current_decisions,
    decisions_of,
    find_decision,
)
from shared.contracts.countries import FocusDesignationChanged, FocusDesignationReviewed
from shared.contracts.vocabulary import Designation
from shared.errors import NotFound, Violation, invalid, raise_if
from shared.http import UtcDateTime
from shared.http.dependencies import Paging, Runtime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.pagination import Page

router = APIRouter(tags=["Focus designation"])

DecisionId = Annotated[UUID, Path(alias="decisionId", description="The decision's id.")]


class NewDecision(InputModel):
    """A designation decision: the scores, the outcome, its date and its review date.

    Designations are decided by `am` or `bz`. `decidedBy` defaults to the
    calling organisation; only the taskforce secretariat (`tf-secretariaat`)
    may name another, recording a decision that ministry took. The caller is
    always recorded as `recordedBy`.
    """

    designation: Designation = Field(description="focus, watch, or none (withdraws).")
    decided_on: date = Field(description="Date of the decision; not in the future.")
    decided_by: KnownOrganisation | None = Field(
        default=None,
        description="Deciding organisation (`am` or `bz`); the caller's when left out. "
        "Only `tf-secretariaat` may name another organisation than itself, and must.",
    )
    scores: list[CriterionScore] = Field(
        min_length=1, max_length=8, description="Each of the four criteria scored once."
    )
    review_date: OptionalDate = Field(
        default=None, description="When to review; required for focus and watch."
    )
    summary: Text | None = Field(
        default=None, max_length=4000, description="The decision's reasoning in words."
    )


class DecisionView(ApiModel):
    """A recorded designation decision."""

    id: UUID = Field(description="The decision's id.")
    country_code: str = Field(description="ISO 3166-1 alpha-3 code.")
    designation: Designation = Field(description="The designation decided.")
    previous_designation: Designation = Field(description="The designation before it.")
    decided_on: date = Field(description="Date of the decision.")
    decided_by: str = Field(description="Deciding organisation.")
    scores: tuple[CriterionScore, ...] = Field(description="The criteria scores.")
    weights: Weights = Field(description="The criteria weights in force at the decision.")
    weighted_score: float = Field(description="Weighted score (0-5) with those weights.")
    review_date: OptionalDate = Field(description="When the designation is due for review.")
    summary: str | None = Field(description="The decision's reasoning.")
    recorded_at: UtcDateTime = Field(description="When the decision was recorded.")
    recorded_by: str = Field(
        description="Organisation that recorded it: the deciding one, or `tf-secretariaat` "
        "recording on its behalf."
    )
    current: bool = Field(description="True for the country's latest decision.")
    review_overdue: bool = Field(description="Current and past its review date.")

    @classmethod
    def of(cls, decision: Decision) -> DecisionView:
        return cls(
            id=decision.id,
            country_code=decision.country_code,
            designation=decision.designation,
            previous_designation=decision.previous_designation,
            decided_on=decision.decided_on,
            decided_by=decision.decided_by,
            scores=decision.scores,
            weights=decision.weights,
            weighted_score=decision.weighted_score,
            review_date=decision.review_date,
            summary=decision.summary,
            recorded_at=decision.recorded_at,
            recorded_by=decision.recorded_by,
            current=decision.current,
            review_overdue=decision.current and review_overdue(decision.review_date, today()),
        )


class FocusCountryView(ApiModel):
    """A country in the ranking."""

    rank: int = Field(ge=1, description="Place by weighted score; equal scores share a place.")
    country_code: str = Field(description="ISO 3166-1 alpha-3 code.")
    name_en: str = Field(description="English name.")
    name_nl: str = Field(description="Dutch name.")
    designation: Designation = Field(description="Current designation.")
    weighted_score: float = Field(description="Weighted score (0-5) with the weights of the list.")
    scores: tuple[CriterionScore, ...] = Field(description="The current decision's scores.")
    decision_id: UUID = Field(description="The current decision.")
    decided_on: date = Field(description="Date of the current decision.")
    review_date: OptionalDate = Field(description="When the designation is due for review.")
    review_overdue: bool = Field(description="True when the review date has passed.")


class FocusCountryPage(Page[FocusCountryView]):
    """The ranking, one page of it, with the weights it was computed with."""

    weights: Weights = Field(description="Criteria weights used for `weightedScore` and `rank`.")


def _event(decision: Decision, urls: Links) -> FocusDesignationChanged | FocusDesignationReviewed:
    fields = {
        "country_code": decision.country_code,
        "profile_url": urls.profile(decision.country_code),
        "decision_id": decision.id,
        "decision_url": urls.decision(decision.country_code, decision.id),
        "designation": decision.designation,
        "decided_by": decision.decided_by,
        "decided_on": decision.decided_on,
        "weighted_score": decision.weighted_score,
        "review_date": decision.review_date,
    }
    if kind_of(decision.previous_designation, decision.designation) is DecisionKind.REVIEW:
        return FocusDesignationReviewed.model_validate(fields)
    return FocusDesignationChanged.model_validate(
        {**fields, "previous_designation": decision.previous_designation}
    )


@router.post(
    "/countries/{countryCode}/designations",
    status_code=201,
    summary="Record a designation decision",
    responses={201: {"description": "Recorded; `Location` names the new decision."}, **CONFLICT},
)
async def decide_designation(
    reference: Country,
    body: NewDecision,
    caller: Writer,
    runtime: Runtime,
    config: Config,
    urls: Urls,
    response: Response,
) -> DecisionView:
    """Designate (focus, watch), withdraw (none) or review a country's designation.

    Emits `focus-designation-changed` when the designation changes and
    `focus-designation-reviewed` when a decision keeps it.
    """
    weights = config.weights()
    async with runtime.unit_of_work() as uow:
        decided_by = deciding_organisation(caller, body.decided_by)
        current = await current_decision(uow.session, reference.code)
        raise_if(
            check_scores(body.scores)
            + check_decision(
                designation=body.designation,
                decided_on=body.decided_on,
                review_date=body.review_date,
                today=today(),
                current=current,
            )
        )
        decision = Decision(
            id=uuid4(),
            country_code=reference.code,
            designation=body.designation,
            previous_designation=current.designation if current else Designation.NONE,
            decided_on=body.decided_on,
            decided_by=decided_by,
            scores=tuple(body.scores),
            weights=weights,
            weighted_score=weighted_score(body.scores, weights),
            review_date=body.review_date,
            summary=body.summary,
            recorded_at=now(),
            recorded_by=caller.organisation,
        )
        await add_decision(uow.session, decision)
        await uow.emit(_event(decision, urls))
    response.headers["Location"] = urls.decision(reference.code, decision.id)
    return DecisionView.of(decision)


@router.get("/countries/{countryCode}/designations", summary="A country's designation decisions")
async def list_designations(
    request: Request, reference: Country, caller: Reader, runtime: Runtime, paging: Paging
) -> Page[DecisionView]:
    """Newest decision first; the first item is the current one."""
    async with runtime.sessions() as session:
        decisions, total = await decisions_of(
            session, reference.code, offset=paging.offset, limit=paging.page_size
        )
    views = [DecisionView.of(d) for d in decisions]
    return Page[DecisionView].of(views, total=total, params=paging, request=request)


@router.get("/countries/{countryCode}/designations/{decisionId}", summary="A designation decision")
async def get_designation(
    reference: Country, decision_id: DecisionId, caller: Reader, runtime: Runtime
) -> DecisionView:
    async with runtime.sessions() as session:
        decision = await find_decision(session, reference.code, decision_id)
    if decision is None:
        raise NotFound(f"{reference.code} has no designation decision {decision_id}.")
    return DecisionView.of(decision)


_WEIGHT_PARAMETERS = (
    "transitCountryWeight",
    "countryOfOriginWeight",
    "bilateralScopeWeight",
    "addedValueOverEuWeight",
)


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
    config: Config,
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
    configured = config.weights()
    weights = Weights(
        transit_country=_or(transit_country_weight, configured.transit_country),
        country_of_origin=_or(country_of_origin_weight, configured.country_of_origin),
        bilateral_scope=_or(bilateral_scope_weight, configured.bilateral_scope),
        added_value_over_eu=_or(added_value_over_eu_weight, configured.added_value_over_eu),
    )
    if check_weights(weights):
        invalid(
            [
                Violation(name, "At least one criterion must have a weight above 0.", "query")
                for name in _WEIGHT_PARAMETERS
            ]
        )
    wanted = {designation} if designation else {Designation.FOCUS, Designation.WATCH}
    async with runtime.sessions() as session:
        decisions = await current_decisions(session)
    ranked = rank((d for d in decisions.values() if d.designation in wanted), weights)
    views = []
    for entry in ranked[paging.offset : paging.offset + paging.page_size]:
        decision = entry.decision
        reference = country(decision.country_code)
        assert reference is not None
        views.append(
            FocusCountryView(
                rank=entry.rank,
                country_code=decision.country_code,
                name_en=reference.name_en,
                name_nl=reference.name_nl,
                designation=decision.designation,
                weighted_score=entry.weighted_score,
                scores=decision.scores,
                decision_id=decision.id,
                decided_on=decision.decided_on,
                review_date=decision.review_date,
                review_overdue=review_overdue(decision.review_date, today()),
            )
        )
    page = Page[FocusCountryView].of(views, total=len(ranked), params=paging, request=request)
    return FocusCountryPage(**page.model_dump(), weights=weights)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value
