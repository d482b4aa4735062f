"""The FastAPI dependencies every service's routes share, declared once.

A route names what it needs in its signature and FastAPI supplies it:

- ``Runtime``: the service process (database sessions, outbox, unit of work);
- ``Paging``: the ``page`` and ``pageSize`` of a list;
- ``context_of(kind)``: the service's context (settings, clock, links), which
  the service's ``app.py`` builds once and keeps as ``app.state.context``; a
  service binds it once, ``Context = Annotated[X, Depends(context_of(X))]``,
  as it binds ``Writer = Annotated[Caller, Depends(require_scope(...))]``;
- the id path and query types, with the one pattern each id has.

Every dependency here is ``async`` although it only reads app state: FastAPI
runs a plain ``def`` dependency in a worker thread, a hop that costs more than
the lookup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Query, Request

from shared.contracts.vocabulary import PROGRAMME_ID_PATTERN
from shared.http.pagination import PageParams, page_params
from shared.service import ServiceRuntime, get_runtime

C = TypeVar("C")

Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]
"""The runtime of the service handling the request."""

Paging = Annotated[PageParams, Depends(page_params)]
"""Which page of a list the caller asked for."""

ProgrammeIdPath = Annotated[
    str, Path(alias="programmeId", pattern=PROGRAMME_ID_PATTERN, description="The programme.")
]
ProgrammeIdQuery = Annotated[
    str | None,
    Query(alias="programmeId", pattern=PROGRAMME_ID_PATTERN, description="Only this programme."),
]


def context_of(kind: type[C]) -> Callable[[Request], Awaitable[C]]:
    """A dependency answering the service's context, checked to be a ``kind``."""

    async def context(request: Request) -> C:
        found = request.app.state.context
        if not isinstance(found, kind):
            raise TypeError(f"app.state.context is {type(found).__name__}, not {kind.__name__}")
        return found

    return context
