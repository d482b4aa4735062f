"""Domain errors as problem documents: the one place a refusal becomes HTTP.

Every service's app installs this (``create_api`` does), so a use case raises
:mod:`shared.errors` and never builds a response: 422 with ``invalidParams``
naming each field, 403, 404 or 409, each with its title and the detail the
domain wrote.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from shared.errors import DomainError
from shared.http.problems import InvalidParam, Problem, ProblemDetails, default_problem_type


def problem_of(error: DomainError) -> Problem:
    """The problem document that answers ``error``."""
    return Problem(
        status=error.status,
        title=error.title,
        type=default_problem_type(error.status),
        detail=error.detail,
        invalid_params=[
            InvalidParam(name=v.field, location=v.location, reason=v.reason)
            for v in error.violations
        ],
    )


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, DomainError):  # registered for DomainError only
        raise exc
    return problem_of(exc).to_response(request)


def install_domain_errors(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _on_domain_error)


Responses = dict[int | str, dict[str, Any]]


def documented(status: int, description: str) -> Responses:
    """An OpenAPI ``responses`` entry for ``status`` answered with a problem document."""
    return {status: {"model": ProblemDetails, "description": description}}


NOT_FOUND: Final[Responses] = documented(404, "No such resource.")
CONFLICT: Final[Responses] = documented(409, "The resource's current state forbids it.")
