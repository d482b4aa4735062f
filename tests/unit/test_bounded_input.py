"""Bounded input at the HTTP door: body size, page numbers, error sizes, text and URLs.

Each test here stands for one defect found from outside: a body of any size parsed
before authentication, a page number that overflowed the database, a 422 echoing
megabytes back, a URL accepted but not readable after normalisation, a render
failure blamed on the client, and control characters accepted as text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from shared.http import AuthenticatedCaller, create_api
from shared.http.models import MAX_URL_LENGTH, InputModel, Text, WebUrl, from_storage
from shared.http.pagination import MAX_PAGE, Page, PageParams, page_params
from shared.http.problems import MAX_INVALID_PARAMS, MAX_NAME_CHARS
from shared.settings import PlatformSettings

MIB = 1024 * 1024


class Note(InputModel):
    text: Text = Field(min_length=1, max_length=200)
    numbers: list[int] = Field(default_factory=list)
    link: WebUrl | None = None


class Shown(BaseModel):
    count: int = Field(ge=0)


#: What the routes below did; a refused request must leave this untouched.
WRITES: list[Any] = []


def router() -> APIRouter:
    routes = APIRouter()

    @routes.post("/notes", status_code=201)
    async def add_note(note: Note, caller: AuthenticatedCaller) -> dict[str, str]:
        WRITES.append(note)
        return {"text": note.text}

    @routes.post("/open-notes", status_code=201)
    async def add_open_note(note: Note) -> dict[str, str]:
        WRITES.append(note)
        return {"text": note.text}

    @routes.get("/numbers")
    async def numbers(
        request: Request, params: Annotated[PageParams, Depends(page_params)]
    ) -> Page[int]:
        everything = list(range(1, 11))
        chunk = everything[params.offset : params.offset + params.page_size]
        return Page[int].of(chunk, total=len(everything), params=params, request=request)

    @routes.get("/broken-response", response_model=Shown)
    async def broken_response() -> Any:
        return {"count": -1}  # stored data the response model refuses

    @routes.get("/broken-render")
    async def broken_render() -> Shown:
        return from_storage(Shown, {"count": -1})  # stored data that no longer reads

    @routes.post("/domain-check")
    async def domain_check() -> Shown:
        return Shown.model_validate({"count": -1})  # domain code checking a sent value

    return routes


def make_settings(tmp_path: Path, **overrides: Any) -> PlatformSettings:
    values: dict[str, Any] = {"var_dir": tmp_path, "jwt_secret": "b" * 48, **overrides}
    return PlatformSettings(**values)


def app_for(settings: PlatformSettings) -> Any:
    return create_api(
        service="countries",
        title="t",
        description="d",
        version="1.0.0",
        settings=settings,
        routers=[router()],
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    WRITES.clear()
    with TestClient(app_for(make_settings(tmp_path)), raise_server_exceptions=False) as c:
        yield c


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


# --- body size --------------------------------------------------------------------


def test_a_16_mib_body_without_a_token_is_a_413_before_authentication(
    client: TestClient,
) -> None:
    body = b'{"text": "' + b"x" * (16 * MIB) + b'"}'
    response = client.post("/v1/notes", content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(response, 413)
    assert str(MIB) in problem["detail"]
    assert response.headers["API-Version"] == "1.0.0"
    assert response.headers["connection"] == "close"
    assert WRITES == []


def test_a_chunked_body_over_the_limit_is_counted_and_refused(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(3 * 16):
            yield b"x" * (64 * 1024)
        yield b'"}'

    response = client.post(
        "/v1/open-notes", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert WRITES == []


async def raw_post(
    app: Any, headers: list[tuple[bytes, bytes]], body: bytes, *, endless: bool = False
) -> tuple[list[dict[str, Any]], int]:
    """POST straight to the ASGI app, as the server hands it over; what was sent, chunks pulled."""
    sent: list[dict[str, Any]] = []
    pulled = 0

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": body, "more_body": endless}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/open-notes",
        "raw_path": b"/v1/open-notes",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), *headers],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }
    await app(scope, receive, send)
    return sent, pulled


async def test_a_body_of_unknown_length_is_refused_once_the_count_passes_the_limit(
    tmp_path: Path,
) -> None:
    """Read as the server receives it: chunk by chunk, without Content-Length, never ending."""
    app = app_for(make_settings(tmp_path, http_max_body_bytes=4096))
    sent, pulled = await raw_post(app, [], b"x" * 1024, endless=True)
    assert sent[0]["status"] == 413
    assert pulled == 5  # stopped at the first chunk past 4 KiB


async def test_a_content_length_that_is_no_number_is_a_400(tmp_path: Path) -> None:
    app = app_for(make_settings(tmp_path))
    sent, pulled = await raw_post(app, [(b"content-length", b"-5")], b"{}")
    assert sent[0]["status"] == 400
    assert pulled == 0


def test_a_body_within_the_limit_is_handed_on_whole(client: TestClient) -> None:
    text = "y" * 150
    response = client.post("/v1/open-notes", json={"text": text, "numbers": list(range(10_000))})
    assert response.status_code == 201, response.text
    assert response.json() == {"text": text}


def test_the_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKFORCE_HTTP_MAX_BODY_BYTES", "2048")
    settings = PlatformSettings(var_dir=tmp_path, jwt_secret="b" * 48)
    assert settings.http_max_body_bytes == 2048
    with TestClient(app_for(settings)) as small:
        response = small.post("/v1/open-notes", json={"text": "z" * 100, "numbers": [1] * 2000})
    assert_problem(response, 413)


# --- pages ------------------------------------------------------------------------


@pytest.mark.parametrize("page", [str(10**21), str(MAX_PAGE + 1), "0"])
def test_a_page_number_out_of_range_is_refused_naming_page(client: TestClient, page: str) -> None:
    problem = assert_problem(client.get("/v1/numbers", params={"page": page}), 400)
    assert [p["name"] for p in problem["invalidParams"]] == ["page"]


def test_the_highest_page_is_an_empty_page_not_an_error(client: TestClient) -> None:
    response = client.get("/v1/numbers", params={"page": MAX_PAGE, "pageSize": 100})
    assert response.status_code == 200
    assert response.json()["items"] == []


def test_page_params_built_in_code_are_bounded_too() -> None:
    with pytest.raises(ValidationError):
        PageParams(page=10**21)


# --- error documents ----------------------------------------------------------------


def test_a_422_lists_a_bounded_number_of_errors(client: TestClient) -> None:
    body = json.dumps({"text": "ok", "numbers": ["not a number"] * 20_000})
    response = client.post(
        "/v1/open-notes", content=body, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert len(problem["invalidParams"]) == MAX_INVALID_PARAMS
    assert "more" in problem["detail"]
    assert len(response.content) < 20_000


def test_a_422_never_echoes_a_huge_key_or_value(client: TestClient) -> None:
    key = "k" * (512 * 1024)
    response = client.post("/v1/open-notes", json={"text": "x" * 500_000, key: 1})
    problem = assert_problem(response, 422)
    assert all(len(p["name"]) <= MAX_NAME_CHARS for p in problem["invalidParams"])
    assert len(response.content) < 10_000


# --- rendering stored data ----------------------------------------------------------


def test_a_response_the_model_refuses_is_a_logged_500_not_a_422(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="shared.http.problems"):
        response = client.get("/v1/broken-response")
    problem = assert_problem(response, 500)
    assert "invalidParams" not in problem
    assert response.headers["API-Version"] == "1.0.0"
    assert any("count" in r.getMessage() for r in caplog.records)


def test_stored_data_its_model_refuses_is_a_logged_500(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="shared.http.problems"):
        response = client.get("/v1/broken-render")
    assert_problem(response, 500)
    assert any("Shown" in r.getMessage() for r in caplog.records)


def test_a_domain_check_on_a_write_stays_a_422(client: TestClient) -> None:
    assert_problem(client.post("/v1/domain-check"), 422)


# --- text -------------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9f", "\ufffe"])
def test_text_refuses_control_characters_naming_the_field(
    client: TestClient, character: str
) -> None:
    response = client.post("/v1/open-notes", json={"text": f"before{character}after"})
    problem = assert_problem(response, 422)
    assert [p["name"] for p in problem["invalidParams"]] == ["text"]
    assert f"U+{ord(character):04X}" in problem["invalidParams"][0]["reason"]
    assert WRITES == []


def test_text_refuses_a_lone_surrogate(client: TestClient) -> None:
    body = b'{"text": "a\\ud800b"}'
    response = client.post(
        "/v1/open-notes", content=body, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 422)
    assert [p["name"] for p in problem["invalidParams"]] == ["text"]


def test_text_keeps_tabs_and_line_breaks(client: TestClient) -> None:
    text = "line one\r\n\tline two\nline three \u2013 ëçø 漢字 🙂"
    response = client.post("/v1/open-notes", json={"text": text})
    assert response.status_code == 201, response.text
    assert response.json() == {"text": text}


def test_text_documents_its_rule_in_openapi(client: TestClient) -> None:
    schema = client.get("/v1/openapi.json").json()["components"]["schemas"]["Note"]
    assert "\\u0000" in schema["properties"]["text"]["pattern"]


# --- URLs -------------------------------------------------------------------------


def test_a_url_too_long_once_normalised_is_refused() -> None:
    bare_host = "https://" + "a" * (MAX_URL_LENGTH - len("https://.org")) + ".org"
    assert len(bare_host) == MAX_URL_LENGTH  # within the limit as sent; one more with its "/"
    with pytest.raises(ValidationError) as refused:
        Note(text="t", link=bare_host)
    assert refused.value.errors()[0]["loc"] == ("link",)


def test_an_accepted_url_reads_back_as_itself() -> None:
    sent = "HTTPS://Bücher.example:443/a b/../c?q=é"
    accepted = Note(text="t", link=sent)
    stored = str(accepted.link)
    again = Note(text="t", link=stored)
    assert str(again.link) == stored == "https://xn--bcher-kva.example/c?q=%C3%A9"
