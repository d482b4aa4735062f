"""One service app under test, in-process: what the per-service test suites share.

Each suite's conftest subclasses ``ServiceUnderTest`` with its write scope,
default organisation and tables, and adds its own domain helpers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from shared.http.auth import issue_token
from shared.outbox import OutboxMessage
from shared.service import ServiceRuntime
from shared.settings import PlatformSettings

#: The relay marks outbox rows sent at its own pace: the rows themselves are what count.
_SNAPSHOT = {"outbox_message": "SELECT id, event_id, event_type, key, value FROM outbox_message"}


@dataclass(frozen=True)
class Emitted:
    """An event in the outbox, decoded."""

    type: str
    key: str
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.type.rsplit(".", 1)[-1]


@dataclass
class ServiceUnderTest:
    """The app under test, its settings and an in-process client."""

    write_scope: ClassVar[str]
    default_organisation: ClassVar[str] = "am"
    #: Tables compared by ``snapshot`` ("no state change and no event").
    tables: ClassVar[tuple[str, ...]] = ()

    app: FastAPI
    settings: PlatformSettings
    client: httpx.AsyncClient

    @property
    def runtime(self) -> ServiceRuntime:
        runtime: ServiceRuntime = self.app.state.runtime
        return runtime

    def auth(
        self, organisation: str | None = None, scopes: Sequence[str] | None = None
    ) -> dict[str, str]:
        token = issue_token(
            self.settings,
            organisation or self.default_organisation,
            list(scopes) if scopes is not None else [self.write_scope],
        )
        return {"Authorization": f"Bearer {token}"}

    async def emitted(self, key: str | None = None) -> list[Emitted]:
        async with self.runtime.sessions() as session:
            rows = (await session.execute(OutboxMessage.__table__.select())).all()
        found = [
            Emitted(row.event_type, row.key, json.loads(row.value))
            for row in sorted(rows, key=lambda r: r.id)
        ]
        return [e for e in found if key is None or e.key == key]

    async def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: equal snapshots mean no state change and no event."""
        async with self.runtime.sessions() as session:
            return {
                table: [
                    tuple(r)
                    for r in await session.execute(
                        text(_SNAPSHOT.get(table, f"SELECT * FROM {table}"))
                    )
                ]
                for table in self.tables
            }
