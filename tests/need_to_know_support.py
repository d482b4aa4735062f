"""Reading a service as one caller, keeping the request scope where the audit marks are.

The need-to-know tests of each service read the same object as several callers:
the object's owner, a participant and the secretariat (who see the text), and an
unrelated organisation and tokens without the service's scopes (who see it withheld).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from shared.audit_marks import sensitive_reads
from shared.http.auth import issue_token
from shared.need_to_know import SECRETARIAT
from shared.settings import PlatformSettings

#: (organisation, scopes, whether it reads the text)
Caller = tuple[str, tuple[str, ...], bool]


def callers(service: str, owner: str, participant: str, unrelated: str) -> list[Caller]:
    """Who reads an object of ``owner``'s with ``participant`` taking part, and who does not."""
    read, write = f"{service}:read", f"{service}:write"
    other = "countries" if service != "countries" else "programmes"
    return [
        (owner, (read,), True),
        (participant, (read,), True),
        (SECRETARIAT, (read,), True),
        (owner, (write,), True),
        (unrelated, (read, write), False),
        (owner, (), False),
        (SECRETARIAT, (), False),
        (owner, (f"{other}:read",), False),
    ]


@dataclass
class Read:
    status: int
    body: Any
    marks: list[str]


class ScopeKeepingClient:
    """GETs on the app as a given caller; each answer comes with the audit marks it made."""

    def __init__(self, app: FastAPI, settings: PlatformSettings) -> None:
        self.app = app
        self.settings = settings
        self.scopes: list[MutableMapping[str, Any]] = []

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.scopes.append(scope)
        await self.app(scope, receive, send)

    async def get(self, path: str, organisation: str, scopes: tuple[str, ...]) -> Read:
        token = issue_token(self.settings, organisation, list(scopes))
        transport = httpx.ASGITransport(app=self._app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get(f"/v1{path}", headers={"Authorization": f"Bearer {token}"})
        return Read(response.status_code, response.json(), sensitive_reads(self.scopes[-1]))


def need_to_know_properties(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(schema, property) of every property the OpenAPI document marks need-to-know."""
    return {
        (name, prop)
        for name, schema in document["components"]["schemas"].items()
        for prop, spec in schema.get("properties", {}).items()
        if spec.get("x-need-to-know")
    }
