"""A programme's money: budgets per year, budget line and ODA flag; commitments; disbursements.

A budget line item (a *cell*) is one year on one budget line, ODA or not.
Transactions are booked against the cell of their date's year. A transaction
that would take the cell's commitments (or disbursements) above its budget is
refused unless the caller overrides explicitly, with a reason; the override is
recorded with the transaction. All arithmetic is ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import IntEnum
from uuid import UUID

from services.programmes.domain import lifecycle
from services.programmes.domain.money import ZERO, euros, is_cents, total
from services.programmes.domain.oda import check_oda
from services.programmes.domain.programme import Programme
from shared.contracts.vocabulary import ActivityStatus, BudgetLine
from shared.errors import Conflict, Violation, raise_if


class TransactionType(IntEnum):
    """IATI 2.03 TransactionType codes the taskforce books."""

    COMMITMENT = 2
    DISBURSEMENT = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class BudgetKey:
    """A cell of a budget or of the frame: year, budget line, ODA or not."""

    year: int
    line: BudgetLine
    oda: bool

    def describe(self) -> str:
        return f"{self.year} {self.line.value.upper()} {'ODA' if self.oda else 'non-ODA'}"


@dataclass(frozen=True)
class YearBudget:
    """The amount planned for one cell of a programme's budget."""

    key: BudgetKey
    amount: Decimal


@dataclass(frozen=True)
class Transaction:
    """A commitment or disbursement booked on a programme."""

    transaction_id: UUID
    programme_id: str
    type: TransactionType
    transaction_date: date
    line: BudgetLine
    oda: bool
    amount: Decimal
    recorded_by: str
    recorded_at: datetime
    description: str | None = None
    override: Override | None = None

    @property
    def key(self) -> BudgetKey:
        return BudgetKey(self.transaction_date.year, self.line, self.oda)


@dataclass(frozen=True)
class Override:
    """An explicit decision to book beyond the budget: who, when and why."""

    reason: str
    by: str
    at: datetime


def budget_total(budgets: Iterable[YearBudget]) -> Decimal:
    return total(b.amount for b in budgets)


def booked(transactions: Iterable[Transaction], key: BudgetKey, type_: TransactionType) -> Decimal:
    """What is already committed or disbursed on one cell."""
    return total(t.amount for t in transactions if t.key == key and t.type is type_)


@dataclass(frozen=True)
class BudgetStatement:
    """A programme's budget cells with what is booked on each: what its budget resource shows."""

    programme_id: str
    budgets: tuple[YearBudget, ...]
    transactions: tuple[Transaction, ...]

    @property
    def total(self) -> Decimal:
        return budget_total(self.budgets)

    def committed(self, key: BudgetKey) -> Decimal:
        return booked(self.transactions, key, TransactionType.COMMITMENT)

    def disbursed(self, key: BudgetKey) -> Decimal:
        return booked(self.transactions, key, TransactionType.DISBURSEMENT)


def check_budgets(
    programme: Programme,
    budgets: Sequence[YearBudget],
    transactions: Sequence[Transaction],
    current: Sequence[YearBudget] = (),
) -> list[Violation]:
    """Rules a programme's full budget must meet when it replaces ``current``.

    A cell may not be *lowered* below what is already booked on it; a cell an
    override already took beyond its budget may stay as it is, or be raised.
    """
    violations: list[Violation] = []
    seen: set[BudgetKey] = set()
    first, last = programme.planned_start.year, programme.planned_end.year
    for index, budget in enumerate(budgets):
        where = f"budgets[{index}]"
        if budget.key in seen:
            violations.append(Violation(where, f"{budget.key.describe()} is listed twice"))
        seen.add(budget.key)
        if not first <= budget.key.year <= last:
            violations.append(
                Violation(f"{where}.year", f"outside the planned period {first}-{last}")
            )
        if budget.amount <= ZERO or not is_cents(budget.amount):
            violations.append(Violation(f"{where}.amount", "must be positive, in whole cents"))
        violations += check_oda(programme.return_assistance, budget.key.oda, f"{where}.oda")
    planned = {b.key: b.amount for b in budgets}
    before = {b.key: b.amount for b in current}
    for type_ in TransactionType:
        for key in sorted({t.key for t in transactions if t.type is type_}):
            already = booked(transactions, key, type_)
            new = planned.get(key, ZERO)
            if already > new and new < before.get(key, ZERO):
                violations.append(
                    Violation(
                        "budgets",
                        f"{key.describe()} would fall below the {euros(already)} already "
                        f"{'committed' if type_ is TransactionType.COMMITMENT else 'disbursed'}",
                    )
                )
    return violations


#: Where each transaction type may be booked.
_BOOKABLE_IN = {
    TransactionType.COMMITMENT: frozenset({lifecycle.IMPLEMENTATION}),
    TransactionType.DISBURSEMENT: frozenset({lifecycle.IMPLEMENTATION, lifecycle.FINALISATION}),
}


@dataclass(frozen=True)
class BookingCheck:
    """Where an accepted transaction stands against its budget cell."""

    key: BudgetKey
    budgeted: Decimal
    booked_before: Decimal
    booked_after: Decimal

    @property
    def exceeds_budget(self) -> bool:
        return self.booked_after > self.budgeted


def check_transaction(
    programme: Programme,
    budgets: Sequence[YearBudget],
    transactions: Sequence[Transaction],
    new: Transaction,
    *,
    disbursements_on_hold: bool,
) -> BookingCheck:
    """Whether ``new`` may be booked, and where it leaves its cell.

    State comes first: a status that allows no such booking, or a disbursement
    hold, is a :class:`Conflict`. Then values (:class:`InvalidInput`): the ODA
    rule, whole cents, and the budget, which only an override lets it exceed.
    """
    status: ActivityStatus = programme.status
    if status not in _BOOKABLE_IN[new.type]:
        raise Conflict(
            f"A {new.type.label} cannot be booked while the programme is "
            f"{lifecycle.STATUS_NAMES[status]}."
        )
    if new.type is TransactionType.DISBURSEMENT and disbursements_on_hold:
        raise Conflict(
            "Disbursements are on hold: a review with a critical trigger is open on this "
            "programme. They resume when the review is decided."
        )
    budgeted = next((b.amount for b in budgets if b.key == new.key), ZERO)
    before = booked(transactions, new.key, new.type)
    check = BookingCheck(new.key, budgeted, before, before + new.amount)
    violations = check_oda(programme.return_assistance, new.oda, "oda")
    if new.amount <= ZERO or not is_cents(new.amount):
        violations.append(Violation("amount", "must be positive, in whole cents"))
    elif check.exceeds_budget and new.override is None:
        over = check.booked_after - budgeted
        violations.append(
            Violation(
                "amount",
                f"takes the {new.type.label}s on {new.key.describe()} to "
                f"{euros(check.booked_after)}, {euros(over)} beyond its budget of "
                f"{euros(budgeted)}; send an override with a reason to book it anyway",
            )
        )
    raise_if(violations)
    return check
