"""Money in exact decimals: euros with cents, never floats.

Amounts are ``Decimal`` in the domain and whole cents (integers) in the
database, so sums are exact on SQLite and PostgreSQL alike. Events carry whole
euros (the catalogue's ``EurAmount``); the rounding rules live here so every
event rounds the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Final

CURRENCY: Final = "EUR"
"""The only currency the taskforce budgets in (IATI ``default-currency``)."""

CENT: Final = Decimal("0.01")
ZERO: Final = Decimal("0.00")


def is_cents(amount: Decimal) -> bool:
    """True when ``amount`` is finite and has at most two decimal places."""
    return amount.is_finite() and amount == amount.quantize(CENT)


def to_cents(amount: Decimal) -> int:
    """Whole cents of an amount that has at most two decimals; anything finer is an error."""
    if not is_cents(amount):
        raise ValueError(f"{amount} is not a whole number of cents")
    return int(amount.quantize(CENT) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def total(amounts: Iterable[Decimal]) -> Decimal:
    """Exact sum, as euros with cents (``0.00`` for nothing)."""
    return sum(amounts, ZERO).quantize(CENT)


def whole_euros(amount: Decimal) -> int:
    """Nearest whole euro, halves up: how planned amounts appear in events."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def whole_euros_up(amount: Decimal) -> int:
    """Whole euros rounded up: a committed total is never reported below the frame it exceeds."""
    return int(amount.quantize(Decimal(1), rounding=ROUND_CEILING))


def euros(amount: Decimal) -> str:
    """``EUR 1,234,567.00``: for problem details people read."""
    return f"{CURRENCY} {amount.quantize(CENT):,}"
