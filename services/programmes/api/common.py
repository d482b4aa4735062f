"""What every router of the service shares: value types and dependencies.

Refusals are :mod:`shared.errors`, raised by the domain and the use cases;
``shared.http.errors`` turns them into problem documents for every service.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Final

from fastapi import Depends
from pydantic import Field, PlainSerializer

from services.programmes.context import ProgrammesContext
from services.programmes.domain.money import CENT
from shared.http import Caller, require_scope
from shared.http.dependencies import context_of
from shared.http.errors import documented

WRITE_SCOPE: Final = "programmes:write"
DECIDE_SCOPE: Final = "programmes:decide"


def _two_decimals(value: Decimal) -> str:
    return str(value.quantize(CENT))


Money = Annotated[
    Decimal,
    PlainSerializer(_two_decimals, return_type=str, when_used="json"),
    Field(
        max_digits=14,
        decimal_places=2,
        description="Euros with at most two decimals, sent as a decimal string.",
        examples=["4000000.00"],
    ),
]
"""An amount in euros, exact: JSON strings like ``"1250000.00"`` (numbers are accepted too)."""

SignedMoney = Annotated[
    Decimal,
    PlainSerializer(_two_decimals, return_type=str, when_used="json"),
    Field(description="Euros with two decimals; negative when a frame is exceeded."),
]

Percentage = Annotated[
    Decimal,
    PlainSerializer(_two_decimals, return_type=str, when_used="json"),
    Field(
        gt=0,
        le=100,
        max_digits=5,
        decimal_places=2,
        description="Percentage with at most two decimals.",
        examples=["50.00"],
    ),
]

IndicatorValue = Annotated[
    Decimal,
    Field(max_digits=20, decimal_places=4, description="An exact indicator value."),
]


# -- dependencies -----------------------------------------------------------------

Context = Annotated[ProgrammesContext, Depends(context_of(ProgrammesContext))]
Writer = Annotated[Caller, Depends(require_scope(WRITE_SCOPE))]
Decider = Annotated[Caller, Depends(require_scope(DECIDE_SCOPE))]

CONFLICT: Final = documented(409, "The programme's current state forbids it.")
