"""Programmes with indicators, a subscription, and flows driven at a fixed offered load.

A flow is one ``POST /v1/indicator-results`` whose value is below the
indicator's baseline (the indicator is increasing) for a period later than any
reported before: the counterproductive rule flags it once, the notifications
service delivers one ``programme-flagged`` webhook to the owning ministry. The
targets lie far below the baseline, so the underperformance rule never fires
and every flow makes exactly one flag.

Slots (programme, indicator, period) are used period by period, so an
indicator's next period is reported only after all other indicators had theirs.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiohttp
import httpx

from bench.receiver import FLAGGED_TYPE, WebhookRecorder
from services.notifications.domain.signing import new_secret
from shared.http.auth import issue_token
from shared.settings import PlatformSettings

OWNER = "bz"
BASELINE = "1000"
BELOW_BASELINE = "999"
FIRST_YEAR = 2015  # periods are months from here on: all in the past, as results must be
PLAN_TIMEOUT_S = 120.0


class SetupError(RuntimeError):
    """A service refused the setup; the message carries its answer."""


@dataclass(frozen=True)
class Slot:
    programme_id: str
    indicator_id: str
    period: tuple[date, date]


@dataclass
class Flow:
    slot: Slot
    sent: float
    accepted: float | None = None
    result_id: str | None = None
    error: str | None = None


def month_periods(count: int) -> list[tuple[date, date]]:
    periods = []
    for i in range(count):
        year, month = FIRST_YEAR + i // 12, i % 12 + 1
        following = date(year + month // 12, month % 12 + 1, 1)
        periods.append((date(year, month, 1), date.fromordinal(following.toordinal() - 1)))
    return periods


@dataclass
class Platform:
    """HTTP access to the running services with locally signed tokens.

    ``client`` (httpx) does the set-up; the measured requests go through
    ``load`` (aiohttp), whose per-request CPU is a fraction of httpx's with
    hundreds of connections open, so the load generator does not take the CPU
    the services are being measured on.
    """

    settings: PlatformSettings
    #: The base URL of each replica of each service: requests take them in turn, as a
    #: load balancer in front of them would, with no proxy's CPU in the figures.
    urls: dict[str, list[str]]
    client: httpx.AsyncClient
    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    _turns: dict[str, int] = field(default_factory=dict)
    _load: aiohttp.ClientSession | None = None

    @property
    def load(self) -> aiohttp.ClientSession:
        """Made on first use, inside the running event loop; ``close`` ends it."""
        if self._load is None:
            self._load = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200),
                timeout=aiohttp.ClientTimeout(total=30.0),
            )
        return self._load

    async def close(self) -> None:
        if self._load is not None:
            await self._load.close()
            self._load = None

    def url(self, service: str) -> str:
        """The next replica's base URL."""
        turn = self._turns.get(service, 0)
        self._turns[service] = turn + 1
        replicas = self.urls[service]
        return replicas[turn % len(replicas)]

    def headers(self, organisation: str, scope: str) -> dict[str, str]:
        key = (organisation, scope)
        if key not in self._tokens:
            self._tokens[key] = issue_token(self.settings, organisation, [scope])
        return {"Authorization": f"Bearer {self._tokens[key]}"}

    async def call(
        self, service: str, method: str, path: str, expected: int = 200, **kwargs: Any
    ) -> Any:
        scope = f"{service}:write"
        response = await self.client.request(
            method, f"{self.url(service)}/v1{path}", headers=self.headers(OWNER, scope), **kwargs
        )
        if response.status_code != expected:
            raise SetupError(f"{method} {service}{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None


def _programme_body(number: int) -> dict[str, Any]:
    return {
        "title": f"Benchmark programme {number:03d}",
        "description": "Synthetic programme of the benchmark; no real figures.",
        "participatingOrganisations": [
            {"role": "funding", "organisation": OWNER},
            {"role": "implementing", "organisation": "kmar"},
        ],
        "plannedStart": f"{FIRST_YEAR}-01-01",
        "plannedEnd": f"{date.today().year + 1}-12-31",
        "recipientCountries": [{"countryCode": "MAR", "percentage": "100"}],
        "sectors": [{"code": "15190", "percentage": "100"}],
        "themes": ["protection"],
    }


def _indicator(number: int, periods: list[tuple[date, date]]) -> dict[str, Any]:
    return {
        "indicatorId": f"bench-{number:02d}",
        "title": f"Benchmark indicator {number}",
        "resultType": "outcome",
        "measure": "unit",
        "ascending": True,
        "baseline": {"year": FIRST_YEAR - 1, "value": BASELINE},
        "targets": [
            {"periodStart": s.isoformat(), "periodEnd": e.isoformat(), "value": "0"}
            for s, e in periods
        ],
    }


async def set_up(
    platform: Platform,
    recorder: WebhookRecorder,
    receiver_url: str,
    programmes: int,
    indicators: int,
    periods: int,
) -> list[Slot]:
    """Subscription, programmes (approved, so monitoring gets their plans), and the slots."""
    secret = new_secret()
    recorder.secrets[OWNER] = secret
    await platform.call(
        "notifications",
        "POST",
        "/subscriptions",
        expected=201,
        json={
            "url": f"{receiver_url}/{OWNER}",
            "description": "Benchmark: counterproductive flags of what we own",
            "eventTypes": [FLAGGED_TYPE],
            "filters": {"owningOrganisation": ["mine"], "flagCategory": ["counterproductive"]},
            "secret": secret,
        },
    )
    spans = month_periods(periods)
    framework = {"indicators": [_indicator(i, spans) for i in range(indicators)]}
    ids: list[str] = []
    for number in range(programmes):
        created = await platform.call(
            "programmes", "POST", "/programmes", expected=201, json=_programme_body(number)
        )
        pid = created["programmeId"]
        await platform.call(
            "programmes",
            "PUT",
            f"/programmes/{pid}/budgets",
            json={
                "budgets": [
                    {"year": date.today().year, "budgetLine": "bho", "oda": True, "amount": "1.00"}
                ]
            },
        )
        await platform.call(
            "programmes", "PUT", f"/programmes/{pid}/results-framework", json=framework
        )
        await platform.call(
            "programmes",
            "POST",
            f"/programmes/{pid}/status-transitions",
            expected=201,
            json={"status": 2, "reason": "Approved for the benchmark."},
        )
        ids.append(pid)
    await _wait_for_plans(platform, set(ids))
    return [
        Slot(pid, f"bench-{i:02d}", span)
        for span in spans
        for pid in ids
        for i in range(indicators)
    ]


async def _wait_for_plans(platform: Platform, wanted: set[str]) -> None:
    deadline = time.monotonic() + PLAN_TIMEOUT_S
    while True:
        listed = await platform.call("monitoring", "GET", "/programmes", params={"pageSize": 100})
        known = {p["programmeId"] for p in listed["items"] if p["indicatorIds"]}
        if wanted <= known:
            return
        if time.monotonic() > deadline:
            raise SetupError(f"monitoring has {len(known & wanted)} of {len(wanted)} plans")
        await asyncio.sleep(0.5)


async def post_result(platform: Platform, flow: Flow) -> None:
    slot = flow.slot
    body = {
        "programmeId": slot.programme_id,
        "indicatorId": slot.indicator_id,
        "periodStart": slot.period[0].isoformat(),
        "periodEnd": slot.period[1].isoformat(),
        "value": BELOW_BASELINE,
        "source": "Benchmark",
    }
    try:
        async with platform.load.post(
            f"{platform.url('monitoring')}/v1/indicator-results",
            json=body,
            headers=platform.headers(OWNER, "monitoring:write"),
        ) as response:
            answer = await response.read()
    except (aiohttp.ClientError, TimeoutError) as exc:
        flow.error = f"{type(exc).__name__}: {exc}"
        return
    if response.status != 201:
        flow.error = f"HTTP {response.status}: {answer[:200]!r}"
        return
    flow.accepted = time.monotonic()
    flow.result_id = str(json.loads(answer)["resultId"])


async def drive(
    platform: Platform, slots: Iterator[Slot], rate: float, duration: float
) -> list[Flow]:
    """Start one flow every ``1/rate`` seconds for ``duration`` seconds (open loop).

    An indicator's next period waits for the answer on its previous one: under
    overload the requests queue up, and a later period committed first would
    make the earlier one no longer the latest, so it would not flag.
    """
    flows: list[Flow] = []
    tasks: list[asyncio.Task[None]] = []
    last: dict[tuple[str, str], asyncio.Task[None]] = {}
    start = time.monotonic()
    total = int(rate * duration)
    try:
        for index in range(total):
            due = start + index / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            flow = Flow(next(slots), sent=time.monotonic())
            flows.append(flow)
            key = (flow.slot.programme_id, flow.slot.indicator_id)
            last[key] = asyncio.create_task(_after(last.get(key), platform, flow))
            tasks.append(last[key])
        await asyncio.gather(*tasks)
    finally:  # interrupted: no request may start after the client is closed
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return flows


async def _after(previous: asyncio.Task[None] | None, platform: Platform, flow: Flow) -> None:
    if previous is not None:
        await previous
        flow.sent = time.monotonic()
    await post_result(platform, flow)


async def post_burst(
    platform: Platform, slots: Iterator[Slot], count: int, concurrency: int
) -> int:
    """Post ``count`` results as fast as ``concurrency`` requests allow; how many were accepted."""
    queue = [Flow(next(slots), sent=0.0) for _ in range(count)]

    async def worker(mine: list[Flow]) -> None:
        for flow in mine:
            await post_result(platform, flow)

    await asyncio.gather(*(worker(queue[i::concurrency]) for i in range(concurrency)))
    return sum(1 for f in queue if f.result_id is not None)


async def wait_for_webhooks(recorder: WebhookRecorder, flows: list[Flow], timeout: float) -> None:
    """Until every accepted flow's webhook arrived, or ``timeout`` passes without progress."""
    wanted = [f.result_id for f in flows if f.result_id is not None]
    last_progress, seen = time.monotonic(), -1
    while True:
        count = sum(1 for r in wanted if r in recorder.arrivals)
        if count == len(wanted):
            return
        if count != seen:
            last_progress, seen = time.monotonic(), count
        elif time.monotonic() - last_progress > timeout:
            return
        await asyncio.sleep(0.1)
