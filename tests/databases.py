"""The database engines the suite runs on: every database test on SQLite and on PostgreSQL.

A test that touches a database takes the ``database`` fixture (directly, or
through ``settings`` or a service's app fixture). The fixture is parametrised
over :data:`ENGINES`, so pytest runs such a test once per engine, with ids
``[sqlite]`` and ``[postgresql]``: ``pytest -k sqlite`` or ``-k postgresql``
picks one.

On PostgreSQL the suite runs its own server (``shared.postgres_local``) under
``var/test/postgres`` on port 19432 (``TASKFORCE_TEST_PG_PORT`` moves it), the way
it runs its own broker, and every ``url_for`` is a fresh, empty database on it.
The server runs with durability off (the data is thrown away anyway), and is
stopped at the end unless ``TASKFORCE_TEST_KEEP_PG=1`` (or the Kafka one's
``TASKFORCE_TEST_KEEP_KAFKA=1``) keeps it for the next run.
``TASKFORCE_TEST_ENGINES=sqlite`` (or ``postgresql``) runs one engine only.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.events.catalogue import SERVICES
from shared.postgres_local import LocalPostgres
from tests.support import TEST_VAR

ENGINES = tuple(
    engine
    for engine in os.environ.get("TASKFORCE_TEST_ENGINES", "sqlite,postgresql").split(",")
    if engine in {"sqlite", "postgresql"}
)
#: Prefix of the databases the suite creates; a new session drops those of earlier ones.
PREFIX = "t_"


def suite_postgres() -> LocalPostgres:
    port = int(os.environ.get("TASKFORCE_TEST_PG_PORT", "19432"))
    return LocalPostgres(
        home=TEST_VAR / "postgres",
        port=port,
        secrets_dir=TEST_VAR / "secrets" / "postgres",
        ephemeral=True,
        max_connections=400,
    )


def keep_server() -> bool:
    return "1" in (
        os.environ.get("TASKFORCE_TEST_KEEP_PG"),
        os.environ.get("TASKFORCE_TEST_KEEP_KAFKA"),
    )


@dataclass(frozen=True)
class TestDatabases:
    """Where one engine's test databases come from."""

    engine: str
    server: LocalPostgres | None = None

    __test__ = False  # not a test class, whatever its name

    @property
    def is_postgresql(self) -> bool:
        return self.engine == "postgresql"

    def url_for(self, name: str, var_dir: Path) -> str:
        """A new, empty database for ``name``: a file in ``var_dir``, or one on the server."""
        if self.server is None:
            return f"sqlite+aiosqlite:///{var_dir / f'{name}.db'}"
        label = "".join(c if c.isalnum() else "_" for c in name.lower())[:30]
        return self.server.create_database(f"{PREFIX}{label}_{uuid.uuid4().hex[:12]}")

    def service_environment(self, label: str) -> dict[str, str]:
        """For services run as processes: a database each on this engine (``service_databases``);
        nothing on SQLite, where each service keeps its file under its var dir."""
        return {} if self.server is None else service_databases(self.server, label)


def service_databases(server: LocalPostgres, label: str) -> dict[str, str]:
    """A fresh database per service on ``server``, for services run as processes.

    The environment that points them there: the ``DATABASE_URL`` template naming
    each (``{service}``) and the password file.
    """
    name = f"{PREFIX}{label}_{uuid.uuid4().hex[:8]}"
    for service in SERVICES:
        server.create_database(f"{name}_{service}")
    return {"DATABASE_URL": server.url(f"{name}_{{service}}"), **server.client_environment()}


def start_suite_postgres() -> LocalPostgres:
    """The suite's server, started, with the databases of earlier sessions dropped."""
    server = suite_postgres()
    server.start()
    os.environ["PGPASSFILE"] = str(server.passfile)
    leftovers = server.psql(
        f"SELECT datname FROM pg_database WHERE starts_with(datname, '{PREFIX}')"
    )
    for name in leftovers.split():
        server.drop_database(name)
    return server
