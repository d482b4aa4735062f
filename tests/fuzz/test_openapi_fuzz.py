"""Property-based fuzzing of each service's published OpenAPI: no input gets a 5xx.

Schemathesis reads ``/v1/openapi.json`` of a running service and sends what the
document allows (and what it does not: the negative mode), with a token that carries
every scope, and fails on any 5xx. The four services run as their own processes on
the suite's broker, as in production, on each engine in turn (PostgreSQL enforces
lengths and types that SQLite lets through), and are fuzzed at the same time, each with a
fixed seed and a bounded number of examples per operation, so a run is repeatable
and takes about a minute.

A failure names the operation and a ``curl`` line that reproduces it; the reports
(JUnit) stay under the test's temporary directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from shared.events.catalogue import SERVICES
from shared.http.auth import issue_token
from shared.settings import PlatformSettings
from shared.supervisor import Supervisor
from tests.databases import TestDatabases

pytestmark = pytest.mark.kafka

FUZZ_PORTS = {name: 18041 + i for i, name in enumerate(SERVICES)}
#: Fixed, so that a failure found once is found again.
SEED = 20261203
#: Examples per operation and phase; with the coverage phase this is a few thousand
#: requests per service.
MAX_EXAMPLES = int(os.environ.get("TASKFORCE_FUZZ_EXAMPLES", "25"))
#: Upper bound per service, whatever the machine.
MAX_SECONDS = 240
EVERY_SCOPE = (
    "countries:write",
    "programmes:write",
    "programmes:decide",
    "monitoring:write",
    "notifications:write",
)
#: Who calls each service: an organisation its write rights let through, so that the
#: generated requests reach the use cases and not only the 403. Programmes are changed
#: by their owning ministry alone (the programmes the fuzzer registers are its own);
#: the secretariat may write in the other three.
CALLER = {
    "countries": "tf-secretariaat",
    "programmes": "am",
    "monitoring": "tf-secretariaat",
    "notifications": "tf-secretariaat",
}


@dataclass(frozen=True)
class FuzzRun:
    service: str
    returncode: int
    output: str


@pytest.fixture(scope="module")
def fuzzed(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory, database: TestDatabases
) -> Iterator[dict[str, FuzzRun]]:
    var = tmp_path_factory.mktemp("fuzz")
    supervisor = Supervisor(
        ports=FUZZ_PORTS,
        log_dir=var / "logs",
        run_dir=var / "run",
        env={
            "TASKFORCE_VAR_DIR": str(var),
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            **database.service_environment("fuzz"),
        },
    )
    supervisor.start_all()
    try:
        supervisor.wait_all_ready(timeout=90)
        settings = PlatformSettings(var_dir=var)
        tokens = {
            service: issue_token(settings, CALLER[service], EVERY_SCOPE, timedelta(hours=1))
            for service in SERVICES
        }
        yield _fuzz_all(supervisor, tokens, var)
    finally:
        supervisor.stop_all()


def _fuzz_all(supervisor: Supervisor, tokens: dict[str, str], var: Path) -> dict[str, FuzzRun]:
    """Fuzz every service at once; each writes its own report and output file."""
    runs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    for service in SERVICES:
        token = tokens[service]
        output = var / f"fuzz-{service}.txt"
        command = [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{supervisor.base_url(service)}/v1/openapi.json",
            "--checks",
            "not_a_server_error",
            "--seed",
            str(SEED),
            "--max-examples",
            str(MAX_EXAMPLES),
            "--phases",
            "examples,coverage,fuzzing",
            "--generation-database",
            "none",
            "--request-timeout",
            "20",
            # One worker: hypothesis' lambda descriptions are not thread-safe on 3.11.
            "--workers",
            "1",
            "--no-color",
            "--header",
            f"Authorization: Bearer {token}",
            "--report",
            "junit",
            "--report-junit-path",
            str(var / f"fuzz-{service}.xml"),
        ]
        with output.open("wb") as sink:
            # Its crash cache goes to the working directory: keep it out of the checkout.
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, cwd=var)
        runs[service] = (process, output)
    deadline = time.monotonic() + MAX_SECONDS
    results: dict[str, FuzzRun] = {}
    for service, (process, output) in runs.items():
        try:
            process.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        text = output.read_text(errors="replace").replace(tokens[service], "<token>")
        results[service] = FuzzRun(service, process.returncode, text)
    return results


@pytest.mark.parametrize("service", SERVICES)
def test_no_input_gets_a_server_error(fuzzed: dict[str, FuzzRun], service: str) -> None:
    run = fuzzed[service]
    # Schemathesis exits 0 only when every check passed for every operation it tested.
    assert run.returncode == 0, f"fuzzing {service} found failures:\n{run.output[-12000:]}"
    # ... and it did test: every operation of the document, with many cases each.
    selected = re.search(r"Selected: (\d+)/(\d+)", run.output)
    tested = re.search(r"Tested: (\d+)", run.output)
    generated = re.search(r"(\d+) generated", run.output)
    assert selected and tested and generated, run.output[-2000:]
    operations = int(selected.group(2))
    assert operations >= 5
    assert int(tested.group(1)) == operations
    assert int(generated.group(1)) >= 10 * operations
