"""The four services as ``make up`` runs them, for end-to-end tests on the test broker.

Each stack gets a fresh var dir and its own Kafka prefix
(``TASKFORCE_KAFKA_PREFIX``): its own principals (passwords beside the test
broker's), ACLs and consumer groups, provisioned on start and removed on close,
on the shared domain topics. The test broker keeps every earlier
run's records, so before the services start, their new groups are committed at
the current end of the topics they read: a fresh stack neither replays old
records nor misses any of its own. Tests create their own programmes (ids are
generated), so they assert only on what they made.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer

from shared.events.catalogue import SERVICES, topic_of
from shared.http.auth import issue_token
from shared.kafka.principals import ADMIN
from shared.kafka.provisioning import deprovision, provision
from shared.kafka.security import aiokafka_options, load_credentials
from shared.settings import PlatformSettings
from shared.supervisor import Supervisor
from tests.e2e.topic_audit import end_offsets
from tests.support import kafka_options
from tests.webhook_receiver import Receiver, free_port

YEAR = date.today().year
#: A small frame for this year, so one commitment can exceed it (scenario c).
FRAME = [
    {"year": YEAR, "budgetLine": "bho", "oda": True, "amountEur": 50_000_000},
    {"year": YEAR, "budgetLine": "am", "oda": True, "amountEur": 10_000_000},
    {"year": YEAR, "budgetLine": "am", "oda": False, "amountEur": 1_000_000},
]
SCOPES = {
    "countries": ["countries:write"],
    "programmes": ["programmes:write", "programmes:decide"],
    "monitoring": ["monitoring:write"],
    "notifications": ["notifications:write"],
}


def stack_env(
    var: Path, bootstrap: str, prefix: str, secret: str, oin: str, receiver_port: int
) -> dict[str, str]:
    return {
        "TASKFORCE_OIN": oin,
        "TASKFORCE_VAR_DIR": str(var),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "TASKFORCE_JWT_SECRET": secret,
        "TASKFORCE_KAFKA_PREFIX": prefix,
        "TASKFORCE_CONSUMER_BACKOFF_INITIAL_S": "0.05",
        "TASKFORCE_CONSUMER_BACKOFF_MAX_S": "0.5",
        "TASKFORCE_CONSUMER_MAX_ATTEMPTS": "3",
        "TASKFORCE_OUTBOX_POLL_INTERVAL_S": "0.2",
        "TASKFORCE_PROGRAMMES_BUDGET_FRAME": json.dumps(FRAME),
        "TASKFORCE_NOTIFICATIONS_ALLOWED_HOSTS": f'["127.0.0.1:{receiver_port}"]',
        "TASKFORCE_NOTIFICATIONS_RETRY_INITIAL_S": "0.5",
        "TASKFORCE_NOTIFICATIONS_RETRY_FACTOR": "2",
        "TASKFORCE_NOTIFICATIONS_RETRY_MAX_DELAY_S": "2",
        "TASKFORCE_NOTIFICATIONS_RETRY_JITTER": "0.1",
        "TASKFORCE_NOTIFICATIONS_MAX_ATTEMPTS": "50",
        "TASKFORCE_NOTIFICATIONS_POLL_INTERVAL_S": "0.1",
        "TASKFORCE_NOTIFICATIONS_REQUEST_TIMEOUT_S": "5",
        # Attempts in flight are what a kill -9 can repeat; test_resilience allows 20.
        "TASKFORCE_NOTIFICATIONS_MAX_IN_FLIGHT": "20",
    }


def admin_options(settings: PlatformSettings) -> dict[str, Any]:
    """aiokafka options for ``settings``' broker as its admin (the suite's, or a cluster's)."""
    return aiokafka_options(settings, load_credentials(settings.kafka_secrets, ADMIN))


async def commit_groups_at_end(settings: PlatformSettings, groups: dict[str, list[str]]) -> None:
    """Commit each new group's offsets at the current end of the topics it will read."""
    options = admin_options(settings)
    topics = sorted({t for ts in groups.values() for t in ts})
    ends = await end_offsets(options, topics)
    for group, group_topics in groups.items():
        consumer = AIOKafkaConsumer(**options, group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            mine = {tp: offset for tp, offset in ends.items() if tp.topic in group_topics}
            consumer.assign(list(mine))
            await consumer.commit(mine)
        finally:
            await consumer.stop()


@dataclass
class Stack:
    supervisor: Supervisor
    settings: PlatformSettings
    receiver: Receiver
    bootstrap: str
    prefix: str
    _turn: int = 0

    @property
    def oin(self) -> str:
        return self.settings.oin

    @classmethod
    def start(
        cls,
        var: Path,
        bootstrap: str,
        ports: dict[str, int],
        *,
        replicas: int = 1,
        env: dict[str, str] | None = None,
        **settings: Any,
    ) -> Stack:
        """The four services (``replicas`` processes each) on ``bootstrap``, ready.

        ``env`` adds to what every process reads (a database URL, a cluster's
        secrets); ``settings`` are the same choices for this process's own
        ``PlatformSettings`` (provisioning, tokens).
        """
        prefix = f"e2e-{uuid.uuid4().hex[:10]}"
        secret = uuid.uuid4().hex + uuid.uuid4().hex
        # Its own OIN makes the stack's event sources unique on the shared test broker.
        oin = f"{uuid.uuid4().int % 10**20:020d}"
        platform = PlatformSettings(
            var_dir=var,
            kafka_bootstrap_servers=bootstrap,
            jwt_secret=secret,
            kafka_prefix=prefix,
            oin=oin,
            **settings,
        )
        asyncio.run(provision(platform))
        asyncio.run(
            commit_groups_at_end(
                platform,
                {
                    platform.consumer_group_for(s): [topic_of(o) for o in SERVICES if o != s]
                    for s in SERVICES
                },
            )
        )
        # Checks signatures as a subscriber would; its own port goes on the allow-list.
        receiver = Receiver(port=free_port(), checks_signatures=True, oin=oin)
        supervisor = Supervisor(
            ports=ports,
            log_dir=var / "logs",
            run_dir=var / "run",
            env=stack_env(var, bootstrap, prefix, secret, oin, receiver.port) | (env or {}),
            replicas=replicas,
        )
        receiver.start()
        stack = cls(supervisor, platform, receiver, bootstrap, prefix)
        supervisor.start_all()
        try:
            supervisor.wait_all_ready(timeout=120)
        except BaseException:
            stack.close()
            raise
        return stack

    def close(self) -> None:
        self.supervisor.stop_all()
        self.receiver.stop()
        asyncio.run(deprovision(self.settings))

    def restart(self, service: str) -> None:
        """Start a service (or one replica, by its process name) again, and wait till ready."""
        self.supervisor.start(service)
        self.supervisor.wait_ready(service, timeout=60)

    def kafka_options(self) -> dict[str, Any]:
        """aiokafka options to read the stack's broker as admin."""
        return admin_options(self.settings)

    # -- HTTP --------------------------------------------------------------------
    def headers(self, service: str, organisation: str) -> dict[str, str]:
        token = issue_token(self.settings, organisation, SCOPES[service])
        return {"Authorization": f"Bearer {token}"}

    def url(self, service: str, path: str) -> str:
        """The URL of ``path`` on the service; with replicas, on the next one that runs."""
        names = [n for n in self.supervisor.names_of(service) if self.supervisor.running(n)]
        if len(names) > 1:
            self._turn += 1
            return f"{self.supervisor.base_url(names[self._turn % len(names)])}/v1{path}"
        return f"{self.supervisor.base_url(names[0] if names else service)}/v1{path}"

    def call(
        self, service: str, method: str, path: str, organisation: str, expect: int = 200, **kw: Any
    ) -> Any:
        response = httpx.request(
            method,
            self.url(service, path),
            headers=self.headers(service, organisation),
            timeout=30,
            **kw,
        )
        assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    # -- building blocks ---------------------------------------------------------
    def programme(
        self,
        *,
        owner: str = "am",
        agencies: Iterable[str] = ("kmar",),
        country: str = "TUN",
        budget: tuple[str, bool, str] = ("am", False, "500000.00"),
        title: str | None = None,
    ) -> str:
        """Register, budget, plan and approve a programme; returns its id once monitoring has it."""
        body = {
            "title": title or f"E2E programme {uuid.uuid4().hex[:8]}",
            "description": "End-to-end test programme.",
            "participatingOrganisations": [
                {"role": "funding", "organisation": owner},
                *({"role": "implementing", "organisation": a} for a in agencies),
            ],
            "plannedStart": f"{YEAR}-01-01",
            "plannedEnd": f"{YEAR + 1}-12-31",
            "recipientCountries": [{"countryCode": country, "percentage": "100"}],
            "sectors": [{"code": "15190", "percentage": "100"}],
            "themes": ["border-management"],
        }
        created = self.call("programmes", "POST", "/programmes", owner, 201, json=body)
        pid: str = created["programmeId"]
        line, oda, amount = budget
        self.call(
            "programmes",
            "PUT",
            f"/programmes/{pid}/budgets",
            owner,
            json={"budgets": [{"year": YEAR, "budgetLine": line, "oda": oda, "amount": amount}]},
        )
        indicator = {
            "indicatorId": "officers-trained",
            "title": "Border officers trained, including on human rights",
            "resultType": "outcome",
            "measure": "unit",
            "ascending": True,
            "baseline": {"year": YEAR - 1, "value": "100"},
            "targets": [
                {"periodStart": f"{YEAR}-01-01", "periodEnd": f"{YEAR}-12-31", "value": "150"}
            ],
        }
        self.call(
            "programmes",
            "PUT",
            f"/programmes/{pid}/results-framework",
            owner,
            json={"indicators": [indicator]},
        )
        self.call(
            "programmes",
            "POST",
            f"/programmes/{pid}/status-transitions",
            owner,
            201,
            json={"status": 2, "reason": "Approved for the end-to-end test."},
        )
        wait_for(
            lambda: (
                httpx.get(
                    self.url("monitoring", f"/programmes/{pid}/overview"),
                    headers=self.headers("monitoring", owner),
                ).status_code
                == 200
            ),
            what=f"monitoring to know {pid}",
        )
        return pid

    def report_counterproductive_result(self, pid: str, *, reporter: str) -> None:
        """A result below the baseline (100) of an increasing indicator: monitoring flags it."""
        self.call(
            "monitoring",
            "POST",
            "/indicator-results",
            reporter,
            201,
            json={
                "programmeId": pid,
                "indicatorId": "officers-trained",
                "periodStart": f"{YEAR}-01-01",
                "periodEnd": f"{YEAR}-12-31",
                "value": "80",
                "comment": "Fewer officers trained than before the programme.",
                "source": "Interim report",
            },
        )

    def subscribe(self, organisation: str, **selection: Any) -> str:
        url, secret = self.receiver.endpoint(organisation)
        body = {"url": url, "secret": secret, "description": "e2e", **selection}
        created = self.call("notifications", "POST", "/subscriptions", organisation, 201, json=body)
        subscription_id: str = created["subscriptionId"]
        return subscription_id


def wait_for(check: Callable[[], Any], *, timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


async def read_dead_letters(
    bootstrap: str, group: str, topics: list[str], keys: set[str], count: int
) -> list[tuple[str, str, str]]:
    """The dead letters of ``keys`` as (topic, group, reason), once ``count`` have come.

    Then two quiet seconds, in which nothing more for those keys may arrive.
    """
    consumer = AIOKafkaConsumer(
        *topics,
        **kafka_options(bootstrap),
        group_id=group,
        enable_auto_commit=False,
        isolation_level="read_committed",
    )
    await consumer.start()
    found: list[tuple[str, str, str]] = []
    deadline = time.monotonic() + 60
    try:
        while len(found) < count and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    if record.key is None or record.key.decode() not in keys:
                        continue
                    headers = {k: bytes(v).decode() for k, v in record.headers}
                    found.append(
                        (
                            headers["dead-letter-topic"],
                            headers["dead-letter-group"],
                            headers["dead-letter-reason"],
                        )
                    )
        await asyncio.sleep(2)  # nothing more may come
        batch = await consumer.getmany(timeout_ms=1000)
        extra = [r for rs in batch.values() for r in rs if r.key and r.key.decode() in keys]
        assert not extra, extra
    finally:
        await consumer.stop()
    return found
