"""The rules of ``shared.http.idempotency`` on their own: the key, the fingerprint, the seal,
the key in the unit of work's transaction, the purge and the OpenAPI declaration.

The database tests run on each engine of the suite (the ``database`` fixture). What the
services' POSTs do with all this is ``tests/integration/test_idempotent_posts.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import InvalidToken
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db import make_engine, make_session_factory
from shared.http import idempotency
from shared.http.idempotency import HEADER, IdempotencyMiddleware, document_keys
from shared.http.idempotency_keys import (
    MAX_KEY_CHARS,
    PENDING,
    Answer,
    IdempotencyKeys,
    KeyAlreadyUsed,
    MalformedKey,
    PendingKey,
    claim_key,
    fingerprint,
    idempotency_key,
    key_hash,
    parse_key,
    seal_box,
)
from shared.unit_of_work import unit_of_work
from tests.databases import TestDatabases

NOW = datetime(2027, 1, 20, 12, 0, tzinfo=UTC)


# -- the key ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "key"),
    [
        (b'"8e03978e-40d5-43e8-bc93-6894a57f9324"', "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        (b'  "padded"\t', "padded"),
        (b'"a \\"quoted\\" \\\\ one"', 'a "quoted" \\ one'),
        (b'"' + b"k" * MAX_KEY_CHARS + b'"', "k" * MAX_KEY_CHARS),
        (b'" "', " "),
    ],
)
def test_a_key_is_one_structured_field_string(field: bytes, key: str) -> None:
    assert parse_key([field]) == key


@pytest.mark.parametrize(
    "fields",
    [
        [b""],
        [b'""'],
        [b"unquoted"],
        [b'"open'],
        [b'close"'],
        [b'"in"side"'],
        [b'"bad \\n escape"'],
        [b'"lone backslash\\"'],
        [b'"tab\there"'],
        ['"café"'.encode()],
        [b'"\x7f"'],
        [b'"' + b"k" * (MAX_KEY_CHARS + 1) + b'"'],
        [b'"one"', b'"two"'],
        [b'"one", "two"'],
        [],
    ],
)
def test_anything_else_is_malformed(fields: list[bytes]) -> None:
    with pytest.raises(MalformedKey):
        parse_key(fields)


def _scope(method: str = "POST", path: str = "/v1/things", query: bytes = b"") -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "query_string": query, "headers": []}


def test_the_fingerprint_is_method_path_query_and_body() -> None:
    same = fingerprint(_scope(), b"{}")
    assert fingerprint(_scope(), b"{}") == same
    assert fingerprint(_scope(), b"{ }") != same
    assert fingerprint(_scope(method="PUT"), b"{}") != same
    assert fingerprint(_scope(path="/v1/others"), b"{}") != same
    assert fingerprint(_scope(query=b"a=1"), b"{}") != same
    # the parts cannot slide into each other
    assert fingerprint(_scope(path="/v1/a"), b"b") != fingerprint(_scope(path="/v1/ab"), b"")


def test_an_answer_opens_only_with_its_organisations_key() -> None:
    answer = Answer(201, [(b"location", b"https://x/v1/things/1")], b'{"secret":"s3cr3t"}')
    sealed = answer.sealed(seal_box("am", "key-1"))
    assert b"s3cr3t" not in sealed and b"location" not in sealed
    assert Answer.opened(201, sealed, seal_box("am", "key-1")) == answer
    for other in (seal_box("bz", "key-1"), seal_box("am", "key-2")):
        with pytest.raises(InvalidToken):
            Answer.opened(201, sealed, other)
    assert key_hash("key-1") != key_hash("key-2") and len(key_hash("key-1")) == 64


# -- the key in the change's transaction ----------------------------------------------------


@pytest.fixture
async def sessions(
    database: TestDatabases, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(database.url_for("idempotency", tmp_path))
    async with engine.begin() as connection:
        await connection.run_sync(idempotency_key.create)
    yield make_session_factory(engine)
    await engine.dispose()


def pending(organisation: str = "am", key: str = "key-1", **changes: Any) -> PendingKey:
    values: dict[str, Any] = {
        "organisation": organisation,
        "key_hash": key_hash(key),
        "fingerprint": "f" * 64,
        "scopes": "things:write",
        "created_at": NOW,
        "expires_at": NOW + timedelta(hours=24),
    }
    return PendingKey(**(values | changes))


async def keys_stored(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(idempotency_key)) or 0)


async def test_outside_a_request_with_a_key_nothing_is_claimed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        assert await claim_key(session) is None
    assert await keys_stored(sessions) == 0


async def test_the_key_commits_with_the_change_or_not_at_all(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    key = pending()
    token = PENDING.set(key)
    try:
        with pytest.raises(RuntimeError):
            async with unit_of_work(sessions, None):
                raise RuntimeError("the change failed")
        assert (key.state, await keys_stored(sessions)) == ("open", 0)
        async with unit_of_work(sessions, None):
            pass
        assert (key.state, await keys_stored(sessions)) == ("committed", 1)
        async with unit_of_work(sessions, None):
            pass  # a second unit of work of the same request claims nothing more
        assert await keys_stored(sessions) == 1
    finally:
        PENDING.reset(token)


async def test_of_two_first_requests_the_primary_key_lets_one_commit(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    for claimant, expected in ((pending(), "committed"), (pending(organisation="bz"), "committed")):
        token = PENDING.set(claimant)
        try:
            async with unit_of_work(sessions, None):
                pass
        finally:
            PENDING.reset(token)
        assert claimant.state == expected
    late = pending()
    token = PENDING.set(late)
    try:
        with pytest.raises(KeyAlreadyUsed):
            async with unit_of_work(sessions, None):
                pass
    finally:
        PENDING.reset(token)
    assert late.state == "open"
    assert await keys_stored(sessions) == 2


async def test_an_expired_key_is_replaced_and_the_purge_takes_only_expired_ones(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    keys = IdempotencyKeys(retention=timedelta(hours=24), clock=lambda: NOW)
    for claimant in (pending(), pending(key="key-2", expires_at=NOW + timedelta(hours=1))):
        token = PENDING.set(claimant)
        try:
            async with unit_of_work(sessions, None):
                pass
        finally:
            PENDING.reset(token)
    later = NOW + timedelta(hours=2)
    again = pending(
        key="key-2", created_at=later, expires_at=later + timedelta(hours=24), replaces_expired=True
    )
    token = PENDING.set(again)
    try:
        async with unit_of_work(sessions, None):
            pass
    finally:
        PENDING.reset(token)
    assert again.state == "committed"
    keys.clock = lambda: NOW + timedelta(hours=25)
    assert await keys.purge(sessions) == 1  # key-1; key-2 was claimed again two hours in
    stored = await keys.stored(sessions, "am", key_hash("key-2"))
    assert stored is not None and stored.status is None
    await keys.keep(sessions, again, b"sealed", 201)
    stored = await keys.stored(sessions, "am", key_hash("key-2"))
    assert (stored.status, stored.answer) == (201, b"sealed")


# -- the middleware without a key -----------------------------------------------------------


async def test_without_the_header_the_request_passes_untouched() -> None:
    seen: list[tuple[Any, Any, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope, receive, send))

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body is not read")

    async def send(_message: Any) -> None:
        raise AssertionError("nothing is answered but by the app")

    middleware = IdempotencyMiddleware(app)
    for scope in (_scope(), _scope(method="GET"), {**_scope(), "type": "websocket"}):
        await middleware(scope, receive, send)
    headed = {**_scope(), "headers": [(b"idempotency-key", b'"k"')]}  # an app without database
    await middleware(headed, receive, send)
    assert [s for s, r, w in seen if r is receive and w is send] == [
        _scope(),
        _scope(method="GET"),
        {**_scope(), "type": "websocket"},
        headed,
    ]


# -- the OpenAPI declaration ----------------------------------------------------------------


def test_every_post_refers_to_the_one_declared_header() -> None:
    problem = {"$ref": "#/components/responses/Refused"}
    document: dict[str, Any] = {
        "paths": {
            "/things": {
                "get": {"responses": {"200": {"description": "Things."}}},
                "post": {"responses": {"201": {"description": "Made."}, "422": problem}},
            },
            "/things/{id}/moves": {
                "post": {
                    "parameters": [{"name": "id", "in": "path"}],
                    "responses": {"409": {"description": "The thing's state forbids it."}},
                }
            },
        }
    }
    document_keys(document)
    parameter = document["components"]["parameters"][idempotency.PARAMETER]
    assert (parameter["name"], parameter["in"], parameter["required"]) == (HEADER, "header", False)
    reference = {"$ref": f"#/components/parameters/{idempotency.PARAMETER}"}
    things, moves = document["paths"]["/things"], document["paths"]["/things/{id}/moves"]["post"]
    assert "parameters" not in things["get"]
    assert things["post"]["parameters"] == [reference]
    assert moves["parameters"] == [{"name": "id", "in": "path"}, reference]
    assert things["post"]["responses"]["422"] == problem  # a reference is left as it is
    assert "Idempotency-Key" in things["post"]["responses"]["409"]["description"]
    assert moves["responses"]["409"]["description"].startswith("The thing's state forbids it.")
    assert "Idempotency-Key" in moves["responses"]["409"]["description"]
    assert list(moves["responses"]) == sorted(moves["responses"])
