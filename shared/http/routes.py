"""How a route that writes is declared: its method, status and documented refusals in one place.

Every service's writes follow the same conventions (NL API Design Rules): a
POST that records something new answers 201 Created, a PUT that replaces a
resource 200, and each documents the problems it may answer besides the
shared ones (a 409 when the resource's state forbids the change, a 404 for a
missing one). Declaring them through these helpers keeps the conventions in
one place and a route's declaration to what is its own::

    @creates(router, "/transactions", "bookTransaction", "Book a commitment", CONFLICT)
    async def book_transaction(...) -> TransactionOut: ...

The arguments are, in order, the router, the path, the OpenAPI operation id,
the summary and the documented refusals (``shared.http.errors.documented``).
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.types import DecoratedCallable

from shared.http.errors import Responses


def creates(
    router: APIRouter, path: str, operation_id: str, summary: str, refusals: Responses
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A POST on ``router`` that records something new: 201 Created, ``refusals`` documented."""
    return router.post(
        path, operation_id=operation_id, summary=summary, status_code=201, responses=refusals
    )


def replaces(
    router: APIRouter, path: str, operation_id: str, summary: str, refusals: Responses
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A PUT on ``router`` that replaces a resource as a whole: 200, ``refusals`` documented."""
    return router.put(path, operation_id=operation_id, summary=summary, responses=refusals)
