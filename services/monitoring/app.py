"""Monitoring service: the evidence on funded programmes, and the flags it raises.

Monitoring plans from the programmes' results frameworks, indicator results
(corrections keep history), evaluations on the OECD DAC criteria, incident
reports of negative side effects (never naming anyone), and the
adaptive-management rules that flag a programme for review. Writes
`taskforce.monitoring.v1`; reads the programmes and countries topics.
"""

from __future__ import annotations

from fastapi import FastAPI

from services.monitoring.api import evaluations, flags, incidents, overview, results
from services.monitoring.context import MonitoringContext
from services.monitoring.handlers import HANDLERS
from services.monitoring.settings import MonitoringSettings
from shared.service import service_app
from shared.settings import PlatformSettings


def create_app(
    settings: PlatformSettings | None = None,
    monitoring_settings: MonitoringSettings | None = None,
) -> FastAPI:
    platform = settings or PlatformSettings()
    context = MonitoringContext.create(platform, monitoring_settings)
    return service_app(
        "monitoring",
        title="Taskforce migratiesamenwerking: monitoring",
        description=DESCRIPTION,
        settings=platform,
        routers=[
            results.router,
            evaluations.router,
            incidents.router,
            flags.flags_router,
            overview.router,
            flags.rules_router,
        ],
        handlers=HANDLERS,
        context=context,
    )


DESCRIPTION = __doc__ or ""
