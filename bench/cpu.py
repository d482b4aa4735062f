"""CPU time per process over a stretch of the benchmark, and each process's peak memory.

Wall-clock figures on a shared machine move with whatever else runs; the CPU
seconds each of our processes used while the flows ran move much less, and
divided by the flows completed they say which process to make cheaper. Read
from ``/proc`` (Linux); elsewhere the table is left out.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
#: The load generator and webhook receiver run in the benchmark's own process.
DRIVER = "driver (load + receiver)"


def _stat(pid: int | str) -> list[str] | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()  # the command name may hold spaces


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a live process, or None if it cannot be read."""
    fields = _stat(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds of a server and all its children, live and ended (PostgreSQL's backends).

    A backend that ended was reaped by the server, which then counts its time as
    its children's (``cutime``, ``cstime``); the live ones are counted one by one.
    """
    fields = _stat(pid)
    if fields is None:
        return None
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    for entry in PROC.iterdir():
        if entry.name.isdigit() and entry.name != str(pid):
            child = _stat(entry.name)
            if child is not None and child[1] == str(pid):
                ticks += int(child[11]) + int(child[12])
    return ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSnapshot:
    seconds: dict[str, float]
    wall: float


def snapshot(
    pids: Mapping[str, int | None], trees: Mapping[str, int | None] | None = None
) -> CpuSnapshot | None:
    """CPU seconds of each named process (of each of ``trees`` with its children) and of
    this one; None off Linux."""
    if not PROC.is_dir():
        return None
    seconds = {DRIVER: time.process_time()}
    for name, pid in pids.items():
        used = None if pid is None else process_cpu_seconds(pid)
        if used is not None:
            seconds[name] = used
    for name, pid in (trees or {}).items():
        used = None if pid is None else tree_cpu_seconds(pid)
        if used is not None:
            seconds[name] = used
    return CpuSnapshot(seconds, time.monotonic())


def peak_rss_mb(pids: Mapping[str, int | None]) -> dict[str, float]:
    """Each live process's peak resident set so far (``VmHWM``), in MiB; none off Linux.

    A high-water mark since the process started: read once the load has run, it is
    the most the process held under it.
    """
    peaks: dict[str, float] = {}
    for name, pid in pids.items():
        if pid is None:
            continue
        try:
            status = (PROC / str(pid) / "status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peaks[name] = int(line.split()[1]) / 1024  # kB
    return peaks


def per_flow(before: CpuSnapshot | None, after: CpuSnapshot | None, flows: int) -> dict[str, float]:
    """Milliseconds of CPU per completed flow, by process, plus ``total``."""
    if before is None or after is None or flows == 0:
        return {}
    spent = {
        name: (after.seconds[name] - before.seconds[name]) * 1000 / flows
        for name in after.seconds
        if name in before.seconds
    }
    spent["total"] = sum(spent.values())
    return spent
