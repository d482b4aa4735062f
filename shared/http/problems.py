"""Errors as RFC 9457 problem details (NL API Design Rules /core/error-handling).

Every error a service returns, whether raised on purpose (:class:`Problem`),
by the framework (``HTTPException``, 404, 405), by input validation, or by a bug,
leaves as ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and ``instance``. Input that cannot be read (malformed JSON, a query or
path parameter of the wrong form) is a 400; a well-formed body whose values break
the rules (out of range, unknown code, dates in the wrong order) is a 422. Both
list each invalid parameter (/core/error-handling/invalid-input).

Details are written for the caller: they never carry exception text of unexpected
errors, request bodies or credentials. They are bounded, whatever the input: at most
:data:`MAX_INVALID_PARAMS` entries, each name, reason and detail cut to a fixed
length, so a huge or deeply wrong body never comes back as a huge answer.

A resource the service cannot render from what it stored (a response model refusing
it: FastAPI's ``ResponseValidationError``; stored data refused on loading:
:class:`StoredDataUnreadable`, see :func:`shared.http.models.from_storage`) is the
service's fault: a logged 500, never a 422 that blames the caller. The log has the
failing locations and messages; the answer has neither.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError, ResponseValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"

logger = logging.getLogger(__name__)

# Status codes defined in RFC 9110 get their section as problem type; others use
# "about:blank", which RFC 9457 says means "nothing beyond the status code".
_RFC9110_STATUSES: Final = frozenset([*range(400, 418), 421, 422, 426, *range(500, 506)])

#: Bounds of an error document: enough to fix a request, never a copy of a huge one.
MAX_INVALID_PARAMS: Final = 50
MAX_NAME_CHARS: Final = 200
MAX_REASON_CHARS: Final = 500
MAX_DETAIL_CHARS: Final = 2000


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def default_problem_type(status: int) -> str:
    if status in _RFC9110_STATUSES:
        return f"https://www.rfc-editor.org/rfc/rfc9110#status.{status}"
    return "about:blank"


def status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class InvalidParam(BaseModel):
    """One invalid input parameter: where it is and why it was rejected."""

    model_config = ConfigDict(populate_by_name=True)

    name: str = Field(description="The parameter or field, e.g. `pageSize` or `budgets[0].amount`.")
    location: str | None = Field(
        default=None,
        alias="in",
        description="Where the parameter was sent: `query`, `path`, `header`, `cookie` or `body`.",
    )
    reason: str = Field(description="Why the value was rejected.")


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as every error response of the platform carries them."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI identifying the problem type.")
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="The HTTP status code.", ge=400, le=599)
    detail: str = Field(description="Explanation specific to this occurrence.")
    instance: str = Field(description="URI reference of this occurrence (the request path).")
    invalidParams: list[InvalidParam] | None = Field(
        default=None, description="For invalid input (400, 422): each invalid parameter."
    )


class StoredDataUnreadable(Exception):
    """Stored data that its model refuses: the service's fault, answered with a logged 500."""

    def __init__(self, model: str, errors: Sequence[Mapping[str, Any]]) -> None:
        self.model = model
        self.errors = list(errors)
        super().__init__(f"stored {model} is unreadable ({len(self.errors)} errors)")


class Problem(Exception):
    """Raise to answer with a problem-details response.

    ``raise Problem(status=409, title="Programme closed", detail="...")``. The
    ``title`` defaults to the HTTP reason phrase; ``extensions`` become extra
    members of the document (RFC 9457 section 3.2).
    """

    def __init__(
        self,
        *,
        status: int,
        detail: str,
        title: str | None = None,
        type: str | None = None,
        headers: Mapping[str, str] | None = None,
        invalid_params: Sequence[InvalidParam] = (),
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"a problem has a 4xx or 5xx status, not {status}")
        self.status = status
        self.title = clip(title or status_phrase(status), MAX_NAME_CHARS)
        self.detail = clip(detail, MAX_DETAIL_CHARS)
        self.type = type or default_problem_type(status)
        self.headers = dict(headers or {})
        self.invalid_params = [_bounded(p) for p in invalid_params[:MAX_INVALID_PARAMS]]
        if len(invalid_params) > MAX_INVALID_PARAMS:
            omitted = len(invalid_params) - MAX_INVALID_PARAMS
            self.detail = clip(f"{self.detail} ({omitted} more not listed.)", MAX_DETAIL_CHARS)
        self.extensions = dict(extensions or {})
        super().__init__(f"{status} {self.title}: {detail}")

    def body(self, instance: str) -> dict[str, Any]:
        document: dict[str, Any] = {
            **self.extensions,
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": clip(instance, MAX_DETAIL_CHARS),
        }
        if self.invalid_params:
            document["invalidParams"] = [
                p.model_dump(by_alias=True, exclude_none=True) for p in self.invalid_params
            ]
        return document

    def to_response(self, request: Request) -> JSONResponse:
        return JSONResponse(
            self.body(request.url.path),
            status_code=self.status,
            headers=self.headers,
            media_type=PROBLEM_MEDIA_TYPE,
        )


def _bounded(param: InvalidParam) -> InvalidParam:
    if len(param.name) <= MAX_NAME_CHARS and len(param.reason) <= MAX_REASON_CHARS:
        return param
    return param.model_copy(
        update={
            "name": clip(param.name, MAX_NAME_CHARS),
            "reason": clip(param.reason, MAX_REASON_CHARS),
        }
    )


# --- translating errors -----------------------------------------------------------


def _field_name(loc: Sequence[str | int]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name


_LOCATIONS: Final = frozenset({"query", "path", "header", "cookie", "body"})


def invalid_params_of(errors: Sequence[Mapping[str, Any]]) -> list[InvalidParam]:
    """Turn pydantic/FastAPI error dicts into ``invalidParams`` entries.

    The offending input value is deliberately left out: it may be large or secret.
    """
    params: list[InvalidParam] = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        location: str | None = None
        if loc and loc[0] in _LOCATIONS:
            location, loc = str(loc[0]), loc[1:]
        if error.get("type") == "json_invalid":
            loc = ()
        name = _field_name(loc) or (location or "request")
        params.append(InvalidParam(name=name, location=location, reason=str(error.get("msg", ""))))
    return params


def _unreadable(errors: Sequence[Mapping[str, Any]]) -> bool:
    """Malformed JSON or bad parameters make a request unreadable (400), not just invalid."""
    return any(
        error.get("type") == "json_invalid" or tuple(error.get("loc", ("body",)))[:1] != ("body",)
        for error in errors
    )


def _invalid_input(
    request: Request, errors: Sequence[Mapping[str, Any]], *, status: int
) -> JSONResponse:
    params = invalid_params_of(errors[:MAX_INVALID_PARAMS])
    names = ", ".join(dict.fromkeys(clip(p.name, MAX_NAME_CHARS) for p in params))
    if len(errors) > MAX_INVALID_PARAMS:
        names += f" and {len(errors) - MAX_INVALID_PARAMS} more"
    return Problem(
        status=status,
        title="Invalid input",
        detail=f"The request has invalid parameters: {names}.",
        invalid_params=params,
    ).to_response(request)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return exc.to_response(request)


async def _on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    return _invalid_input(request, errors, status=400 if _unreadable(errors) else 422)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    errors = exc.errors(include_input=False, include_url=False)
    # Raised by domain code on values that passed the schema: the values are the problem.
    return _invalid_input(request, errors, status=422)


async def _on_response_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ResponseValidationError)
    errors = [
        {"loc": e.get("loc", ()), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return _unrenderable(request, "response", errors)


async def _on_stored_data_unreadable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StoredDataUnreadable)
    return _unrenderable(request, f"stored {exc.model}", exc.errors)


def _unrenderable(
    request: Request, model: str, errors: Sequence[Mapping[str, Any]]
) -> JSONResponse:
    """A logged 500 for a resource the service holds but cannot show: never the caller's fault.

    The log names the model, the failing locations and the messages (no values: they
    may be large or personal); the caller gets the same answer as for any other bug.
    """
    logger.error(
        "%s %s: could not render %s (%d errors): %s",
        request.method,
        request.url.path,
        model,
        len(errors),
        "; ".join(
            f"{_field_name(tuple(e.get('loc', ())))}: {clip(str(e.get('msg', '')), 200)}"
            for e in errors[:MAX_INVALID_PARAMS]
        ),
    )
    return Problem(
        status=500,
        detail="The server could not show the resource. The error has been logged.",
    ).to_response(request)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    phrase = status_phrase(status)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    path = request.url.path
    if detail is None and status == 404:
        detail = f"There is no resource at {path}."
        if path.endswith("/") and path != "/":
            detail += f" URIs have no trailing slash: try {path.rstrip('/')}."
    elif detail is None and status == 405:
        detail = f"{request.method} is not supported on {path}."
    return Problem(
        status=status, title=phrase, detail=detail or phrase, headers=exc.headers
    ).to_response(request)


async def _on_unhandled(request: Request, exc: Exception) -> JSONResponse:
    # Starlette's ServerErrorMiddleware calls this, outside the user middleware,
    # and re-raises afterwards so the server logs the traceback: so set the
    # API-Version header here and do not log a second time.
    response = Problem(
        status=500,
        detail="The server could not handle the request. The error has been logged.",
    ).to_response(request)
    version = getattr(request.app.state, "api_version", None)
    if version:
        response.headers["API-Version"] = version
    return response


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a problem-details response."""
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(ValidationError, _on_validation)
    app.add_exception_handler(ResponseValidationError, _on_response_validation)
    app.add_exception_handler(StoredDataUnreadable, _on_stored_data_unreadable)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(Exception, _on_unhandled)
