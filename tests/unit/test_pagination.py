"""Lists page the same way everywhere: page/pageSize in, items, totals and links out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.testclient import TestClient

from shared.http import create_api
from shared.http.pagination import Page, PageParams, page_params
from shared.settings import PlatformSettings

NUMBERS = list(range(1, 48))


def client(tmp_path: Path) -> TestClient:
    router = APIRouter()

    @router.get("/numbers")
    async def numbers(
        request: Request, params: Annotated[PageParams, Depends(page_params)]
    ) -> Page[int]:
        chunk = NUMBERS[params.offset : params.offset + params.page_size]
        return Page[int].of(chunk, total=len(NUMBERS), params=params, request=request)

    settings = PlatformSettings(var_dir=tmp_path, jwt_secret="x" * 48)
    app = create_api(
        service="countries",
        title="t",
        description="d",
        version="1.0.0",
        settings=settings,
        routers=[router],
    )
    return TestClient(app)


def test_middle_page_links_both_ways(tmp_path: Path) -> None:
    body = client(tmp_path).get("/v1/numbers?page=2&pageSize=10").json()
    assert body["items"] == list(range(11, 21))
    assert (body["page"], body["pageSize"], body["totalItems"], body["totalPages"]) == (
        2,
        10,
        47,
        5,
    )
    links = body["_links"]
    assert links["next"]["href"].endswith("page=3&pageSize=10")
    assert links["prev"]["href"].endswith("page=1&pageSize=10")
    assert links["last"]["href"].endswith("page=5&pageSize=10")


def test_last_page_has_no_next_and_first_no_prev(tmp_path: Path) -> None:
    c = client(tmp_path)
    last = c.get("/v1/numbers?page=5&pageSize=10").json()
    assert last["items"] == list(range(41, 48))
    assert last["_links"].get("next") is None
    first = c.get("/v1/numbers").json()
    assert first["pageSize"] == 20
    assert first["_links"].get("prev") is None
    assert first["_links"]["next"]["href"].endswith("page=2&pageSize=20")


def test_page_size_is_bounded(tmp_path: Path) -> None:
    response = client(tmp_path).get("/v1/numbers?pageSize=1000")
    assert response.status_code == 400
    assert response.json()["invalidParams"][0]["name"] == "pageSize"
