"""The audit trail at the HTTP edge: what is recorded for writes, refusals and marked reads,
who may read it, and that a change's record commits with the change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.audit import middleware as audit_middleware
from shared.audit.api import router as audit_router
from shared.audit.context import current_trace_id
from shared.audit_marks import mark_sensitive_read
from shared.db import make_engine, make_session_factory
from shared.http import AuthenticatedCaller, Caller, Problem, create_api, issue_token, require_scope
from shared.migrate import upgrade
from shared.settings import PlatformSettings
from shared.unit_of_work import unit_of_work
from tests.databases import TestDatabases

SECRET = "audit-tests-" + "s" * 40
Writer = Annotated[Caller, Depends(require_scope("things:write"))]


@dataclass
class Runtime:
    """The part of a service runtime the audit trail uses: its name and its database."""

    service: str
    sessions: async_sessionmaker[AsyncSession]


def things_router() -> APIRouter:
    router = APIRouter(prefix="/things")

    def sessions(request: Request) -> async_sessionmaker[AsyncSession]:
        runtime: Runtime = request.app.state.runtime
        return runtime.sessions

    @router.post("", status_code=201)
    async def create(caller: Writer, request: Request) -> dict[str, str]:
        async with unit_of_work(sessions(request), None):
            pass
        return {"by": caller.organisation}

    @router.post("/{thing}/refusals", status_code=201)
    async def refuse(thing: str, caller: Writer, request: Request) -> None:
        async with unit_of_work(sessions(request), None):
            raise Problem(status=409, detail="The thing is closed.")

    @router.post("/{thing}/crashes", status_code=201)
    async def crash(thing: str, caller: Writer, request: Request) -> None:
        async with unit_of_work(sessions(request), None):
            pass
        raise RuntimeError("after the commit")

    @router.get("/{thing}")
    async def read(thing: str, caller: AuthenticatedCaller, request: Request) -> dict[str, str]:
        mark_sensitive_read(request.scope, f"incident/{thing}")
        mark_sensitive_read(request.scope, f"incident/{thing}/summary")
        return {"summary": "need-to-know text"}

    return router


@dataclass
class Harness:
    app: FastAPI
    settings: PlatformSettings
    sessions: async_sessionmaker[AsyncSession]

    def client(self, address: str = "10.1.2.3") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(
            app=self.app, client=(address, 40000), raise_app_exceptions=False
        )
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    def token(self, organisation: str = "bz", scopes: tuple[str, ...] = ("things:write",)) -> str:
        return issue_token(self.settings, organisation, scopes, person=f"person@{organisation}")

    def auth(
        self, organisation: str = "bz", scopes: tuple[str, ...] = ("things:write",)
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(organisation, scopes)}"}

    async def records(self) -> list[dict[str, Any]]:
        """The trail as stored, read past the service's own code."""
        async with self.sessions() as session:
            rows = await session.execute(text("SELECT * FROM audit_record ORDER BY seq"))
            return [dict(row._mapping) for row in rows]


async def harness(
    tmp_path: Path, database: TestDatabases, **settings: Any
) -> AsyncIterator[Harness]:
    url = database.url_for("things", tmp_path)
    await asyncio.to_thread(upgrade, "countries", url)
    engine = make_engine(url)
    config = PlatformSettings(var_dir=tmp_path, jwt_secret=SECRET, **settings)
    app = create_api(
        service="countries",
        title="Things",
        description="d",
        version="1.0.0",
        settings=config,
        routers=[things_router(), audit_router],
    )
    sessions = make_session_factory(engine)
    app.state.runtime = Runtime("countries", sessions)
    try:
        yield Harness(app, config, sessions)
    finally:
        await engine.dispose()


@pytest.fixture
async def trail(tmp_path: Path, database: TestDatabases) -> AsyncIterator[Harness]:
    async for made in harness(tmp_path, database):
        yield made


async def test_a_write_is_recorded_once_with_actor_organisation_and_token_id(
    trail: Harness,
) -> None:
    token = trail.token("ind")
    async with trail.client() as client:
        response = await client.post(
            "/v1/things",
            headers={"Authorization": f"Bearer {token}"},
            json={"secret": "body-text-never-recorded"},
        )
    assert response.status_code == 201
    [record] = await trail.records()
    assert record["kind"] == "write"
    assert record["actor"] == "person@ind" and record["organisation"] == "ind"
    assert record["action"] == "POST /v1/things" and record["object"] == "/v1/things"
    assert record["result"] == 201 and record["origin"] == "10.1.2.3"
    assert record["token_id"] and record["service"] == "countries"
    flat = " ".join(str(value) for value in record.values())
    assert token not in flat and token.split(".")[2] not in flat
    assert "body-text-never-recorded" not in flat


async def test_the_record_of_a_change_commits_with_the_change(
    trail: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if nothing runs after the response (a crash), the change has its record."""

    async def crashed(*args: Any) -> None:
        return None

    monkeypatch.setattr(audit_middleware.AuditMiddleware, "_record", crashed)
    async with trail.client() as client:
        assert (await client.post("/v1/things", headers=trail.auth())).status_code == 201
    assert [r["result"] for r in await trail.records()] == [201]


async def test_a_refused_write_is_recorded_with_its_answer(trail: Harness) -> None:
    async with trail.client() as client:
        response = await client.post("/v1/things/t1/refusals", headers=trail.auth())
    assert response.status_code == 409
    [record] = await trail.records()
    assert (record["kind"], record["result"]) == ("write", 409)
    assert record["action"] == "POST /v1/things/{thing}/refusals"
    assert record["object"] == "/v1/things/t1/refusals"


async def test_a_committed_change_whose_answer_failed_is_recorded_twice(trail: Harness) -> None:
    async with trail.client() as client:
        response = await client.post("/v1/things/t1/crashes", headers=trail.auth())
    assert response.status_code == 500
    assert [(r["kind"], r["result"]) for r in await trail.records()] == [
        ("write", 201),
        ("write", 500),
    ]


async def test_refusals_are_recorded(trail: Harness) -> None:
    async with trail.client() as client:
        assert (await client.post("/v1/things")).status_code == 401
        bad = {"Authorization": "Bearer not-a-token"}
        assert (await client.get("/v1/things/t1", headers=bad)).status_code == 401
        weak = trail.auth("coa", ("things:read",))
        assert (await client.post("/v1/things", headers=weak)).status_code == 403
        assert (await client.get("/v1/nothing-here", headers=weak)).status_code == 404
    records = await trail.records()
    assert [(r["kind"], r["result"]) for r in records] == [
        ("denied", 401),
        ("denied", 401),
        ("denied", 403),
        ("denied", 404),
    ]
    assert records[0]["actor"] is None and records[0]["organisation"] is None
    assert (records[2]["actor"], records[2]["organisation"]) == ("person@coa", "coa")
    assert records[3]["action"] == "GET (no route)"
    assert records[3]["object"] == "/v1/nothing-here"


async def test_each_marked_read_is_one_record(trail: Harness) -> None:
    async with trail.client() as client:
        assert (await client.get("/v1/things/x9", headers=trail.auth("ind"))).status_code == 200
    records = await trail.records()
    assert [(r["kind"], r["object"]) for r in records] == [
        ("read", "incident/x9"),
        ("read", "incident/x9/summary"),
    ]
    assert all(r["actor"] == "person@ind" and r["result"] == 200 for r in records)
    assert all(r["action"] == "GET /v1/things/{thing}" for r in records)
    assert "need-to-know" not in str(records)


async def test_only_the_secretariat_reads_the_trail(trail: Harness) -> None:
    async with trail.client() as client:
        await client.post("/v1/things", headers=trail.auth())
        refused = await client.get("/v1/audit-records", headers=trail.auth("bz"))
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        page = await client.get(
            "/v1/audit-records", params={"pageSize": 1}, headers=trail.auth("tf-secretariaat")
        )
    assert page.status_code == 200
    body = page.json()
    assert body["totalItems"] == 2 and body["pageSize"] == 1
    [newest] = body["items"]
    assert newest["sequenceNumber"] == 2 and newest["kind"] == "denied"
    assert newest["organisation"] == "bz" and newest["result"] == 403
    assert newest["action"] == "GET /v1/audit-records"
    assert len(newest["hash"]) == 64 and len(newest["previousHash"]) == 64
    # Reading the trail leaves a trace too.
    last = (await trail.records())[-1]
    assert (last["kind"], last["organisation"]) == ("read", "tf-secretariaat")


async def test_the_trail_api_is_documented(trail: Harness) -> None:
    async with trail.client() as client:
        document = (await client.get("/v1/openapi.json")).json()
    operation = document["paths"]["/audit-records"]["get"]
    assert operation["operationId"] == "listAuditRecords"
    assert {"200", "401", "403"} <= set(operation["responses"])


async def test_x_forwarded_for_counts_only_from_trusted_proxies(
    tmp_path: Path, database: TestDatabases
) -> None:
    async for trail in harness(tmp_path, database, audit_trusted_proxies=["10.0.0.0/8"]):
        forwarded = {"X-Forwarded-For": "203.0.113.9, 10.0.0.2"}
        async with trail.client("10.0.0.1") as client:
            await client.post("/v1/things", headers=forwarded)
        async with trail.client("198.51.100.4") as client:
            await client.post("/v1/things", headers={"X-Forwarded-For": "203.0.113.9"})
        async with trail.client("10.0.0.1") as client:
            await client.post("/v1/things", headers={"X-Forwarded-For": "not-an-address"})
        assert [r["origin"] for r in await trail.records()] == [
            "203.0.113.9",
            "198.51.100.4",
            "10.0.0.1",
        ]


def test_the_trace_id_is_the_current_spans() -> None:
    assert current_trace_id() is None
    tracer = TracerProvider().get_tracer("audit-tests")
    with tracer.start_as_current_span("request") as span:
        assert current_trace_id() == format(span.get_span_context().trace_id, "032x")
