"""Wiring of the countries service: its routers and event handlers on the shared runtime."""

from __future__ import annotations

from fastapi import FastAPI

from shared.service import service_app
from shared.settings import PlatformSettings


def create_app(settings: PlatformSettings | None = None) -> FastAPI:
    return service_app(
        "countries",
        title="Taskforce migratiesamenwerking: countries",
        description=DESCRIPTION,
        settings=settings,
    )


DESCRIPTION = __doc__ or ""
