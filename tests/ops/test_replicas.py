"""Two replicas of a service behind the round-robin proxy, on one PostgreSQL database.

As ``taskforce up --replicas 2 --database postgresql`` runs them: two processes of
countries, each on its own port with its own ``TASKFORCE_REPLICA``, one proxy on
the service's port. Requests through the proxy take turns, and what one replica
writes the other reads, because both use the same database.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.http.auth import issue_token
from shared.http.round_robin import ProxyServer, RoundRobinProxy
from shared.settings import PlatformSettings
from shared.supervisor import Supervisor, port_in_use
from tests.databases import TestDatabases

pytestmark = pytest.mark.kafka

SERVICE = "countries"
#: The proxy's port; the replicas are 10 and 20 above it (the stack's step is 100).
PROXY_PORT = 18650


@pytest.fixture
def replicas(
    kafka_bootstrap: str, database: TestDatabases, tmp_path: Path
) -> Iterator[tuple[Supervisor, ProxyServer, PlatformSettings]]:
    assert database.server is not None
    url = database.url_for(SERVICE, tmp_path)
    secret = uuid.uuid4().hex + uuid.uuid4().hex
    settings = PlatformSettings(var_dir=tmp_path, jwt_secret=secret)
    supervisor = Supervisor(
        ports={SERVICE: PROXY_PORT},
        log_dir=tmp_path / "logs",
        run_dir=tmp_path / "run",
        env={
            "TASKFORCE_VAR_DIR": str(tmp_path),
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "TASKFORCE_JWT_SECRET": secret,
            "DATABASE_URL": url,
            **database.server.client_environment(),
        },
        replicas=2,
        port_step=10,
    )
    for port in supervisor.listening_ports().values():
        assert not port_in_use(port), f"port {port} is taken"
    proxy = ProxyServer(RoundRobinProxy(supervisor.upstreams(SERVICE)), PROXY_PORT)
    try:
        proxy.start()
        supervisor.start_all_ready(timeout=120)
        yield supervisor, proxy, settings
    finally:
        proxy.stop()
        supervisor.stop_all()


def replica_of(exposition: str) -> str:
    """The replica a /metrics answer came from: the label of its ``taskforce_replica``."""
    (line,) = [line for line in exposition.splitlines() if line.startswith("taskforce_replica{")]
    labels = dict(part.split("=") for part in line.split("{")[1].split("}")[0].split(","))
    return labels["replica"].strip('"')


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_requests_alternate_and_both_replicas_answer_from_one_database(
    replicas: tuple[Supervisor, ProxyServer, PlatformSettings],
) -> None:
    supervisor, proxy, settings = replicas
    first, second = supervisor.upstreams(SERVICE)
    assert (first, second) == ("http://127.0.0.1:18660", "http://127.0.0.1:18670")
    for name, number in (("countries-1", "1"), ("countries-2", "2")):
        log = supervisor.log_path(name).read_text()
        assert f"starting {name} on port {supervisor.port_of(name)}" in log
        environment = Path(f"/proc/{supervisor.processes[name].pid}/environ").read_bytes()
        assert f"TASKFORCE_REPLICA={number}".encode() in environment.split(b"\0")
        assert f"INFO [{number}] " in log  # its log lines say which replica wrote them
    headers = {"Authorization": f"Bearer {issue_token(settings, 'bz', ['countries:write'])}"}
    notes = f"written through the proxy {uuid.uuid4().hex[:8]}"

    with httpx.Client(base_url=proxy.url, headers=headers, trust_env=False, timeout=30) as client:
        answers = []
        for turn in range(6):
            answers.append(client.get("/v1/countries/MAR").status_code)
            expected = {first: turn // 2 + 1, second: (turn + 1) // 2}
            assert proxy.proxy.served == {u: n for u, n in expected.items() if n}, turn
        assert answers == [200] * 6

        # The seventh request goes to the first replica, the eighth to the second.
        written = client.patch("/v1/countries/MAR", json={"notes": notes})
        assert written.status_code == 200, written.text
        read = client.get("/v1/countries/MAR")
        assert read.status_code == 200
        assert read.json()["notes"] == notes
        assert proxy.proxy.served == {first: 4, second: 4}

        # Each replica names itself in its metrics: asked through the proxy, they alternate.
        scraped = [replica_of(client.get("/metrics").text) for _ in range(4)]
        assert scraped == ["1", "2", "1", "2"]

    for upstream in (first, second):  # each replica, asked directly, has the same country
        direct = httpx.get(f"{upstream}/v1/countries/MAR", headers=headers, trust_env=False)
        assert direct.status_code == 200
        assert direct.json()["notes"] == notes
    assert all(supervisor.running(name) for name in supervisor.names)
