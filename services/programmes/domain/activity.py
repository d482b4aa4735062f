"""A programme as one IATI activity: everything its ``iati-activity`` element is written from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.programmes.domain.budget import Transaction, YearBudget
from services.programmes.domain.programme import Programme
from services.programmes.domain.results import Indicator


@dataclass(frozen=True)
class ActivityRecord:
    """The programme with its budgets, transactions and results framework."""

    programme: Programme
    budgets: Sequence[YearBudget]
    transactions: Sequence[Transaction]
    indicators: Sequence[Indicator]
