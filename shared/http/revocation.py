"""Revoked bearer tokens, by token id (``jti``): one file shared by every service of a stack.

A token that leaks must stop working before it expires. ``taskforce token revoke <jti>``
appends the id to ``PlatformSettings.revocation_file`` (default
``<var_dir>/secrets/revoked-tokens``, owner-only, the directory the signing key lives
in); every verifier re-reads the file when it changes, so a revocation counts from the
next request on, in every service, without a restart.

The format is one line per revoked token: the ``jti``, then optionally whitespace and a
note (when, why). Lines starting with ``#`` are comments.
"""

from __future__ import annotations

import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

#: What a jti may look like here: printable ASCII without spaces, so it fits on one line.
_JTI: Final = re.compile(r"^[\x21-\x7e]{1,200}$")


def valid_jti(jti: str) -> bool:
    return bool(_JTI.match(jti)) and not jti.startswith("#")


class RevocationList:
    """The revoked token ids in ``path``, re-read whenever the file changes.

    Each check costs one ``stat``: cheap next to a request, and it means a revocation
    needs no signal, no restart and no polling interval to take effect.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None
        self._revoked: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def is_revoked(self, jti: str) -> bool:
        return jti in self._current()

    def _current(self) -> frozenset[str]:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return frozenset()
        stamp = (status.st_ino, status.st_size, status.st_mtime_ns)
        with self._lock:
            if stamp != self._seen:
                self._revoked = frozenset(_parse(self.path.read_text()))
                self._seen = stamp
            return self._revoked


def _parse(text: str) -> list[str]:
    ids = []
    for line in text.splitlines():
        fields = line.split(maxsplit=1)
        if fields and not fields[0].startswith("#"):
            ids.append(fields[0])
    return ids


def revoke(path: Path, jti: str, *, note: str = "") -> bool:
    """Add ``jti`` to the list; False if it was revoked already.

    Appended with ``O_APPEND`` in one write, so two operators revoking at once both land;
    the file is created owner-only.
    """
    if not valid_jti(jti):
        raise ValueError("a token id is printable ASCII without spaces, not starting with '#'")
    if path.exists() and jti in _parse(path.read_text()):
        return False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = f"{jti} revoked {datetime.now(UTC).isoformat(timespec='seconds')}"
    clean_note = " ".join(note.split())
    if clean_note:
        line += f" {clean_note}"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, (line + "\n").encode())
    finally:
        os.close(descriptor)
    return True
