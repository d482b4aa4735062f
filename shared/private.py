"""Files the platform writes are its own: directories 0700, files 0600.

Databases hold webhook secrets and incident summaries, logs and span files
hold programme ids and organisations' actions, and the broker's data holds
every event: none of it is for other local users. Every process of the
platform (each service, the ``taskforce`` command and, through it, the local
broker and the services it starts) sets the umask once at start, so whatever
it creates later is private without each writer having to say so; the
``var`` directory itself is closed to others too, which also covers what an
older version left readable inside it.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_UMASK = 0o077


def keep_private(var_dir: Path | None = None) -> None:
    """Private umask for this process and its children; ``var_dir`` made or closed to 0700."""
    os.umask(PRIVATE_UMASK)
    if var_dir is None:
        return
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if var_dir.stat().st_uid == os.getuid():
        var_dir.chmod(0o700)


def open_private_log(path: Path) -> int:
    """An append-only file descriptor for ``path``, created 0600 in a 0700 directory."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, the file 0600 whatever the umask of the caller."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
