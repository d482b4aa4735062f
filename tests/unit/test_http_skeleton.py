"""The shared HTTP skeleton: base path, API-Version, problem details, probes, OpenAPI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, FastAPI, HTTPException, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from shared.http import PROBLEM_MEDIA_TYPE, Problem, UtcDateTime, create_api
from shared.http import probes as probes_module
from shared.http.app import server_url
from shared.http.openapi import pascal_case, pascal_case_schema_names
from shared.settings import PlatformSettings

VERSION = "1.4.2"
INTERNAL_SECRET = "database password is hunter2"


def make_settings(tmp_path: Path, **overrides: Any) -> PlatformSettings:
    values: dict[str, Any] = {"var_dir": tmp_path, "jwt_secret": "s" * 48, **overrides}
    return PlatformSettings(**values)


class Budget(BaseModel):
    year: int
    amount: float = Field(ge=0)


class NewItem(BaseModel):
    name: str
    budgets: list[Budget] = []


class Item(BaseModel):
    name: str
    registeredAt: UtcDateTime


def items_router() -> APIRouter:
    router = APIRouter(prefix="/items")

    @router.get("")
    async def list_items(
        page_size: Annotated[int, Query(alias="pageSize", ge=1)] = 10,
    ) -> list[Item]:
        naive = datetime(2025, 5, 23, 9, 30)
        return [Item(name="first", registeredAt=naive)][:page_size]

    @router.post("", status_code=201)
    async def create_item(item: NewItem) -> NewItem:
        return item

    @router.get("/local-time")
    async def local_time() -> Item:
        cest = timezone(timedelta(hours=2))
        return Item(name="cest", registeredAt=datetime(2025, 5, 23, 11, 30, tzinfo=cest))

    @router.get("/conflict")
    async def conflict() -> None:
        raise Problem(
            status=409,
            title="Item already closed",
            detail="A closed item cannot change.",
            extensions={"itemId": "42"},
        )

    @router.get("/http-error")
    async def http_error() -> None:
        raise HTTPException(status_code=410, detail="This item was withdrawn.")

    @router.get("/model-error")
    async def model_error() -> None:
        Budget.model_validate({"year": "not a year", "amount": 1})

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError(INTERNAL_SECRET)

    return router


def build(
    tmp_path: Path,
    *,
    readiness: Callable[[], Awaitable[dict[str, bool]]] | None = None,
    asyncapi: Callable[[], dict[str, Any]] | None = None,
    version: str = VERSION,
    **settings: Any,
) -> FastAPI:
    return create_api(
        service="programmes",
        title="Programmes",
        description="Programme registry",
        version=version,
        settings=make_settings(tmp_path, **settings),
        routers=[items_router()],
        readiness=readiness,
        asyncapi=asyncapi,
    )


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    return TestClient(build(tmp_path), raise_server_exceptions=False)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert response.headers["api-version"] == VERSION
    body: dict[str, Any] = response.json()
    for member in ("type", "title", "status", "detail", "instance"):
        assert member in body, f"{member} missing from {body}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return body


# --- base path, version header, times ------------------------------------------------


def test_success_carries_the_full_api_version(client: TestClient) -> None:
    response = client.get("/v1/items")
    assert response.status_code == 200
    assert response.headers["api-version"] == VERSION


def test_routers_live_under_the_major_version_only(client: TestClient) -> None:
    assert client.get("/v1/items").status_code == 200
    assert_problem(client.get("/items"), 404)


def test_major_version_chooses_the_base_path(tmp_path: Path) -> None:
    client = TestClient(build(tmp_path, version="2.0.0"))
    assert client.get("/v2/items").status_code == 200
    assert client.get("/v2/openapi.json").status_code == 200
    assert client.get("/v1/items").status_code == 404


def test_version_must_be_semantic(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="semantic version"):
        build(tmp_path, version="1.0")


def test_times_are_rfc3339_utc(client: TestClient) -> None:
    assert client.get("/v1/items").json()[0]["registeredAt"] == "2025-05-23T09:30:00Z"
    assert client.get("/v1/items/local-time").json()["registeredAt"] == "2025-05-23T09:30:00Z"


def test_utc_datetime_normalises_on_input() -> None:
    item = Item.model_validate({"name": "x", "registeredAt": "2025-05-23T11:30:00+02:00"})
    assert item.registeredAt == datetime(2025, 5, 23, 9, 30, tzinfo=UTC)
    assert item.registeredAt.utcoffset() == timedelta(0)


# --- problem details -----------------------------------------------------------------


def test_invalid_query_parameter_is_a_400_naming_it(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/items", params={"pageSize": "many"}), 400)
    assert body["instance"] == "/v1/items"
    assert body["invalidParams"] == [
        {
            "name": "pageSize",
            "in": "query",
            "reason": body["invalidParams"][0]["reason"],
        }
    ]
    assert "integer" in body["invalidParams"][0]["reason"]
    assert "pageSize" in body["detail"]


def test_invalid_nested_body_field_is_named_by_its_path(client: TestClient) -> None:
    payload = {"budgets": [{"year": 2029, "amount": -5}]}
    body = assert_problem(client.post("/v1/items", json=payload), 422)
    names = {(p["name"], p["in"]) for p in body["invalidParams"]}
    assert names == {("name", "body"), ("budgets[0].amount", "body")}
    assert "-5" not in str(body)  # the rejected value is not echoed


def test_malformed_json_is_a_400(client: TestClient) -> None:
    response = client.post(
        "/v1/items", content=b'{"name": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert body["invalidParams"][0]["name"] == "body"


def test_validation_error_raised_in_a_handler_is_a_422(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/items/model-error"), 422)
    assert [p["name"] for p in body["invalidParams"]] == ["year"]
    assert "not a year" not in str(body)


def test_problem_raised_by_a_service(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/items/conflict"), 409)
    assert body["title"] == "Item already closed"
    assert body["detail"] == "A closed item cannot change."
    assert body["itemId"] == "42"
    assert body["type"].startswith("https://www.rfc-editor.org/rfc/rfc9110")


def test_http_exception_becomes_a_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/items/http-error"), 410)
    assert body["title"] == "Gone"
    assert body["detail"] == "This item was withdrawn."


def test_unknown_path_is_a_404_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/nothing-here"), 404)
    assert body["instance"] == "/v1/nothing-here"


def test_unhandled_error_is_a_500_without_internals(client: TestClient) -> None:
    response = client.get("/v1/items/boom")
    body = assert_problem(response, 500)
    assert body["title"] == "Internal Server Error"
    assert INTERNAL_SECRET not in response.text
    assert "RuntimeError" not in response.text


def test_problem_rejects_a_success_status() -> None:
    with pytest.raises(ValueError):
        Problem(status=200, detail="fine")


def test_trailing_slash_is_not_redirected(client: TestClient) -> None:
    response = client.get("/v1/items/", follow_redirects=False)
    body = assert_problem(response, 404)
    assert "location" not in response.headers
    assert "/v1/items" in body["detail"]


def test_route_with_trailing_slash_is_refused(tmp_path: Path) -> None:
    router = APIRouter()

    @router.get("/things/")
    async def things() -> list[str]:
        return []

    with pytest.raises(ValueError, match="trailing slash"):
        create_api(
            service="countries",
            title="t",
            description="d",
            version="1.0.0",
            settings=make_settings(tmp_path),
            routers=[router],
        )


def test_options_gets_the_version_header_too(client: TestClient) -> None:
    response = client.options("/v1/items")
    assert response.headers["api-version"] == VERSION
    assert_problem(response, 405)


# --- probes -------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/v1/health"])
def test_health_is_always_up(tmp_path: Path, path: str) -> None:
    async def nothing_ready() -> dict[str, bool]:
        return {"database": False}

    client = TestClient(build(tmp_path, readiness=nothing_ready))
    response = client.get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "up"}
    assert response.headers["api-version"] == VERSION


@pytest.mark.parametrize("path", ["/ready", "/v1/ready"])
def test_ready_when_every_check_passes(tmp_path: Path, path: str) -> None:
    async def all_ready() -> dict[str, bool]:
        return {"database": True, "kafka": True}

    response = TestClient(build(tmp_path, readiness=all_ready)).get(path)
    assert response.status_code == 200
    assert response.json() == {"status": "up", "checks": {"database": True, "kafka": True}}


@pytest.mark.parametrize("path", ["/ready", "/v1/ready"])
def test_not_ready_lists_each_check(tmp_path: Path, path: str) -> None:
    async def kafka_down() -> dict[str, bool]:
        return {"database": True, "kafka": False}

    client = TestClient(build(tmp_path, readiness=kafka_down))
    body = assert_problem(client.get(path), 503)
    assert body["checks"] == {"database": True, "kafka": False}
    assert "kafka" in body["detail"]
    assert "database" not in body["detail"]


def test_failing_readiness_check_is_not_ready(tmp_path: Path) -> None:
    async def broken() -> dict[str, bool]:
        raise ConnectionError(INTERNAL_SECRET)

    response = TestClient(build(tmp_path, readiness=broken)).get("/ready")
    assert_problem(response, 503)
    assert INTERNAL_SECRET not in response.text


def test_hanging_readiness_check_times_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(probes_module, "READINESS_TIMEOUT_S", 0.05)

    async def hangs() -> dict[str, bool]:
        await asyncio.sleep(10)
        return {"database": True}

    body = assert_problem(TestClient(build(tmp_path, readiness=hangs)).get("/v1/ready"), 503)
    assert "did not finish" in body["detail"]


def test_ready_without_checks_is_up(client: TestClient) -> None:
    assert client.get("/ready").json() == {"status": "up", "checks": {}}


# --- published documents ----------------------------------------------------------------


def test_asyncapi_document_is_served_without_auth(tmp_path: Path) -> None:
    document = {"asyncapi": "3.0.0", "info": {"title": "programmes", "version": "1.0.0"}}
    client = TestClient(build(tmp_path, asyncapi=lambda: document))
    response = client.get("/v1/asyncapi.json")
    assert response.status_code == 200
    assert response.json() == document
    assert response.headers["access-control-allow-origin"] == "*"


def test_no_asyncapi_document_is_a_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/asyncapi.json"), 404)


def test_openapi_document_is_public_and_open_to_other_origins(client: TestClient) -> None:
    response = client.get("/v1/openapi.json", headers={"Origin": "https://developer.overheid.nl"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["api-version"] == VERSION
    preflight = client.options(
        "/v1/openapi.json",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 204
    assert "GET" in preflight.headers["access-control-allow-methods"]
    assert preflight.headers["api-version"] == VERSION


def test_the_api_itself_sends_no_cors_headers(client: TestClient) -> None:
    response = client.get("/v1/items", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in response.headers


def test_openapi_document_follows_the_conventions(tmp_path: Path) -> None:
    app = build(tmp_path, public_base_url="https://api.example.org")
    document = TestClient(app).get("/v1/openapi.json").json()

    assert document["servers"][0]["url"] == "https://api.example.org:8002/v1"
    assert set(document["info"]["contact"]) >= {"name", "email", "url"}
    assert document["info"]["version"] == VERSION
    # Paths are relative to the versioned server URL; root probes are not documented.
    assert {"/items", "/health", "/ready"} <= set(document["paths"])
    assert not any(path.startswith("/v1") for path in document["paths"])

    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            # 422 only where a body can be well-formed yet invalid, and as a problem.
            assert ("422" in responses) == ("requestBody" in operation), (path, method)
            assert "500" in responses
            for status, response in responses.items():
                assert "API-Version" in response["headers"], (path, method, status)
                if status[0] in "45":
                    assert list(response["content"]) == [PROBLEM_MEDIA_TYPE]
    assert "400" in document["paths"]["/items"]["post"]["responses"]
    assert "400" in document["paths"]["/items"]["get"]["responses"]
    ready_503 = document["paths"]["/ready"]["get"]["responses"]["503"]
    assert ready_503["content"][PROBLEM_MEDIA_TYPE]["schema"]["$ref"].endswith("/ReadinessProblem")
    problem = schemas["ProblemDetails"]
    assert {"type", "title", "status", "detail", "instance"} <= set(problem["required"])


def test_server_url_keeps_an_explicit_port_or_path(tmp_path: Path) -> None:
    assert server_url(make_settings(tmp_path), "countries", "/v1") == "http://127.0.0.1:8001/v1"
    gateway = make_settings(tmp_path, public_base_url="https://api.example.org:443/")
    assert server_url(gateway, "monitoring", "/v1") == "https://api.example.org:443/v1"
    routed = make_settings(tmp_path, public_base_url="https://example.org/monitoring")
    assert server_url(routed, "monitoring", "/v1") == "https://example.org/monitoring/v1"


def test_schema_names_become_pascal_case() -> None:
    assert pascal_case("Page_Item_") == "PageItem"
    assert pascal_case("Item-Input") == "ItemInput"
    assert pascal_case("HTTPValidationError") == "HttpValidationError"
    assert pascal_case("Body_create_item_v1_items_post") == "BodyCreateItemV1ItemsPost"
    document: dict[str, Any] = {
        "paths": {"/items": {"get": {"schema": {"$ref": "#/components/schemas/Page_Item_"}}}},
        "components": {
            "schemas": {
                "Page_Item_": {"items": {"$ref": "#/components/schemas/Item-Output"}},
                "Item-Output": {"type": "object"},
                "Item": {"type": "object"},
            }
        },
    }
    pascal_case_schema_names(document)
    assert set(document["components"]["schemas"]) == {"PageItem", "ItemOutput", "Item"}
    assert document["paths"]["/items"]["get"]["schema"]["$ref"] == "#/components/schemas/PageItem"
    page = document["components"]["schemas"]["PageItem"]
    assert page["items"]["$ref"] == "#/components/schemas/ItemOutput"


# --- lifespan and telemetry ---------------------------------------------------------------


def test_lifespan_runs_and_settings_are_on_the_app(tmp_path: Path) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("start")
        yield
        events.append("stop")

    settings = make_settings(tmp_path)
    app = create_api(
        service="notifications",
        title="Notifications",
        description="d",
        version="1.0.0",
        settings=settings,
        lifespan=lifespan,
    )
    assert app.state.settings is settings
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert events == ["start"]
    assert events == ["start", "stop"]


def test_app_is_instrumented_for_tracing(client: TestClient) -> None:
    assert getattr(client.app, "_is_instrumented_by_opentelemetry", False) is True
