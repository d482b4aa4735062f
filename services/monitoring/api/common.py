"""What every router of the service shares: dependencies, value types and errors."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Final

from fastapi import Depends, FastAPI, Path, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from services.monitoring.context import MonitoringContext
from services.monitoring.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from shared.http import Caller, InvalidParam, Problem, ProblemDetails, require_scope
from shared.http.problems import default_problem_type
from shared.service import ServiceRuntime, get_runtime

WRITE_SCOPE: Final = "monitoring:write"

Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]


async def get_context(request: Request) -> MonitoringContext:
    context: MonitoringContext = request.app.state.monitoring
    return context


Context = Annotated[MonitoringContext, Depends(get_context)]
Writer = Annotated[Caller, Depends(require_scope(WRITE_SCOPE))]
ProgrammeIdPath = Annotated[
    str,
    Path(
        alias="programmeId",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="The programme.",
    ),
]
IndicatorValue = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=4, description="An exact indicator value."),
]

NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ProblemDetails, "description": "No such resource."}
}
CONFLICT: Final[dict[int | str, dict[str, Any]]] = {
    409: {"model": ProblemDetails, "description": "It exists already."}
}


class Conflict(DomainError):
    title = "Conflict with the current state"


#: Any other domain error is a conflict with the current state (409).
_STATUS: Final[dict[type[DomainError], int]] = {InvalidInput: 422, NotFound: 404, Forbidden: 403}


def problem_of(error: DomainError) -> Problem:
    status = next((s for kind, s in _STATUS.items() if isinstance(error, kind)), 409)
    return Problem(
        status=status,
        title=error.title,
        type=default_problem_type(status),
        detail=error.detail,
        invalid_params=[
            InvalidParam(name=v.field, location="body", reason=v.reason) for v in error.violations
        ],
    )


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem_of(exc).to_response(request)


def install_domain_errors(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)
