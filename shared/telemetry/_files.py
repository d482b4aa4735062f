"""A size-bounded, append-only JSON Lines file that several processes may share.

Local telemetry must never fill the disk of a laptop or a small VM, and a service
that is scaled out to two processes on one machine writes to the same file. So
every append reopens the file under an exclusive advisory lock, rotates it to
``<name>.1`` when the next write would cross the size limit (one generation is
kept), writes whole lines in a single ``write`` and closes it again. Reopening per
batch is what makes rotation safe: no writer keeps a descriptor to a file that
another writer has just renamed away. Batches arrive every second or so from an
exporter's worker thread, so the extra ``open`` is not on any hot path.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

try:  # POSIX; on Windows appends are serialised per process only.
    import fcntl
except ImportError:  # pragma: no cover - exercised only on Windows
    fcntl = None  # type: ignore[assignment]

#: Rotate when a file would grow beyond this many bytes; one older file is kept.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024


def rotated(path: Path) -> Path:
    """The single older generation kept next to ``path``."""
    return path.with_name(path.name + ".1")


class RotatingAppender:
    """Appends complete lines to ``path``, rotating at ``max_bytes``."""

    def __init__(self, path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        self.path = path
        self.max_bytes = max_bytes
        self._lock_path = path.with_name(path.name + ".lock")
        self._thread_lock = threading.Lock()

    def append(self, data: bytes) -> None:
        """Write ``data`` (one or more newline-terminated lines) atomically."""
        if not data:
            return
        with self._thread_lock, self._locked():
            try:
                size = self.path.stat().st_size
            except FileNotFoundError:
                size = 0
            if size and size + len(data) > self.max_bytes:
                os.replace(self.path, rotated(self.path))
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                view = memoryview(data)
                while view:  # a regular file takes it all at once; loop for safety
                    written = os.write(fd, view)
                    view = view[written:]
            finally:
                os.close(fd)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
