"""What one pytest process owns when the suite runs in parallel (pytest-xdist).

``make test`` runs the suite on several xdist workers. Tests that share a
broker get in each other's way: a stack's services consume every other stack's
events from the same domain topics (dead-lettering them as ``untrusted-source``),
and the resilience tests stop and kill the broker under everyone. So each worker
gets its own of everything that is shared in a serial run:

- a broker: ``TASKFORCE_TEST_KAFKA_PORT`` (default 19092) plus two ports per worker
  index (broker, controller), and the TLS test broker 300 above that;
- a var dir (data, passwords): ``TASKFORCE_TEST_VAR_DIR`` (default ``var/test``)
  itself for worker ``gw0`` and a serial run, ``<var dir>/gw<N>`` for the others;
- fixed service ports: the port a test module names, plus
  ``TASKFORCE_TEST_SERVICE_PORT_OFFSET`` (default 0), plus 200 per worker index.

Worker ``gw0`` lays things out exactly as a serial run does, so a serial run and
the first worker reuse one broker and its passwords.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from shared.events.catalogue import SERVICES
from shared.kafka_local import PROJECT_ROOT

#: The xdist worker this process is (``gw0``, ``gw1``, ...); None in a serial run.
WORKER = os.environ.get("PYTEST_XDIST_WORKER")
#: Its index: every port a worker owns is shifted by a multiple of it.
WORKER_INDEX = int(WORKER.removeprefix("gw")) if WORKER else 0

#: Ports apart of two workers' service stacks: the modules' own lie in 18001-18154.
SERVICE_PORT_STRIDE = 200
#: Ports apart of two workers' brokers: the broker port and the controller's.
KAFKA_PORT_STRIDE = 2

#: The directory all workers' var dirs live in (the serial run's var dir).
SUITE_VAR = Path(os.environ.get("TASKFORCE_TEST_VAR_DIR", PROJECT_ROOT / "var" / "test"))
#: This worker's var dir: its broker's data and passwords.
TEST_VAR = SUITE_VAR / f"gw{WORKER_INDEX}" if WORKER_INDEX else SUITE_VAR
#: The test broker's passwords: this worker's own, or ``TASKFORCE_KAFKA_SECRETS_DIR`` for
#: an external broker (``TASKFORCE_TEST_KAFKA``). Only then: xdist workers inherit the
#: environment of the process that started them, which is not their broker's.
TEST_SECRETS = (
    Path(os.environ["TASKFORCE_KAFKA_SECRETS_DIR"])
    if os.environ.get("TASKFORCE_TEST_KAFKA") and os.environ.get("TASKFORCE_KAFKA_SECRETS_DIR")
    else TEST_VAR / "secrets" / "kafka"
)


def kafka_port(offset: int = 0) -> int:
    """This worker's broker port, ``offset`` above the suite's (the TLS broker takes 300)."""
    base = int(os.environ.get("TASKFORCE_TEST_KAFKA_PORT", "19092"))
    return base + offset + KAFKA_PORT_STRIDE * WORKER_INDEX


def service_ports(first: int) -> dict[str, int]:
    """The four services' ports for a stack a test module starts from ``first`` on.

    Each module picks its own ``first`` so that modules never share ports; the
    worker's shift keeps two workers apart even when one module runs on both.
    """
    shift = int(os.environ.get("TASKFORCE_TEST_SERVICE_PORT_OFFSET", "0"))
    start = first + shift + SERVICE_PORT_STRIDE * WORKER_INDEX
    return {name: start + i for i, name in enumerate(SERVICES)}


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an advisory lock across processes: one worker at a time does what's inside."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: pytest cache key: seconds each test file took in the last run, to order the next.
FILE_SECONDS = "taskforce/file-seconds"


def file_of(nodeid: str) -> str:
    """The test file of a test id: the unit ``--dist loadfile`` hands to one worker."""
    return nodeid.split("::", 1)[0]


def longest_first(items: list[pytest.Item], last_seconds: dict[str, float]) -> None:
    """Order the test files longest first, so that workers start the long ones early.

    ``--dist loadfile`` sends a whole file to one worker, so a file's module fixtures
    (a stack of four services, a TLS broker) start once; with
    ``--no-loadscope-reorder`` the files go out in the order collected. Longest first
    (as the last run measured; a file it did not see counts as long) leaves no long
    file to start when the others are done. Without a measured run: the files that run
    a stack, then those that use the broker, then the rest. The sort is stable and
    keeps a file's tests together and in their order.
    """

    def guess(item: pytest.Item) -> float:
        if "stack" in getattr(item, "fixturenames", ()):
            return 2.0
        return 1.0 if item.get_closest_marker("kafka") is not None else 0.0

    if last_seconds:
        items.sort(key=lambda item: -last_seconds.get(file_of(item.nodeid), float("inf")))
        return
    heaviest: dict[str, float] = {}
    for item in items:
        name = file_of(item.nodeid)
        heaviest[name] = max(heaviest.get(name, 0.0), guess(item))
    items.sort(key=lambda item: -heaviest[file_of(item.nodeid)])
