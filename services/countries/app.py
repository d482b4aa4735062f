"""Countries service (port 8001): country profiles, focus-country designation, partnership
tracks and do-no-harm human-rights risk assessments of the Dutch interdepartmental taskforce
on international migration. Every change is published on `taskforce.countries.v1`, keyed by
the country's ISO 3166-1 alpha-3 code (see `/v1/asyncapi.json`).

**Countries.** Every ISO 3166-1 country has a profile from the start (English and Dutch
name, UN M49 region); the taskforce adds migration roles, key figures with their sources,
diplomatic relations, EU partnership status and notes by partial update (JSON merge patch).
Each change is a revision in the country's history (who, when, what).

**Focus designation.** Each of the four criteria of the letter of 23 May 2025 (transit
country, country of origin for returns, scope for bilateral action, Dutch added value over
an EU-wide approach) is scored 0-5 with a rationale. The weighted score is
`sum(w_i * s_i) / sum(w_i)` (0-5); weights are configuration
(`TASKFORCE_COUNTRIES_WEIGHT_*`, default 1 each). A decision (focus, watch, none) has a
date, a deciding organisation and, for focus and watch, a review date; a later decision
revises it. `/focus-countries` ranks the current decisions by weighted score.

**Partnerships.** Status transitions: exploring -> active | ended; active -> paused |
ended; paused -> active | ended; ended is final. A track opens as exploring or active.

**Risk assessments.** Each item is scored likelihood x impact (1-5 each) before and after
mitigation; scores band as 1-4 low, 5-9 medium, 10-16 high, 17-25 very-high. The overall
residual rating is the band of the highest residual item score. A current assessment past
its next review date is overdue.

**Access.** Reads need a bearer token; writes need the scope `countries:write`, and the
token's organisation is recorded as who made the change. Invalid values are a 422 problem
listing every invalid field; a rejected request changes nothing and emits no event.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from services.countries.api import designations, partnerships, profiles, risk
from services.countries.context import CountriesContext
from services.countries.handlers import HANDLERS
from services.countries.settings import CountriesSettings
from shared.http import Problem
from shared.service import service_app
from shared.settings import PlatformSettings

ROUTERS = (profiles.router, designations.router, partnerships.router, risk.router)


def create_app(
    settings: PlatformSettings | None = None, countries: CountriesSettings | None = None
) -> FastAPI:
    """The countries service's app; its context (settings, links, clock) is built here, once.

    ``countries`` overrides the service's own settings (the criteria weights),
    as ``settings`` does the platform's; both default to the environment.
    """
    platform = settings or PlatformSettings()
    app = service_app(
        "countries",
        title="Taskforce migratiesamenwerking: countries",
        description=DESCRIPTION,
        routers=ROUTERS,
        handlers=HANDLERS,
        context=CountriesContext.create(platform, countries),
        settings=platform,
    )
    app.add_exception_handler(IntegrityError, _concurrent_change)
    return app


async def _concurrent_change(request: Request, exc: Exception) -> JSONResponse:
    """Two writes raced for the same next revision, decision number or new row: one wins.

    The unique keys of the tables exist for exactly this; the loser's
    transaction is rolled back whole (state and event), so repeating it is safe.
    """
    return Problem(
        status=409,
        title="Concurrent change",
        detail="Another change to the same country was committed at the same time; "
        "read the current state and repeat the request.",
    ).to_response(request)


DESCRIPTION = __doc__ or ""
