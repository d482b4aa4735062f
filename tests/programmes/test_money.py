"""Budget arithmetic in exact decimals: budgets, transactions, the frame and its summary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.programmes.domain.budget import (
    BookingCheck,
    TransactionType,
    booked,
    budget_total,
    check_budgets,
    check_transaction,
)
from services.programmes.domain.frame import (
    BudgetFrame,
    FrameCell,
    check_frame_cells,
    excess_after_commitment,
    summarise,
)
from services.programmes.domain.money import (
    from_cents,
    is_cents,
    to_cents,
    total,
    whole_euros,
    whole_euros_up,
)
from services.programmes.settings import ProgrammesSettings
from shared.contracts.vocabulary import ActivityStatus, BudgetLine
from shared.errors import Conflict, InvalidInput
from tests.programmes.factories import budget, key, programme, transaction

COMMIT = TransactionType.COMMITMENT
DISBURSE = TransactionType.DISBURSEMENT


def test_cents_round_trip_exactly() -> None:
    assert to_cents(Decimal("1234567.89")) == 123456789
    assert from_cents(123456789) == Decimal("1234567.89")
    assert to_cents(Decimal("0.1")) + to_cents(Decimal("0.2")) == to_cents(Decimal("0.3"))
    assert total([Decimal("0.1"), Decimal("0.2")]) == Decimal("0.30")
    assert not is_cents(Decimal("0.001"))
    with pytest.raises(ValueError, match="cents"):
        to_cents(Decimal("10.005"))


def test_event_amounts_round_to_whole_euros() -> None:
    assert whole_euros(Decimal("10.49")) == 10
    assert whole_euros(Decimal("10.50")) == 11
    assert whole_euros_up(Decimal("10.01")) == 11
    assert whole_euros_up(Decimal("10.00")) == 10


def check(items: list[str], booked_items: list[str], new: str, **kwargs: object) -> BookingCheck:
    return check_transaction(
        programme(),
        [budget(a) for a in items],
        [transaction(a) for a in booked_items],
        transaction(new, **kwargs),  # type: ignore[arg-type]
        disbursements_on_hold=False,
    )


def test_a_commitment_up_to_the_exact_budget_is_accepted() -> None:
    result = check(["1000000.00"], ["999999.90"], "0.10")
    assert result.booked_after == Decimal("1000000.00")
    assert not result.exceeds_budget


def test_a_commitment_one_cent_beyond_the_budget_needs_an_override() -> None:
    with pytest.raises(InvalidInput) as refused:
        check(["1000000.00"], ["999999.90"], "0.11")
    (violation,) = refused.value.violations
    assert violation.field == "amount"
    assert "EUR 0.01 beyond its budget of EUR 1,000,000.00" in violation.reason


def test_an_override_books_beyond_the_budget() -> None:
    result = check(["100.00"], [], "150.00", override="Co-financing arrives in April")
    assert result.exceeds_budget
    assert result.booked_after - result.budgeted == Decimal("50.00")


def test_a_transaction_counts_on_its_own_year_line_and_oda_cell() -> None:
    items = [budget("100", year=2026), budget("100", year=2027)]
    with pytest.raises(InvalidInput):
        check_transaction(
            programme(),
            items,
            [],
            transaction("1", line=BudgetLine.AM),  # no A&M budget at all
            disbursements_on_hold=False,
        )
    done = check_transaction(
        programme(),
        items,
        [transaction("100")],
        transaction("100", DISBURSE),
        disbursements_on_hold=False,
    )
    assert done.booked_before == Decimal("0.00"), "disbursements are counted apart from commitments"


def test_disbursements_wait_while_a_critical_review_is_open() -> None:
    with pytest.raises(Conflict, match="on hold"):
        check_transaction(
            programme(), [budget("100")], [], transaction("1", DISBURSE), disbursements_on_hold=True
        )
    check_transaction(
        programme(), [budget("100")], [], transaction("1", COMMIT), disbursements_on_hold=True
    )


@pytest.mark.parametrize(
    ("status", "type_", "allowed"),
    [
        (ActivityStatus.PIPELINE, COMMIT, False),
        (ActivityStatus.IMPLEMENTATION, COMMIT, True),
        (ActivityStatus.IMPLEMENTATION, DISBURSE, True),
        (ActivityStatus.FINALISATION, COMMIT, False),
        (ActivityStatus.FINALISATION, DISBURSE, True),
        (ActivityStatus.SUSPENDED, DISBURSE, False),
        (ActivityStatus.CANCELLED, DISBURSE, False),
    ],
)
def test_bookings_follow_the_status(
    status: ActivityStatus, type_: TransactionType, allowed: bool
) -> None:
    def book() -> None:
        check_transaction(
            programme(status=status),
            [budget("100")],
            [],
            transaction("1", type_),
            disbursements_on_hold=False,
        )

    if allowed:
        book()
    else:
        with pytest.raises(Conflict):
            book()


def test_budgets_are_checked_as_a_whole() -> None:
    p = programme()
    items = [
        budget("100.00", year=2026),
        budget("50.00", year=2026),  # the same cell twice
        budget("10.00", year=2031),  # after the planned end
        budget("0.00", year=2027),
        budget("1.005", year=2028, line=BudgetLine.AM),
    ]
    fields = [v.field for v in check_budgets(p, items, [])]
    assert fields == [
        "budgets[1]",
        "budgets[2].year",
        "budgets[3].amount",
        "budgets[4].amount",
    ]


def test_a_budget_is_never_lowered_below_what_is_booked() -> None:
    booked_items = [transaction("600"), transaction("300", DISBURSE)]
    current = [budget("1000")]
    violations = check_budgets(programme(), [budget("500")], booked_items, current)
    assert [v.field for v in violations] == ["budgets"]
    assert "EUR 600.00 already committed" in violations[0].reason
    assert check_budgets(programme(), [budget("600")], booked_items, current) == []
    assert check_budgets(programme(), [], booked_items, current), "nor removed"
    overrun = [budget("400")]  # an override booked 600 on a budget of 400
    assert check_budgets(programme(), overrun, booked_items, overrun) == [], "kept as it is"
    assert check_budgets(programme(), [budget("500")], booked_items, overrun) == [], "raised"
    assert check_budgets(programme(), [budget("300")], booked_items, overrun), "lowered"
    assert booked(booked_items, key(), COMMIT) == Decimal("600.00")
    assert budget_total([budget("0.10"), budget("0.20", year=2027)]) == Decimal("0.30")


def frame(*cells: tuple[int, BudgetLine, bool, int]) -> BudgetFrame:
    return BudgetFrame(
        tuple(FrameCell(key(y, line, oda), Decimal(amount)) for y, line, oda, amount in cells)
    )


def test_the_frame_is_exceeded_only_above_it() -> None:
    f = frame((2026, BudgetLine.BHO, True, 1_000_000))
    assert excess_after_commitment(f, key(), Decimal("1000000.00")) is None
    excess = excess_after_commitment(f, key(), Decimal("1000000.01"))
    assert excess is not None
    assert excess.excess == Decimal("0.01")
    assert excess.budget_holder == "bz"
    unframed = excess_after_commitment(f, key(line=BudgetLine.AM, oda=False), Decimal("1"))
    assert unframed is not None and unframed.framed == 0 and unframed.budget_holder == "am"


def test_the_summary_sets_commitments_and_disbursements_against_the_frame() -> None:
    f = frame((2026, BudgetLine.BHO, True, 1_000), (2026, BudgetLine.AM, False, 500))
    summary = summarise(
        f,
        2026,
        committed={key(): Decimal("1200.50"), key(line=BudgetLine.AM, oda=True): Decimal("10")},
        disbursed={key(): Decimal("300.25")},
    )
    assert [(c.key.line, c.key.oda) for c in summary.cells] == [
        (BudgetLine.AM, False),
        (BudgetLine.AM, True),
        (BudgetLine.BHO, True),
    ]
    assert summary.framed == Decimal("1500.00")
    assert summary.committed == Decimal("1210.50")
    assert summary.disbursed == Decimal("300.25")
    assert summary.headroom == Decimal("289.50")
    bho = summary.cells[2]
    assert bho.headroom == Decimal("-200.50")
    assert summary.cells[1].framed == 0, "money without a frame is framed at zero"


def test_the_default_frame_reaches_118_million_in_2029() -> None:
    f = ProgrammesSettings().frame()
    assert f.year_total(2029) == Decimal(118_000_000)
    totals = [f.year_total(year) for year in f.years()]
    assert totals == sorted(totals), "a ramp towards 2029"
    assert {c.key.line for c in f.cells} == set(BudgetLine)
    assert {c.key.oda for c in f.cells} == {True, False}


def test_the_frame_is_configured_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "TASKFORCE_PROGRAMMES_BUDGET_FRAME",
        '[{"year": 2029, "budgetLine": "am", "oda": false, "amountEur": 7}]',
    )
    f = ProgrammesSettings().frame()
    assert f.framed(key(2029, BudgetLine.AM, False)) == Decimal(7)
    assert f.years() == [2029]


def test_a_malformed_frame_fails_at_start() -> None:
    cell = FrameCell(key(), Decimal(1))
    with pytest.raises(ValueError, match="twice"):
        check_frame_cells([cell, cell])
    with pytest.raises(ValueError, match="whole"):
        check_frame_cells([FrameCell(key(), Decimal("1.5"))])
