"""Every POST of every service, retried with the same ``Idempotency-Key``, takes effect once.

For each POST route in the four services' OpenAPI documents (a new one without a case
here fails ``test_every_post_of_every_service_has_a_case``): the retry gets the first
answer again (status, body, ``Location``, content type) and leaves every table as the
first request left it, the outbox included: no second effect and no second event.
Then the rules around it, on one route each: another request under a used key (422),
a retry while the first is in flight (409), a key recorded whose answer was lost (409),
keys of two organisations, malformed keys (400), refusals not kept, and the purge.

The apps are the per-service harness's (broker-free); notifications without its
delivery worker, so that nothing changes the tables between two requests but them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

import tests.countries.conftest as countries_suite
import tests.monitoring.conftest as monitoring_suite
import tests.notifications.conftest as notifications_suite
import tests.programmes.conftest as programmes_suite
from services.notifications.app import create_app as notifications_app
from shared.http.idempotency import HEADER, IdempotencyKeys
from shared.migrate import upgrade_async
from shared.settings import PlatformSettings
from tests import harness
from tests.countries.support import Countries, assessment, decision, partnership
from tests.notifications.conftest import Service as Notifications
from tests.notifications.conftest import fast_settings
from tests.notifications.conftest import flagged as notification_flag
from tests.webhook_receiver import Receiver

Programmes = programmes_suite.Service
Monitoring = monitoring_suite.Service
YEAR = programmes_suite.YEAR
#: Rows that every request adds (its audit record) or that are the keys themselves.
NOT_COMPARED = frozenset({"audit_record", "idempotency_key", "alembic_version"})

countries = harness.app_fixture(
    countries_suite.running, countries_suite.settings_for, name="countries"
)
programmes = harness.app_fixture(
    programmes_suite.running, programmes_suite.settings_for, name="programmes"
)
monitoring = harness.app_fixture(
    monitoring_suite.running, monitoring_suite.settings_for, name="monitoring"
)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@asynccontextmanager
async def _notifications_without_worker(settings: PlatformSettings) -> AsyncIterator[Notifications]:
    """The app and its migrated database, its runtime not started: no worker, no broker."""
    app = notifications_app(settings, fast_settings())
    await upgrade_async("notifications", settings.database_url_for("notifications"))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield Notifications(app, settings, client)
    finally:
        await app.state.runtime.engine.dispose()


notifications = harness.app_fixture(
    _notifications_without_worker,
    notifications_suite.settings_for,
    name="notifications",
)


@dataclass
class Apps:
    countries: Countries
    programmes: Programmes
    monitoring: Monitoring
    notifications: Notifications
    receiver: Receiver

    def of(self, service: str) -> Countries | Programmes | Monitoring | Notifications:
        found: Countries | Programmes | Monitoring | Notifications = getattr(self, service)
        return found


@pytest.fixture
def apps(
    countries: Countries,
    programmes: Programmes,
    monitoring: Monitoring,
    notifications: Notifications,
    receiver: Receiver,
) -> Apps:
    return Apps(countries, programmes, monitoring, notifications, receiver)


@dataclass(frozen=True)
class Post:
    """One POST as a client sends it: path under /v1, JSON body (or none), its headers."""

    path: str
    body: Any | None
    headers: dict[str, str] = field(default_factory=dict)

    def changed(self, **fields: Any) -> Post:
        """The same POST with some fields of its body changed."""
        assert isinstance(self.body, dict)
        return Post(self.path, {**self.body, **fields}, self.headers)

    async def send(self, client: httpx.AsyncClient, key: str | None = None) -> httpx.Response:
        headers = dict(self.headers) | ({HEADER: key} if key is not None else {})
        if self.body is None:
            return await client.post(f"/v1{self.path}", headers=headers)
        return await client.post(f"/v1{self.path}", json=self.body, headers=headers)


def new_key() -> str:
    return f'"{uuid.uuid4()}"'


async def snapshot(app: FastAPI) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the audit trail and the keys; the outbox without sent_at."""
    async with app.state.runtime.engine.connect() as connection:
        names = await connection.run_sync(lambda c: sa.inspect(c).get_table_names())
        found: dict[str, list[tuple[Any, ...]]] = {}
        for name in sorted(set(names) - NOT_COMPARED):
            query = f"SELECT * FROM {name}"
            if name == "outbox_message":
                query = "SELECT id, event_id, event_type, key, value FROM outbox_message"
            found[name] = sorted(
                (tuple(row) for row in await connection.execute(sa.text(query))), key=repr
            )
        return found


async def events(app: FastAPI) -> int:
    async with app.state.runtime.sessions() as session:
        count = await session.scalar(sa.text("SELECT count(*) FROM outbox_message"))
        return int(count or 0)


def keys_of(app: FastAPI) -> IdempotencyKeys:
    keys: IdempotencyKeys = app.state.idempotency
    return keys


# -- one case per POST route: what it needs first, and the request ----------------------------

Case = Callable[[Apps], Awaitable[Post]]
CASES: dict[tuple[str, str], Case] = {}


def case(service: str, path: str) -> Callable[[Case], Case]:
    def register(build: Case) -> Case:
        CASES[(service, path)] = build
        return build

    return register


@case("countries", "/countries/{countryCode}/designations")
async def _designation(apps: Apps) -> Post:
    return Post("/countries/MAR/designations", decision(), apps.countries.auth())


@case("countries", "/countries/{countryCode}/partnerships")
async def _partnership(apps: Apps) -> Post:
    return Post("/countries/TUN/partnerships", partnership(), apps.countries.auth())


@case("countries", "/countries/{countryCode}/partnerships/{partnershipId}/status-changes")
async def _partnership_status(apps: Apps) -> Post:
    opened = await apps.countries.post("/countries/EGY/partnerships", partnership())
    assert opened.status_code == 201, opened.text
    change = {"status": "active", "effectiveFrom": "2026-03-01", "reason": "Dialogue agreed."}
    path = f"/countries/EGY/partnerships/{opened.json()['id']}/status-changes"
    return Post(path, change, apps.countries.auth())


@case("countries", "/countries/{countryCode}/risk-assessments")
async def _risk_assessment(apps: Apps) -> Post:
    return Post("/countries/LBY/risk-assessments", assessment(), apps.countries.auth())


@case("programmes", "/programmes")
async def _programme(apps: Apps) -> Post:
    return Post("/programmes", programmes_suite.programme_body(), apps.programmes.auth())


@case("programmes", "/programmes/{programmeId}/status-transitions")
async def _status_transition(apps: Apps) -> Post:
    service = apps.programmes
    programme_id = await service.create()
    base = f"/v1/programmes/{programme_id}"
    for part, body in (
        ("budgets", programmes_suite.budgets_body()),
        ("results-framework", programmes_suite.framework_body()),
    ):
        put = await service.client.put(f"{base}/{part}", json=body, headers=service.auth())
        assert put.status_code == 200, put.text
    approval = {"status": 2, "reason": "Approved by the taskforce board."}
    return Post(f"/programmes/{programme_id}/status-transitions", approval, service.auth())


@case("programmes", "/programmes/{programmeId}/transactions")
async def _transaction(apps: Apps) -> Post:
    programme_id = await apps.programmes.approved()
    commitment = {
        "type": "commitment",
        "transactionDate": f"{YEAR}-02-01",
        "budgetLine": "bho",
        "oda": True,
        "amount": "1000.00",
    }
    return Post(f"/programmes/{programme_id}/transactions", commitment, apps.programmes.auth())


@case("programmes", "/programmes/{programmeId}/reviews/{reviewId}/decision")
async def _review_decision(apps: Apps) -> Post:
    service = apps.programmes
    programme_id = await service.approved()
    await harness.deliver(service, harness.cloud_event(programmes_suite.flagged(programme_id)))
    reviews = await service.client.get(
        f"/v1/programmes/{programme_id}/reviews", headers=service.auth()
    )
    (review,) = reviews.json()["items"]
    decided = {"decision": "continue", "rationale": "The finding was addressed."}
    path = f"/programmes/{programme_id}/reviews/{review['reviewId']}/decision"
    return Post(path, decided, service.auth("am", [programmes_suite.DECIDE]))


async def _planned(service: Monitoring) -> str:
    programme_id = f"prg-{YEAR}-{uuid.uuid4().hex[:8]}"
    event = harness.cloud_event(monitoring_suite.approved(programme_id))
    await harness.deliver(service, event)
    return programme_id


def _reporter(service: Monitoring) -> dict[str, str]:
    return service.auth(organisation=service.reporter)


@case("monitoring", "/indicator-results")
async def _indicator_result(apps: Apps) -> Post:
    programme_id = await _planned(apps.monitoring)
    body = monitoring_suite.result_body(programme_id, "9")
    return Post("/indicator-results", body, _reporter(apps.monitoring))


@case("monitoring", "/indicator-results/{resultId}/corrections")
async def _correction(apps: Apps) -> Post:
    service = apps.monitoring
    programme_id = await _planned(service)
    created = await service.post(
        "/indicator-results", monitoring_suite.result_body(programme_id, "9")
    )
    assert created.status_code == 201, created.text
    correction = {"value": "8", "source": "Audited report", "reason": "Audit corrected it."}
    path = f"/indicator-results/{created.json()['resultId']}/corrections"
    return Post(path, correction, _reporter(service))


@case("monitoring", "/evaluations")
async def _evaluation(apps: Apps) -> Post:
    programme_id = await _planned(apps.monitoring)
    rating = "satisfactory"
    criteria = ("relevance", "coherence", "effectiveness", "efficiency", "impact")
    body = {
        "programmeId": programme_id,
        "kind": "mid-term",
        "independent": True,
        "completedOn": f"{YEAR}-01-15",
        "overallRating": rating,
        "ratings": {c: rating for c in (*criteria, "sustainability")},
        "summary": "Relevant, but referrals rarely led to prosecutions.",
        "documentUrl": "https://example.org/evaluations/mid-term.pdf",
    }
    return Post("/evaluations", body, _reporter(apps.monitoring))


@case("monitoring", "/incidents")
async def _incident(apps: Apps) -> Post:
    programme_id = await _planned(apps.monitoring)
    body = {
        "programmeId": programme_id,
        "category": "mistreatment",
        "severity": "critical",
        "countryCode": "TUN",
        "occurredOn": f"{YEAR}-01-10",
        "verified": True,
        "summary": "Migrants held at a supported post reported mistreatment by guards.",
    }
    return Post("/incidents", body, _reporter(apps.monitoring))


async def _subscribed(apps: Apps, organisation: str = "kmar", **body: Any) -> str:
    url = apps.receiver.url(f"/{organisation}")
    created = await apps.notifications.subscribe(organisation, url=url, **body)
    subscription_id: str = created["subscriptionId"]
    return subscription_id


@case("notifications", "/subscriptions")
async def _subscription(apps: Apps) -> Post:
    body = {"channels": ["monitoring"], "url": apps.receiver.url("/am")}
    return Post("/subscriptions", body, apps.notifications.auth("am"))


@case("notifications", "/subscriptions/{subscriptionId}/pause")
async def _pause(apps: Apps) -> Post:
    subscription_id = await _subscribed(apps)
    return Post(f"/subscriptions/{subscription_id}/pause", None, apps.notifications.auth("kmar"))


@case("notifications", "/subscriptions/{subscriptionId}/resume")
async def _resume(apps: Apps) -> Post:
    service = apps.notifications
    subscription_id = await _subscribed(apps)
    paused = await service.client.post(
        f"/v1/subscriptions/{subscription_id}/pause", headers=service.auth("kmar")
    )
    assert paused.status_code == 200, paused.text
    return Post(f"/subscriptions/{subscription_id}/resume", None, service.auth("kmar"))


@case("notifications", "/subscriptions/{subscriptionId}/secret-rotations")
async def _secret_rotation(apps: Apps) -> Post:
    subscription_id = await _subscribed(apps)
    path = f"/subscriptions/{subscription_id}/secret-rotations"
    return Post(path, None, apps.notifications.auth("kmar"))


@case("notifications", "/deliveries/{deliveryId}/resend")
async def _resend(apps: Apps) -> Post:
    service = apps.notifications
    organisation = "ind"
    flag = "nl.migratiesamenwerking.monitoring.programme-flagged"
    subscription_id = await _subscribed(apps, organisation, eventTypes=[flag], channels=[])
    await harness.deliver(service, harness.cloud_event(notification_flag()))
    rows = [r for r in await service.deliveries() if str(r.subscription_id) == subscription_id]
    (row,) = rows
    return Post(f"/deliveries/{row.delivery_id}/resend", None, service.auth(organisation))


def test_every_post_of_every_service_has_a_case(apps: Apps) -> None:
    posts = {
        (service, path)
        for service in ("countries", "programmes", "monitoring", "notifications")
        for path, item in apps.of(service).app.openapi()["paths"].items()
        if "post" in item
    }
    assert posts - set(CASES) == set(), "POST routes without an idempotency case"
    assert set(CASES) - posts == set(), "cases for POST routes that are gone"


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]}:{r[1]}")
async def test_a_retry_gets_the_first_answer_and_no_second_effect(
    apps: Apps, route: tuple[str, str]
) -> None:
    service = apps.of(route[0])
    post = await CASES[route](apps)
    key = new_key()
    first = await post.send(service.client, key)
    assert 200 <= first.status_code < 300, first.text
    before, published = await snapshot(service.app), await events(service.app)
    again = await post.send(service.client, key)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    for header in ("location", "content-type", "content-location", "etag"):
        assert again.headers.get(header) == first.headers.get(header), header
    assert await events(service.app) == published, "a second event"
    assert await snapshot(service.app) == before, "a second effect"


# -- the rules around the replay, each on one route ----------------------------------------


async def programmes_registered(service: Programmes) -> int:
    async with service.runtime.sessions() as session:
        count = await session.scalar(sa.text("SELECT count(*) FROM registered_programme"))
        return int(count or 0)


def assert_problem(response: httpx.Response, status: int, *, names_header: bool) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    if names_header:
        assert HEADER in problem["detail"]
        assert problem["invalidParams"][0] == {"name": HEADER, "in": "header"} | {
            "reason": problem["invalidParams"][0]["reason"]
        }
    return problem


async def test_another_request_under_a_used_key_is_a_422_naming_the_header(apps: Apps) -> None:
    service = apps.programmes
    post, key = await _programme(apps), new_key()
    first = await post.send(service.client, key)
    assert first.status_code == 201, first.text
    before = await snapshot(service.app)
    other_body = post.changed(title="Another programme")
    other_path = Post(
        f"/programmes/{first.json()['programmeId']}/status-transitions",
        {"status": 2, "reason": "Approved."},
        post.headers,
    )
    for other in (other_body, other_path):
        assert_problem(await other.send(service.client, key), 422, names_header=True)
    assert await snapshot(service.app) == before


async def test_a_retry_while_the_first_is_in_flight_is_a_409(
    apps: Apps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first request is held after its commit, before its answer is stored.

    (Held there and not inside its transaction: on SQLite the retry's audit record waits
    for the database the held transaction would keep, and in-process the client gets
    the retry's answer only after that record.)
    """
    service = apps.programmes
    keys = keys_of(service.app)
    post, key = await _programme(apps), new_key()
    arrived, go_on = asyncio.Event(), asyncio.Event()
    keep = keys.keep

    async def held_keep(*args: Any) -> None:
        arrived.set()
        await go_on.wait()
        await keep(*args)

    monkeypatch.setattr(keys, "keep", held_keep)
    first = asyncio.create_task(post.send(service.client, key))
    await asyncio.wait_for(arrived.wait(), timeout=30)
    retry = await post.send(service.client, key)
    problem = assert_problem(retry, 409, names_header=False)
    assert "still being handled" in problem["detail"]
    assert retry.headers["retry-after"] == "1"
    changed = post.changed(title="Changed meanwhile")
    assert_problem(await changed.send(service.client, key), 422, names_header=True)
    go_on.set()
    answered = await first
    assert answered.status_code == 201, answered.text
    again = await post.send(service.client, key)
    assert (again.status_code, again.content) == (201, answered.content)


async def test_concurrent_first_requests_take_effect_once(
    apps: Apps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As from two processes (no shared in-flight list): the key's primary key decides."""
    service = apps.programmes
    keys = keys_of(service.app)
    post, key = await _programme(apps), new_key()
    programmes, published = await programmes_registered(service), await events(service.app)
    one = await post.send(service.client)  # how many events one registration emits
    assert one.status_code == 201, one.text
    per_request = await events(service.app) - published
    programmes, published = programmes + 1, published + per_request

    class Forgetful(dict[tuple[str, str], str]):
        def __setitem__(self, slot: tuple[str, str], request: str) -> None:
            pass

    both_looked = asyncio.Barrier(2)
    lookup = keys.stored
    looked: list[int] = []

    async def stored_together(*args: Any) -> Any:
        found = await lookup(*args)
        looked.append(1)
        if len(looked) <= 2:
            await asyncio.wait_for(both_looked.wait(), timeout=30)
        return found

    monkeypatch.setattr(keys, "in_flight", Forgetful())
    monkeypatch.setattr(keys, "stored", stored_together)
    answers = await asyncio.gather(post.send(service.client, key), post.send(service.client, key))
    statuses = sorted(a.status_code for a in answers)
    assert statuses in ([201, 201], [201, 409]), [a.text for a in answers]
    assert await programmes_registered(service) == programmes + 1
    assert await events(service.app) == published + per_request
    if statuses == [201, 201]:
        assert answers[0].content == answers[1].content


async def test_a_key_whose_answer_was_lost_is_a_409_saying_it_took_effect(
    apps: Apps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change and the key committed, the answer was never stored (a crash in between)."""
    service = apps.programmes
    keys = keys_of(service.app)

    async def crashed(*_args: Any) -> None:
        raise RuntimeError("the process stopped before storing the answer")

    post, key = await _programme(apps), new_key()
    monkeypatch.setattr(keys, "keep", crashed)
    first = await post.send(service.client, key)
    assert first.status_code == 201, first.text
    monkeypatch.undo()
    before = await snapshot(service.app)
    retry = await post.send(service.client, key)
    problem = assert_problem(retry, 409, names_header=False)
    assert "took effect" in problem["detail"]
    assert await snapshot(service.app) == before


async def test_a_replay_needs_the_rights_of_the_first_request(apps: Apps) -> None:
    service = apps.programmes
    post, key = await _programme(apps), new_key()
    assert (await post.send(service.client, key)).status_code == 201
    reader = Post(post.path, post.body, service.auth(scopes=()))
    assert (await reader.send(service.client, key)).status_code == 403


async def test_keys_are_the_calling_organisations_own(apps: Apps) -> None:
    service = apps.notifications
    key = new_key()
    body = {"channels": ["monitoring"]}
    answers = {}
    for organisation in ("am", "kmar"):
        post = Post("/subscriptions", body, service.auth(organisation))
        answers[organisation] = await post.send(service.client, key)
        assert answers[organisation].status_code == 201, answers[organisation].text
    assert answers["am"].json()["subscriptionId"] != answers["kmar"].json()["subscriptionId"]
    for organisation, first in answers.items():
        again = await Post("/subscriptions", body, service.auth(organisation)).send(
            service.client, key
        )
        assert again.content == first.content


MALFORMED: list[tuple[str, list[tuple[bytes, bytes]]]] = [
    ("empty", [(b"idempotency-key", b"")]),
    ("empty string", [(b"idempotency-key", b'""')]),
    ("not quoted", [(b"idempotency-key", b"8e03978e-40d5")]),
    ("too long", [(b"idempotency-key", b'"' + b"k" * 256 + b'"')]),
    ("not ASCII", [(b"idempotency-key", '"café"'.encode())]),
    ("a tab", [(b"idempotency-key", b'"a\tb"')]),
    ("bad escape", [(b"idempotency-key", b'"a\\b"')]),
    ("inner quote", [(b"idempotency-key", b'"a"b"')]),
    ("open quote", [(b"idempotency-key", b'"abc')]),
    ("twice", [(b"idempotency-key", b'"a"'), (b"idempotency-key", b'"b"')]),
]


@pytest.mark.parametrize(("why", "lines"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_a_malformed_key_is_a_400_naming_the_header(
    apps: Apps, why: str, lines: list[tuple[bytes, bytes]]
) -> None:
    service = apps.programmes
    post = await _programme(apps)
    before = await snapshot(service.app)
    headers = [(n.encode(), v.encode()) for n, v in post.headers.items()] + lines
    response = await service.client.post(f"/v1{post.path}", json=post.body, headers=headers)
    assert_problem(response, 400, names_header=True)
    assert await snapshot(service.app) == before


async def test_the_longest_key_and_escapes_are_accepted(apps: Apps) -> None:
    service = apps.programmes
    post = await _programme(apps)
    for key in ('"' + "k" * 254 + '\\""', '"' + uuid.uuid4().hex + ' \\\\ x"'):
        first = await post.send(service.client, key)
        assert first.status_code == 201, first.text
        assert (await post.send(service.client, key)).content == first.content


async def test_a_refusal_is_not_kept_and_its_key_stays_free(apps: Apps) -> None:
    service = apps.programmes
    post, key = await _programme(apps), new_key()
    refused = await post.changed(plannedEnd="1999-01-01").send(service.client, key)
    assert 400 <= refused.status_code < 500
    assert (await post.send(service.client, key)).status_code == 201


async def test_keys_are_kept_for_their_time_then_purged(apps: Apps) -> None:
    service = apps.programmes
    keys = keys_of(service.app)
    assert keys.retention == timedelta(hours=24)
    assert PlatformSettings().idempotency_key_retention_hours == 24
    post, key = await _programme(apps), new_key()
    first = await post.send(service.client, key)
    assert first.status_code == 201, first.text
    real_clock = keys.clock
    try:
        keys.clock = lambda: real_clock() + timedelta(hours=23, minutes=59)
        assert (await post.send(service.client, key)).content == first.content
        keys.clock = lambda: real_clock() + timedelta(hours=24, seconds=1)
        # past its time, a key is free again even before the purge came by
        second = await post.send(service.client, key)
        assert second.status_code == 201, second.text
        assert second.json()["programmeId"] != first.json()["programmeId"]
        keys.clock = lambda: real_clock() + timedelta(hours=49)
        assert await keys.purge(service.runtime.sessions) >= 1
        async with service.runtime.sessions() as session:
            left = await session.scalar(sa.text("SELECT count(*) FROM idempotency_key"))
        assert left == 0
    finally:
        keys.clock = real_clock
