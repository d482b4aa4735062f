"""A real PostgreSQL server for local runs and tests, from the Debian server binaries.

No Docker here either: ``initdb`` makes a cluster under the var dir once, and
``pg_ctl`` runs it as a detached process listening on loopback only, the way
:mod:`shared.kafka_local` runs the broker. Every operation is idempotent, so
``taskforce up --database postgresql`` and the test suite can both call
``start()`` without caring whether the server is already there.

The cluster is secured from its first start: ``scram-sha-256`` for every
connection, one superuser (``taskforce``) whose random password lives
owner-only in a ``pgpass`` file in the secrets directory. Clients find it
through ``PGPASSFILE`` (asyncpg and libpq both read it), so the password never
appears in a database URL, a command line, a log or a span.

PostgreSQL refuses to run as root. When this process is root, the server and
its tools run as the ``postgres`` system user (the Debian package creates it),
which then owns the data directory.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.kafka.security import write_secret

#: Where Debian puts the server binaries of each major version.
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
SUPERUSER = "taskforce"
INSTALL_HINT = (
    "PostgreSQL's server binaries are missing: install them with "
    "`apt-get install -y postgresql` (as root), or set TASKFORCE_PG_BIN to their directory."
)
#: Settings for a server whose data may be lost (the test suite's): no waiting on the disk.
EPHEMERAL = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class PostgresSetupError(RuntimeError):
    """Something outside the project is missing or in the way; the message says what."""


def binaries() -> Path | None:
    """The directory of ``initdb``, ``pg_ctl`` and ``postgres``: the newest Debian version."""
    override = os.environ.get("TASKFORCE_PG_BIN")
    if override:
        return Path(override)
    versions = sorted(
        (p for p in DEBIAN_BINARIES.glob("*/bin") if (p / "postgres").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


@dataclass(frozen=True)
class LocalPostgres:
    """Paths and port of one local PostgreSQL cluster."""

    home: Path
    port: int = 5432
    #: Where the ``pgpass`` file lives; default ``<home>/../secrets/postgres``.
    secrets_dir: Path | None = None
    #: Trade durability for speed (the test suite's server; never ``make up``'s).
    ephemeral: bool = False
    max_connections: int = 200

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    @property
    def secrets(self) -> Path:
        return self.secrets_dir or self.home.parent / "secrets" / "postgres"

    @property
    def passfile(self) -> Path:
        """The ``pgpass`` file clients read (``PGPASSFILE``)."""
        return self.secrets / "pgpass"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database``: no password in it (that comes from PGPASSFILE)."""
        return f"postgresql+asyncpg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def client_environment(self) -> dict[str, str]:
        """What a client process needs in its environment to log in."""
        return {"PGPASSFILE": str(self.passfile)}

    # -- lifecycle ------------------------------------------------------------------------

    def answering(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def start(self, timeout: float = 60.0) -> str:
        """Initialise the cluster if needed and start it; a running one is left as it is."""
        if self._running():
            return f"PostgreSQL already running on 127.0.0.1:{self.port} ({self.data})"
        if self.answering():
            raise PostgresSetupError(
                f"port {self.port} is taken by something else; set another port for PostgreSQL"
            )
        self._initialise()
        if self._server_user() is not None:
            # Commands that keep the var dir private (0700) lock the server's user out of it.
            _let_traverse(self.data)
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.home}",
            f"-c max_connections={self.max_connections}",
            *(f"-c {setting}" for setting in (EPHEMERAL if self.ephemeral else ())),
        ]
        self._tool(
            "pg_ctl",
            "start",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-w",
            "-t",
            str(int(timeout)),
            "-o",
            " ".join(options),
        )
        deadline = time.monotonic() + timeout
        while not self.answering():
            if time.monotonic() > deadline:
                raise PostgresSetupError(f"PostgreSQL did not start; see {self.log}")
            time.sleep(0.1)
        return f"PostgreSQL started on 127.0.0.1:{self.port} ({self.data})"

    def stop(self) -> str:
        if not self._running():
            return "PostgreSQL is not running"
        self._tool("pg_ctl", "stop", "-D", str(self.data), "-m", "fast", "-w")
        return "PostgreSQL stopped"

    def kill(self) -> None:
        """Stop at once, as a crash would (the next start recovers from the WAL)."""
        pid = self.pid()
        if pid is not None:
            os.kill(pid, 9)

    def status(self) -> str:
        if self._running():
            return f"PostgreSQL running on 127.0.0.1:{self.port} (pid {self.pid()}, {self.data})"
        return "PostgreSQL not running"

    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    # -- databases ------------------------------------------------------------------------

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """Create ``name`` unless it exists; returns its URL."""
        if not name.replace("_", "").isalnum() or not name[0].isalpha():
            raise ValueError(f"database name {name!r}: letters, digits and _ only")
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip()
        if not exists:
            clause = f" TEMPLATE {template}" if template else ""
            self.psql(f"CREATE DATABASE {name}{clause}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run one statement as the superuser; returns its unaligned output."""
        command = [
            str(self._binary("psql")),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            sql,
        ]
        environment = {**os.environ, **self.client_environment()}
        done = subprocess.run(command, capture_output=True, text=True, env=environment)
        if done.returncode != 0:
            raise PostgresSetupError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    # -- internals ------------------------------------------------------------------------

    def _running(self) -> bool:
        """This cluster's server is up, on this port (on another one it is in the way)."""
        pid = self.pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        lines = (self.data / "postmaster.pid").read_text().splitlines()
        port = int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else self.port
        if port != self.port:
            raise PostgresSetupError(
                f"the server of {self.data} runs on port {port}, not {self.port}: "
                f"stop it first (pg_ctl stop -D {self.data})"
            )
        return self.answering()

    def _initialise(self) -> None:
        """``initdb`` once, with the superuser's password from a fresh pgpass file."""
        if (self.data / "PG_VERSION").exists():
            return
        password = secrets.token_urlsafe(32)
        write_secret(self.passfile, f"127.0.0.1:*:*:{SUPERUSER}:{password}")
        self.home.mkdir(parents=True, exist_ok=True)
        owner = self._server_user()
        if owner is not None:
            _let_traverse(self.home)
            os.chown(self.home, owner.pw_uid, owner.pw_gid)
        # initdb reads the password from a file: one only the server's user can read, and
        # gone again before the server starts.
        pwfile = self.home / f".pwfile-{secrets.token_hex(4)}"
        descriptor = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(password + "\n")
        try:
            if owner is not None:
                os.chown(pwfile, owner.pw_uid, owner.pw_gid)
            self._tool(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                SUPERUSER,
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                f"--pwfile={pwfile}",
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def _binary(self, name: str) -> Path:
        directory = binaries()
        if directory is None or not (directory / name).exists():
            found = shutil.which(name)
            if found and name == "psql":
                return Path(found)
            raise PostgresSetupError(INSTALL_HINT)
        return directory / name

    @staticmethod
    def _server_user() -> pwd.struct_passwd | None:
        """The user the server runs as when we are root (PostgreSQL refuses root)."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam("postgres")
        except KeyError as missing:
            raise PostgresSetupError(
                "running as root, and there is no `postgres` user to run the server as; "
                + INSTALL_HINT
            ) from missing

    def _tool(self, name: str, *args: str) -> None:
        command: Sequence[str] = [str(self._binary(name)), *args]
        owner = self._server_user()
        if owner is not None:
            command = ["runuser", "-u", owner.pw_name, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.home, check=False)
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip()
            raise PostgresSetupError(f"{name} failed: {detail}; see {self.log}")


def _let_traverse(path: Path) -> None:
    """Let other users pass through (not list) ``path``'s ancestors, as the server's user must.

    Only the execute bit is added, and only where it is missing: a directory that was
    owner-only stays unreadable to others.
    """
    for ancestor in path.resolve().parents:
        mode = ancestor.stat().st_mode
        if not mode & stat.S_IXOTH:
            ancestor.chmod(mode | stat.S_IXOTH)
