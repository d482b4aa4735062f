"""The broker stopped and started mid-stream: the services ride it out, the counts balance."""

from __future__ import annotations

import asyncio

import pytest

from shared.kafka_local import LocalKafka
from tests.e2e.resilience import (
    FAULT_TEST_TIMEOUT_S,
    INCIDENTS,
    assert_balanced,
    new_stream,
    post_incidents,
    run,
)
from tests.e2e.stack import Stack

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(FAULT_TEST_TIMEOUT_S)]
BASE_PORT = 18141


def test_broker_restart_mid_stream(stack: Stack, local_kafka: LocalKafka) -> None:
    stream = new_stream(stack)

    def bounce() -> None:
        local_kafka.stop()
        # Monitoring keeps taking reports while the broker is down: they wait in its outbox.
        asyncio.run(post_incidents(stream, INCIDENTS // 4))
        local_kafka.start()

    run(stream, bounce, after=INCIDENTS // 4)
    assert_balanced(stream, timeout=180)
    for service in stack.supervisor.processes:
        assert stack.supervisor.running(service), service
