"""Each of the four services runs as its own process, answers /ready and stops cleanly."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from shared.events.catalogue import SERVICES, topic_of
from shared.supervisor import Supervisor

pytestmark = pytest.mark.kafka

TEST_PORTS = {name: 18001 + i for i, name in enumerate(SERVICES)}


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervisor]:
    var = tmp_path_factory.mktemp("stack")
    supervisor = Supervisor(
        ports=TEST_PORTS,
        log_dir=var / "logs",
        run_dir=var / "run",
        env={"TASKFORCE_VAR_DIR": str(var), "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap},
    )
    supervisor.start_all()
    try:
        supervisor.wait_all_ready(timeout=90)
        yield supervisor
    finally:
        supervisor.stop_all()


@pytest.mark.parametrize("service", SERVICES)
def test_service_is_ready_and_documents_itself(stack: Supervisor, service: str) -> None:
    base = stack.base_url(service)
    ready = httpx.get(f"{base}/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "kafka": True}
    assert ready.headers["API-Version"] == "1.0.0"

    openapi = httpx.get(f"{base}/v1/openapi.json")
    assert openapi.status_code == 200
    assert openapi.json()["info"]["version"] == "1.0.0"

    asyncapi = httpx.get(f"{base}/v1/asyncapi.json").json()
    assert asyncapi["asyncapi"].startswith("3.")
    addresses = {channel.get("address") for channel in asyncapi["channels"].values()}
    assert topic_of(service) in addresses

    missing = httpx.get(f"{base}/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.headers["API-Version"] == "1.0.0"


def test_services_stop_gracefully_on_sigterm(stack: Supervisor) -> None:
    for service in SERVICES:
        assert stack.running(service)
    for service in SERVICES:
        # uvicorn re-raises SIGTERM after a clean shutdown, so -15 is the expected code;
        # what matters is that the lifespan ran to the end (broker, relay, producer stopped).
        code = stack.stop(service, timeout=40)
        log = stack.log_path(service).read_text()
        assert code in (0, -15), log[-2000:]
        assert log.rstrip().endswith(f"Finished server process [{_pid(log)}]"), log[-2000:]
        assert "Application shutdown complete." in log, log[-2000:]


def _pid(log: str) -> str:
    return log.split("Started server process [", 1)[1].split("]", 1)[0]
