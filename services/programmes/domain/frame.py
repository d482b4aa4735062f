"""The taskforce budget frame: what may be committed per year, budget line and ODA flag.

The frame is configuration (see ``services.programmes.settings``), in whole
euros. The summary of a year sets it against what all programmes together
have committed and disbursed; headroom is the frame minus the commitments
(negative when the frame is exceeded). A commitment that leaves a cell above
its frame is still booked, but the finance owner of the budget line is told.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from services.programmes.domain.budget import BudgetKey
from services.programmes.domain.money import ZERO, total
from shared.contracts.vocabulary import BudgetLine

#: The ministry that holds each budget line: the finance owner alerted when it is exceeded.
BUDGET_HOLDERS: Final[Mapping[BudgetLine, str]] = {BudgetLine.BHO: "bz", BudgetLine.AM: "am"}


@dataclass(frozen=True)
class FrameCell:
    key: BudgetKey
    amount: Decimal


@dataclass(frozen=True)
class BudgetFrame:
    """The frame's cells; a cell that is not configured frames nothing (zero)."""

    cells: tuple[FrameCell, ...]

    def framed(self, key: BudgetKey) -> Decimal:
        return next((cell.amount for cell in self.cells if cell.key == key), ZERO)

    def years(self) -> list[int]:
        return sorted({cell.key.year for cell in self.cells})

    def year_total(self, year: int) -> Decimal:
        return total(cell.amount for cell in self.cells if cell.key.year == year)


@dataclass(frozen=True)
class CellSummary:
    key: BudgetKey
    framed: Decimal
    committed: Decimal
    disbursed: Decimal

    @property
    def headroom(self) -> Decimal:
        return self.framed - self.committed


@dataclass(frozen=True)
class YearSummary:
    year: int
    cells: tuple[CellSummary, ...]

    @property
    def framed(self) -> Decimal:
        return total(cell.framed for cell in self.cells)

    @property
    def committed(self) -> Decimal:
        return total(cell.committed for cell in self.cells)

    @property
    def disbursed(self) -> Decimal:
        return total(cell.disbursed for cell in self.cells)

    @property
    def headroom(self) -> Decimal:
        return self.framed - self.committed


def summarise(
    frame: BudgetFrame,
    year: int,
    committed: Mapping[BudgetKey, Decimal],
    disbursed: Mapping[BudgetKey, Decimal],
) -> YearSummary:
    """One year: every framed cell, plus any cell with money but no frame (framed at zero)."""
    keys: set[BudgetKey] = {cell.key for cell in frame.cells if cell.key.year == year}
    keys |= {key for key in (*committed, *disbursed) if key.year == year}
    cells = tuple(
        CellSummary(
            key,
            frame.framed(key),
            committed.get(key, ZERO),
            disbursed.get(key, ZERO),
        )
        for key in sorted(keys)
    )
    return YearSummary(year, cells)


def summary_years(frame: BudgetFrame, booked_keys: Iterable[BudgetKey]) -> list[int]:
    """The years a summary covers: framed years and years with bookings."""
    return sorted(set(frame.years()) | {key.year for key in booked_keys})


@dataclass(frozen=True)
class FrameExcess:
    """A cell whose commitments are above its frame, and by how much."""

    key: BudgetKey
    framed: Decimal
    committed: Decimal

    @property
    def excess(self) -> Decimal:
        return self.committed - self.framed

    @property
    def budget_holder(self) -> str:
        return BUDGET_HOLDERS[self.key.line]


def excess_after_commitment(
    frame: BudgetFrame, key: BudgetKey, committed_after: Decimal
) -> FrameExcess | None:
    """The excess a commitment leaves on its cell, or ``None`` while within the frame.

    Every commitment that leaves the cell above its frame reports it: the first
    pushes the year over, each later one adds to the excess the owners must cover.
    """
    framed = frame.framed(key)
    if committed_after <= framed:
        return None
    return FrameExcess(key, framed, committed_after)


def check_frame_cells(cells: Sequence[FrameCell]) -> None:
    """Configuration errors fail loudly at start: duplicates, negatives, cents."""
    seen: set[BudgetKey] = set()
    for cell in cells:
        if cell.key in seen:
            raise ValueError(f"the budget frame lists {cell.key.describe()} twice")
        seen.add(cell.key)
        if cell.amount < 0 or cell.amount != cell.amount.to_integral_value():
            raise ValueError(f"the frame of {cell.key.describe()} must be whole, positive euros")
