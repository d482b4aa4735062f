"""kill -9 of monitoring, programmes or notifications mid-stream: nothing lost, nothing repeated."""

from __future__ import annotations

import pytest

from services.notifications.settings import NotificationsSettings
from tests.e2e.resilience import FAULT_TEST_TIMEOUT_S, INCIDENTS, assert_balanced, new_stream, run
from tests.e2e.stack import Stack

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(FAULT_TEST_TIMEOUT_S)]
BASE_PORT = 18111


@pytest.mark.parametrize("service", ["monitoring", "programmes", "notifications"])
def test_kill_9_mid_stream_loses_and_repeats_nothing(stack: Stack, service: str) -> None:
    stream = new_stream(stack)

    def crash() -> None:
        stack.supervisor.kill(service)
        stack.restart(service)

    took = run(stream, crash)
    in_flight = NotificationsSettings().batch_size if service == "notifications" else 0
    assert_balanced(stream, redelivered_at_most=in_flight)
    print(f"kill -9 {service}: {INCIDENTS} incidents in {took:.1f}s")
