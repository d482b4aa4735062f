"""Budgets, transactions, and the taskforce budget frame they are set against."""

from __future__ import annotations

from services.programmes import events
from services.programmes.context import ProgrammesContext
from services.programmes.domain import lifecycle
from services.programmes.domain.budget import (
    BudgetStatement,
    Transaction,
    TransactionType,
    check_budgets,
    check_transaction,
)
from services.programmes.domain.frame import (
    YearSummary,
    excess_after_commitment,
    summarise,
    summary_years,
)
from services.programmes.domain.money import ZERO
from services.programmes.domain.rights import ProgrammeWrite
from services.programmes.service_layer.commands import ReplaceBudget
from services.programmes.service_layer.programmes import load_owned, load_programme
from services.programmes.storage import money, reviews
from services.programmes.storage import programmes as store
from shared.errors import Conflict, raise_if
from shared.unit_of_work import UnitOfWork


async def budget_statement(programme_id: str, uow: UnitOfWork) -> BudgetStatement:
    """The budget cells and what is booked on them, for a programme known to exist."""
    return BudgetStatement(
        programme_id,
        tuple(await money.budgets(uow.session, programme_id)),
        tuple(await money.transactions(uow.session, programme_id)),
    )


async def get_budget(programme_id: str, uow: UnitOfWork) -> BudgetStatement:
    await load_programme(programme_id, uow)
    return await budget_statement(programme_id, uow)


async def list_transactions(programme_id: str, uow: UnitOfWork) -> list[Transaction]:
    await load_programme(programme_id, uow)
    return await money.transactions(uow.session, programme_id)


async def replace_budget(
    command: ReplaceBudget, uow: UnitOfWork, ctx: ProgrammesContext
) -> BudgetStatement:
    """The programme's budget becomes the one sent; no cell falls below what is booked on it."""
    programme = await load_owned(
        command.programme_id, command.organisation, ProgrammeWrite.BUDGET, uow
    )
    if programme.status in lifecycle.TERMINAL:
        raise Conflict(
            f"The budget of a {lifecycle.STATUS_NAMES[programme.status]} programme is final."
        )
    booked = await money.transactions(uow.session, programme.programme_id)
    current = await money.budgets(uow.session, programme.programme_id)
    raise_if(check_budgets(programme, command.budgets, booked, current))
    await money.replace_budgets(uow.session, programme.programme_id, command.budgets)
    await store.touch(uow.session, programme.programme_id, ctx.now())
    return await budget_statement(programme.programme_id, uow)


async def book_transaction(
    new: Transaction, uow: UnitOfWork, ctx: ProgrammesContext
) -> Transaction:
    """Book a commitment or disbursement (``new.recorded_by`` acting); above the frame, alert.

    The commitment is accepted either way: the frame is a planning figure for
    the whole taskforce, not a limit on one programme. Its budget is.

    Concurrency: the programme's row lock (``load_owned``) orders the checks
    against its own budget and open review; a commitment also locks its frame
    cell (``money.lock_frame_cell``) before summing all programmes' commitments
    on it, so of two concurrent commitments that together exceed the frame the
    later one always reports it.
    """
    programme = await load_owned(new.programme_id, new.recorded_by, ProgrammeWrite.TRANSACTION, uow)
    open_review = await reviews.open_review_of(uow.session, programme.programme_id)
    check_transaction(
        programme,
        await money.budgets(uow.session, programme.programme_id),
        await money.transactions(uow.session, programme.programme_id),
        new,
        disbursements_on_hold=open_review is not None and open_review.holds_disbursements,
    )
    await money.add_transaction(uow.session, new)
    await store.touch(uow.session, programme.programme_id, ctx.now())
    if new.type is TransactionType.COMMITMENT:
        # Every programme's commitments count: the cell's lock, not the programme's, orders
        # concurrent commitments, and the sum after it sees the ones committed before.
        await money.lock_frame_cell(uow.session, new.key)
        committed = await money.booked_by_cell(
            uow.session, TransactionType.COMMITMENT, new.key.year
        )
        excess = excess_after_commitment(ctx.frame, new.key, committed.get(new.key, ZERO))
        if excess is not None:
            await uow.emit(events.frame_exceeded(programme, new, excess, ctx.links))
    return new


async def frame_summaries(
    year: int | None, uow: UnitOfWork, ctx: ProgrammesContext
) -> list[YearSummary]:
    """Framed, committed, disbursed and headroom per year (one year, or every relevant one)."""
    committed = await money.booked_by_cell(uow.session, TransactionType.COMMITMENT, year)
    disbursed = await money.booked_by_cell(uow.session, TransactionType.DISBURSEMENT, year)
    years = [year] if year is not None else summary_years(ctx.frame, [*committed, *disbursed])
    return [summarise(ctx.frame, y, committed, disbursed) for y in years]
