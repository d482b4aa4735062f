"""What the countries tests share: a client for the app under test, its state, request bodies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from shared.http.auth import issue_token
from shared.settings import PlatformSettings

WRITE = "countries:write"
#: Every table the service writes, so "nothing changed" can be checked whole; of the outbox,
#: what a request writes (the relay marks rows sent on its own time).
STATE = {
    table: f"SELECT * FROM {table}"
    for table in (
        "country_profile",
        "country_profile_change",
        "designation_decision",
        "partnership",
        "partnership_status_change",
        "risk_assessment",
        "country_lock",
        "outbox_sequence",
    )
} | {"outbox_message": "SELECT id, event_id, event_type, key, value FROM outbox_message"}


@dataclass(frozen=True)
class Emitted:
    """An outbox row, decoded."""

    event_id: str
    type: str
    key: str
    headers: dict[str, str]
    data: dict[str, Any]
    raw: bytes


@dataclass
class Countries:
    """The app under test and a client that talks to it in-process."""

    app: FastAPI
    settings: PlatformSettings
    client: httpx.AsyncClient

    def auth(self, organisation: str = "am", scopes: Sequence[str] = (WRITE,)) -> dict[str, str]:
        token = issue_token(self.settings, organisation, list(scopes))
        return {"Authorization": f"Bearer {token}"}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.client.get(f"/v1{path}", params=params, headers=self.auth(scopes=()))

    async def post(self, path: str, body: Any, organisation: str = "am") -> httpx.Response:
        return await self.client.post(f"/v1{path}", json=body, headers=self.auth(organisation))

    async def patch(self, path: str, body: Any, organisation: str = "am") -> httpx.Response:
        return await self.client.patch(f"/v1{path}", json=body, headers=self.auth(organisation))

    async def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table the service writes."""
        async with self.app.state.runtime.sessions() as session:
            return {
                table: [tuple(row) for row in await session.execute(text(query))]
                for table, query in STATE.items()
            }

    async def emitted(self) -> list[Emitted]:
        """The outbox, oldest first."""
        async with self.app.state.runtime.sessions() as session:
            rows = await session.execute(
                text(
                    "SELECT event_id, event_type, key, headers, value"
                    " FROM outbox_message ORDER BY id"
                )
            )
            result = []
            for event_id, type_, key, headers, value in rows:
                pairs = json.loads(headers) if isinstance(headers, str) else headers
                raw = bytes(value)
                result.append(
                    Emitted(event_id, type_, key, dict(map(tuple, pairs)), json.loads(raw), raw)
                )
            return result


# -- request bodies ------------------------------------------------------------------


def scores(transit: int = 4, origin: int = 5, bilateral: int = 4, added: int = 4) -> list[Any]:
    values = {
        "transit-country": transit,
        "country-of-origin": origin,
        "bilateral-scope": bilateral,
        "added-value-over-eu": added,
    }
    return [
        {"criterion": c, "score": s, "rationale": f"{c} scored {s}."} for c, s in values.items()
    ]


def decision(designation: str = "focus", **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "designation": designation,
        "decidedOn": "2026-05-01",
        "scores": scores(),
        "reviewDate": "2027-05-01",
    }
    return {**body, **changes}


def partnership(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Return cooperation",
        "kind": "bilateral",
        "themes": ["return-cooperation"],
        "instruments": ["migration-dialogue"],
        "leadOrganisation": "am",
        "participatingOrganisations": ["dtv", "kmar"],
        "status": "exploring",
        "statusSince": "2026-01-15",
    }
    return {**body, **changes}


def risk_item(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "category": "detention-conditions",
        "description": "Conditions in immigration detention facilities.",
        "likelihood": 4,
        "impact": 4,
        "mitigation": "Independent monitoring; conditionality of support.",
        "residualLikelihood": 3,
        "residualImpact": 3,
    }
    return {**item, **changes}


def assessment(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "phase": "periodic",
        "items": [risk_item()],
        "outcome": "proceed-with-mitigation",
        "assessedAt": "2026-06-01T10:00:00Z",
        "nextReviewDate": "2027-06-01",
    }
    return {**body, **changes}
