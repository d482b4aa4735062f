"""Run the whole suite as two pytest sessions side by side: what ``make test`` calls.

The tests marked ``kafka`` spend most of their time waiting on the broker and
on processes (the end-to-end stacks, the chaos and fuzz runs); the others use
the CPU and no broker. Run one after the other they take the sum; run side by
side on two cores, about the longer of the two.

The two sessions must not share anything they start: the broker-free one gets
a var dir and a PostgreSQL port of its own (its ``var/test-db``), the broker one
keeps ``var/test`` and the broker. The broker session's output streams as it
runs; the other's is kept in ``var/test-db/pytest.log`` and printed when it
ends. The exit status is the first non-zero one of the two.

``python -m tests.run_suite [pytest arguments]`` passes the arguments to both.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import TEST_VAR

#: The broker-free session's PostgreSQL, beside the broker session's (19432).
OFFSET_PG_PORT = 1


def main(arguments: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest", *arguments]
    quiet_var = TEST_VAR.with_name(f"{TEST_VAR.name}-db")
    quiet_var.mkdir(parents=True, exist_ok=True)
    log = quiet_var / "pytest.log"
    pg_port = int(os.environ.get("TASKFORCE_TEST_PG_PORT", "19432")) + OFFSET_PG_PORT
    quiet_env = {
        **os.environ,
        "TASKFORCE_TEST_VAR_DIR": str(quiet_var),
        "TASKFORCE_TEST_PG_PORT": str(pg_port),
    }
    print(f"== tests not marked kafka: in the background, output in {log}", flush=True)
    with log.open("wb") as output:
        quiet = subprocess.Popen(
            [*pytest, "-m", "not kafka"], env=quiet_env, stdout=output, stderr=subprocess.STDOUT
        )
        print("== tests marked kafka", flush=True)
        try:
            loud = subprocess.call([*pytest, "-m", "kafka"])
            quiet_status = quiet.wait()
        except BaseException:
            quiet.terminate()
            quiet.wait()
            raise
    print("== tests not marked kafka (output kept while the others ran)", flush=True)
    sys.stdout.write(Path(log).read_text(errors="replace"))
    for status in (loud, quiet_status):
        # 5: no tests collected; a filter passed through may leave one session empty.
        if status not in (0, 5):
            return status
    return 0 if {loud, quiet_status} != {5} else 5


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
