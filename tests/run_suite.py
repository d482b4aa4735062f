"""Run the whole suite as three pytest sessions side by side: what ``make test`` calls.

The tests marked ``kafka`` spend most of their time waiting on the broker and
on processes; the end-to-end ones (``tests/e2e``: the stacks, the fault and
chaos runs) most of all. The others use the CPU and no broker. Run one after the
other they take the sum; run side by side on two cores, about the longest of
them. So the suite runs as three sessions at once:

- the tests not marked ``kafka``, in ``var/test-db`` with PostgreSQL on 19433;
- the end-to-end tests, in ``var/test-e2e`` with a broker of their own on
  19292 and PostgreSQL on 19434;
- the other broker tests, in ``var/test`` with the broker on 19092 and
  PostgreSQL on 19432.

The sessions share nothing they start: each has its var dir, its PostgreSQL
port and (the two broker sessions) its broker; the ports of the stacks, fuzzers
and clusters the tests start are each in one session's tests only. The last
session's output streams as it runs; the others' is kept in their var dir's
``pytest.log`` and printed when they end. The exit status is the first non-zero
one.

``python -m tests.run_suite [pytest arguments]`` passes the arguments to every
session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support import TEST_VAR


@dataclass(frozen=True)
class Session:
    name: str
    markers: str
    #: Beside ``var/test``: ``var/test-<suffix>``; the broker session's own when empty.
    suffix: str
    #: Added to the default PostgreSQL and broker ports.
    offset: int


#: The streamed session (``var/test``, offset 0) comes last.
SESSIONS = (
    Session("tests not marked kafka", "not kafka", "db", 1),
    Session("end-to-end tests", "kafka and e2e", "e2e", 2),
    Session("tests marked kafka", "kafka and not e2e", "", 0),
)
#: The end-to-end session's broker: 200 above the suite's, clear of its controller port.
BROKER_STEP = 100


def environment(session: Session) -> dict[str, str]:
    pg_port = int(os.environ.get("TASKFORCE_TEST_PG_PORT", "19432")) + session.offset
    kafka_port = int(os.environ.get("TASKFORCE_TEST_KAFKA_PORT", "19092"))
    return {
        **os.environ,
        "TASKFORCE_TEST_VAR_DIR": str(var_of(session)),
        "TASKFORCE_TEST_PG_PORT": str(pg_port),
        "TASKFORCE_TEST_KAFKA_PORT": str(kafka_port + BROKER_STEP * session.offset),
    }


def var_of(session: Session) -> Path:
    return TEST_VAR.with_name(f"{TEST_VAR.name}-{session.suffix}") if session.suffix else TEST_VAR


def main(arguments: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest", *arguments]
    *quiet, loud = SESSIONS
    running: list[tuple[Session, subprocess.Popen[bytes], Path]] = []
    statuses: list[int] = []
    try:
        for session in quiet:
            var = var_of(session)
            var.mkdir(parents=True, exist_ok=True)
            log = var / "pytest.log"
            print(f"== {session.name}: in the background, output in {log}", flush=True)
            with log.open("wb") as output:
                process = subprocess.Popen(
                    [*pytest, "-m", session.markers],
                    env=environment(session),
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            running.append((session, process, log))
        print(f"== {loud.name}", flush=True)
        statuses.append(subprocess.call([*pytest, "-m", loud.markers], env=environment(loud)))
        for session, process, log in running:
            statuses.append(process.wait())
            print(f"== {session.name} (output kept while the others ran)", flush=True)
            sys.stdout.write(log.read_text(errors="replace"))
    except BaseException:
        for _, process, _ in running:
            process.terminate()
            process.wait()
        raise
    for status in statuses:
        # 5: no tests collected; a filter passed through may leave a session empty.
        if status not in (0, 5):
            return status
    return 0 if set(statuses) != {5} else 5


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
