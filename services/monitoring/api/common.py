"""What every router of the service shares: its dependencies and value types.

Refusals are :mod:`shared.errors`, raised by the domain and the use cases;
``shared.http.errors`` turns them into problem documents for every service.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final

from fastapi import Depends, Query
from pydantic import Field

from services.monitoring.context import MonitoringContext
from shared.contracts.vocabulary import PROGRAMME_ID_PATTERN
from shared.http import Caller, require_scope
from shared.http.dependencies import Paging, ProgrammeIdPath, Runtime, context_of
from shared.http.errors import NOT_FOUND, documented

WRITE_SCOPE: Final = "monitoring:write"

Context = Annotated[MonitoringContext, Depends(context_of(MonitoringContext))]
Writer = Annotated[Caller, Depends(require_scope(WRITE_SCOPE))]

ProgrammeFilter = Annotated[str | None, Query(alias="programmeId", pattern=PROGRAMME_ID_PATTERN)]
"""Only this programme's objects (a list's ``programmeId`` query parameter)."""

INDICATOR_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,63}$"

IndicatorValue = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=4, description="An exact indicator value."),
]

#: A result exists already for the period (recording a second one is a correction).
CONFLICT: Final = documented(409, "It exists already.")

__all__ = [
    "CONFLICT",
    "INDICATOR_ID_PATTERN",
    "NOT_FOUND",
    "WRITE_SCOPE",
    "Context",
    "IndicatorValue",
    "Paging",
    "ProgrammeFilter",
    "ProgrammeIdPath",
    "Runtime",
    "Writer",
]
