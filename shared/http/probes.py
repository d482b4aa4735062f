"""Liveness (``/health``) and readiness (``/ready``) endpoints.

Liveness says only that the process answers, so an orchestrator restarts it when
it does not; it must never depend on the database or Kafka, or an outage of those
would restart every service in a loop. Readiness asks the service's own checks
(database, Kafka, ...) so that traffic is held back until they pass.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.http.problems import Problem, ProblemDetails

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]

#: A readiness probe that hangs is as good as a failed one; orchestrators time out too.
READINESS_TIMEOUT_S: Final = 5.0

logger = logging.getLogger(__name__)


class Health(BaseModel):
    status: Literal["up"] = "up"


_CHECKS_DESCRIPTION: Final = "Each dependency checked, and whether it is reachable."


class Readiness(BaseModel):
    status: Literal["up"] = "up"
    checks: dict[str, bool] = Field(description=_CHECKS_DESCRIPTION)


class ReadinessProblem(ProblemDetails):
    checks: dict[str, bool] = Field(description=_CHECKS_DESCRIPTION)


async def _run_checks(readiness: ReadinessCheck | None) -> tuple[dict[str, bool], str | None]:
    """The checks' outcome, and why readiness could not be established at all."""
    if readiness is None:
        return {}, None
    try:
        checks = await asyncio.wait_for(readiness(), timeout=READINESS_TIMEOUT_S)
    except TimeoutError:
        return {}, f"the readiness checks did not finish within {READINESS_TIMEOUT_S:g} s"
    except Exception:
        logger.exception("readiness check failed")
        return {}, "the readiness checks failed"
    return {name: bool(ok) for name, ok in checks.items()}, None


def probe_router(readiness: ReadinessCheck | None, *, include_in_schema: bool) -> APIRouter:
    """A router with ``/health`` and ``/ready``; mounted at the root and under ``/v1``."""
    router = APIRouter(tags=["Health"], include_in_schema=include_in_schema)

    @router.get(
        "/health",
        operation_id="getHealth",
        summary="Is the process alive?",
        response_model=Health,
    )
    async def health() -> Health:
        return Health()

    not_ready: dict[int | str, dict[str, Any]] = {
        503: {"model": ReadinessProblem, "description": "A dependency is not reachable."}
    }

    @router.get(
        "/ready",
        operation_id="getReadiness",
        summary="Can the service take traffic?",
        response_model=Readiness,
        responses=not_ready,
    )
    async def ready(request: Request) -> Readiness | JSONResponse:
        checks, failure = await _run_checks(readiness)
        failing = sorted(name for name, ok in checks.items() if not ok)
        if failure is None and not failing:
            return Readiness(checks=checks)
        detail = failure or "Not reachable: " + ", ".join(failing) + "."
        return Problem(
            status=503, title="Not ready", detail=detail, extensions={"checks": checks}
        ).to_response(request)

    return router
