"""Budgets and transactions in the database, and the sums the budget frame is set against.

Concurrency: the frame is set against every programme's commitments on a cell,
so the lock of one programme is not enough to decide ``budget-frame-exceeded``.
A commitment first locks its cell's row in ``budget_frame_cell``
(:func:`lock_frame_cell`), then sums the cell: a second commitment to the same
cell waits for the first to commit, and under READ COMMITTED its sum (a later
statement, a later snapshot) includes the first one's amount. Commitments to
other cells, and disbursements, do not wait.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.programmes.domain.budget import (
    BudgetKey,
    Override,
    Transaction,
    TransactionType,
    YearBudget,
)
from services.programmes.domain.money import from_cents, to_cents
from services.programmes.storage.tables import BudgetRow, FrameCellRow, TransactionRow
from shared.contracts.vocabulary import BudgetLine
from shared.http.times import as_utc


async def budgets(session: AsyncSession, programme_id: str) -> list[YearBudget]:
    rows = await session.scalars(
        select(BudgetRow)
        .where(BudgetRow.programme_id == programme_id)
        .order_by(BudgetRow.year, BudgetRow.budget_line, BudgetRow.oda.desc())
    )
    return [
        YearBudget(BudgetKey(r.year, BudgetLine(r.budget_line), r.oda), from_cents(r.amount_cents))
        for r in rows
    ]


async def replace_budgets(
    session: AsyncSession, programme_id: str, items: Sequence[YearBudget]
) -> None:
    await session.execute(delete(BudgetRow).where(BudgetRow.programme_id == programme_id))
    session.add_all(
        BudgetRow(
            programme_id=programme_id,
            year=b.key.year,
            budget_line=b.key.line.value,
            oda=b.key.oda,
            amount_cents=to_cents(b.amount),
        )
        for b in items
    )
    await session.flush()


def _transaction_of(row: TransactionRow) -> Transaction:
    override = None
    if row.override_reason is not None and row.override_by and row.override_at:
        override = Override(row.override_reason, row.override_by, as_utc(row.override_at))
    return Transaction(
        transaction_id=row.transaction_id,
        programme_id=row.programme_id,
        type=TransactionType(row.type),
        transaction_date=row.transaction_date,
        line=BudgetLine(row.budget_line),
        oda=row.oda,
        amount=from_cents(row.amount_cents),
        recorded_by=row.recorded_by,
        recorded_at=as_utc(row.recorded_at),
        description=row.description,
        override=override,
    )


async def transactions(session: AsyncSession, programme_id: str) -> list[Transaction]:
    rows = await session.scalars(
        select(TransactionRow)
        .where(TransactionRow.programme_id == programme_id)
        .order_by(TransactionRow.transaction_date, TransactionRow.recorded_at)
    )
    return [_transaction_of(row) for row in rows]


async def add_transaction(session: AsyncSession, transaction: Transaction) -> None:
    override = transaction.override
    session.add(
        TransactionRow(
            transaction_id=transaction.transaction_id,
            programme_id=transaction.programme_id,
            type=int(transaction.type),
            transaction_date=transaction.transaction_date,
            year=transaction.transaction_date.year,
            budget_line=transaction.line.value,
            oda=transaction.oda,
            amount_cents=to_cents(transaction.amount),
            description=transaction.description,
            recorded_by=transaction.recorded_by,
            recorded_at=transaction.recorded_at,
            override_reason=override.reason if override else None,
            override_by=override.by if override else None,
            override_at=override.at if override else None,
        )
    )
    await session.flush()


async def lock_frame_cell(session: AsyncSession, key: BudgetKey) -> None:
    """Hold the frame cell ``key`` for the rest of the transaction (its row made when new).

    An upsert whose update changes nothing: on PostgreSQL it takes the row lock
    whether the row was there or is inserted now (a concurrent insert of the same
    cell waits on the key), so commitments to one cell are judged in turn. SQLite
    serialises writers anyway; there it only keeps the row.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(FrameCellRow).values(year=key.year, budget_line=key.line.value, oda=key.oda)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[FrameCellRow.year, FrameCellRow.budget_line, FrameCellRow.oda],
            set_={"year": statement.excluded.year},
        )
    )


async def booked_by_cell(
    session: AsyncSession, type_: TransactionType, year: int | None = None
) -> dict[BudgetKey, Decimal]:
    """All programmes' commitments or disbursements per frame cell (exact: integer cents)."""
    statement = (
        select(
            TransactionRow.year,
            TransactionRow.budget_line,
            TransactionRow.oda,
            func.sum(TransactionRow.amount_cents),
        )
        .where(TransactionRow.type == int(type_))
        .group_by(TransactionRow.year, TransactionRow.budget_line, TransactionRow.oda)
    )
    if year is not None:
        statement = statement.where(TransactionRow.year == year)
    rows = await session.execute(statement)
    return {
        BudgetKey(y, BudgetLine(line), bool(oda)): from_cents(int(cents))
        for y, line, oda, cents in rows
    }
