"""Programmes service: the taskforce's programme registry and its adaptive management.

Programmes aligned with the IATI 2.03 activity standard, their budgets per year,
budget line (BHO, A&M) and ODA flag against the taskforce budget frame, their
lifecycle over the IATI activity statuses, their results frameworks, and the
adaptive-management reviews that monitoring flags and high human-rights risks
open. Writes `taskforce.programmes.v1`; reads the countries and monitoring topics.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.programmes.api import countries, iati, money, programmes, results, reviews
from services.programmes.context import ProgrammesContext
from services.programmes.handlers import HANDLERS
from services.programmes.settings import ProgrammesSettings
from shared.service import service_app
from shared.settings import PlatformSettings


def create_app(
    settings: PlatformSettings | None = None,
    programmes_settings: ProgrammesSettings | None = None,
) -> FastAPI:
    platform = settings or PlatformSettings()
    context = ProgrammesContext.create(platform, programmes_settings)
    return service_app(
        "programmes",
        title="Taskforce migratiesamenwerking: programmes",
        description=DESCRIPTION,
        settings=platform,
        routers=[
            programmes.router,
            money.router,
            money.frame_router,
            results.router,
            reviews.router,
            iati.router,
            countries.router,
        ],
        handlers=HANDLERS,
        context=context,
    )


DESCRIPTION = __doc__ or ""
