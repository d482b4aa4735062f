"""Locks that order concurrent changes on one country (PostgreSQL; SQLite has one writer).

Designation decisions and risk assessments are read-then-write: each reads the
country's (or the track's) current one, judges the new one against it and
makes the new one current. Under READ COMMITTED two concurrent ones would both
read the same current one: two decisions numbered alike (the unique key then
fails the second with a 409), or two assessments both left current. So both
use cases first take :func:`lock_country` (so does a profile patch, a merge on
the revision it read), and partnership edits and moves
lock the track's row (``partnerships.find_partnership(..., for_update=True)``).
"""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.countries.storage.tables import CountryLockRow


async def lock_country(session: AsyncSession, country_code: str) -> None:
    """Hold the country for the rest of the transaction (its lock row made when new).

    An upsert whose update changes nothing: it takes the row lock whether the
    row was there or is inserted now, so a second decision on the country
    waits for the first to commit, then reads it as the current one.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(CountryLockRow).values(country_code=country_code)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CountryLockRow.country_code],
            set_={"country_code": statement.excluded.country_code},
        )
    )
