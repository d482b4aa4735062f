"""``taskforce postgres start|stop|status``: the local PostgreSQL of ``taskforce up``.

``taskforce up --database postgresql`` (or ``TASKFORCE_DATABASE=postgresql``)
runs the services on a local server instead of one SQLite file each. The server
is :class:`shared.postgres_local.LocalPostgres` under ``<var_dir>/postgres``, on
``127.0.0.1:5432`` (``TASKFORCE_PG_PORT`` moves it), durable: its data outlives
the stack, as the SQLite files do. Each service has its own database on it,
``taskforce_<service>``, all reached through one ``DATABASE_URL`` with
``{service}`` in it; the password is in a ``pgpass`` file the services find
through ``PGPASSFILE``, never in the URL.
"""

from __future__ import annotations

import os
import stat
from enum import StrEnum

import typer
from sqlalchemy.engine import make_url

from shared.postgres_local import LocalPostgres, PostgresSetupError
from shared.settings import SERVICE_PORTS, PlatformSettings

app = typer.Typer(no_args_is_help=True, help="The local PostgreSQL server of 'taskforce up'.")

DEFAULT_PORT = 5432
#: The database of each service; ``{service}`` is filled in by ``database_url_for``.
DATABASE_NAME = "taskforce_{service}"


class Database(StrEnum):
    """Where the services of ``taskforce up`` keep their data."""

    sqlite = "sqlite"
    postgresql = "postgresql"


def local_postgres(settings: PlatformSettings | None = None) -> LocalPostgres:
    """This checkout's server: under ``<var_dir>/postgres``, on ``TASKFORCE_PG_PORT``."""
    settings = settings or PlatformSettings()
    port = int(os.environ.get("TASKFORCE_PG_PORT", DEFAULT_PORT))
    return LocalPostgres(home=settings.var_dir / "postgres", port=port)


def start_server(server: LocalPostgres) -> str:
    """Start (or find running) ``server``, its directory reachable by the server's user."""
    _let_server_through(server)
    return server.start()


def stop_server(server: LocalPostgres) -> str:
    """Stop ``server`` if it runs; its data stays."""
    _let_server_through(server)
    return server.stop()


def _let_server_through(server: LocalPostgres) -> None:
    """As root, let the ``postgres`` user pass through (not list) the var dir to its home.

    ``keep_private`` closes the var dir to 0700 on every start of a command, which
    shuts out the server's own user, and ``pg_ctl`` runs as it. Only the execute bit
    is added, where it is missing; everything inside stays 0700/0600.
    """
    if os.geteuid() != 0 or not server.home.exists():
        return
    for ancestor in server.home.resolve().parents:
        mode = ancestor.stat().st_mode
        if not mode & stat.S_IXOTH:
            ancestor.chmod(mode | stat.S_IXOTH)


def create_service_databases(server: LocalPostgres) -> dict[str, str]:
    """Each service's database (if missing), and the environment its processes need."""
    for service in SERVICE_PORTS:
        server.create_database(DATABASE_NAME.format(service=service))
    return {"DATABASE_URL": server.url(DATABASE_NAME), **server.client_environment()}


def explicit_database_url() -> str | None:
    """A database URL given in the environment, which the services would use as it is."""
    return os.environ.get("DATABASE_URL") or os.environ.get("TASKFORCE_DATABASE_URL")


def describe(url: str | None, settings: PlatformSettings) -> str:
    """For the summary: which database the services use, without a password."""
    if url is None:
        return f"SQLite, one file per service in {settings.var_dir / 'db'}"
    shown = make_url(url.replace("{service}", "SERVICE")).render_as_string(hide_password=True)
    return shown.replace("SERVICE", "<service>")


def is_sqlite(url: str | None) -> bool:
    return url is None or make_url(url.replace("{service}", "x")).get_backend_name() == "sqlite"


def refuse_sqlite_replicas(database: Database, replicas: int) -> None:
    """Several replicas on SQLite would queue for each file's write lock: refused."""
    if replicas > 1 and database is Database.sqlite and is_sqlite(explicit_database_url()):
        raise PostgresSetupError(
            f"--replicas {replicas} needs PostgreSQL: add --database postgresql "
            f"(make up DATABASE=postgresql REPLICAS={replicas}). On SQLite the replicas of a "
            "service would take turns at one file's write lock."
        )


def postgres_for_stack(settings: PlatformSettings) -> LocalPostgres:
    """The local server for ``taskforce up``; refused when DATABASE_URL names another one."""
    explicit = explicit_database_url()
    if explicit:
        raise PostgresSetupError(
            "--database postgresql runs the local PostgreSQL, but DATABASE_URL is set "
            f"({describe(explicit, settings)}): unset it, or leave out --database postgresql "
            "to use that database."
        )
    server = local_postgres(settings)
    typer.echo(f"PostgreSQL: the local server on 127.0.0.1:{server.port} ({server.data})")
    return server


def start_for_stack(server: LocalPostgres, settings: PlatformSettings) -> tuple[bool, str]:
    """Start or reuse the server and point the services at their databases.

    The databases' URL and ``PGPASSFILE`` go into this process's environment, which
    the services inherit. Returns whether this call started the server, and the
    line the stack's summary shows.
    """
    message = start_server(server)
    typer.echo(message)
    started = message.startswith("PostgreSQL started")
    os.environ.update(create_service_databases(server))
    owner = "started by this command" if started else "already running, left as it is"
    summary = (
        f"PostgreSQL ({owner}), {describe(os.environ['DATABASE_URL'], settings)}; "
        f"data in {server.data}"
    )
    return started, summary


@app.command("start")
def start() -> None:
    """Start (or find running) the local server and create each service's database."""
    server = local_postgres()
    try:
        typer.echo(start_server(server))
        environment = create_service_databases(server)
    except PostgresSetupError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from exc
    typer.echo("The services' settings for it:")
    for name, value in environment.items():
        typer.echo(f"  {name}={value}")


@app.command("stop")
def stop() -> None:
    """Stop this checkout's server (one found under its var dir); its data stays."""
    try:
        typer.echo(stop_server(local_postgres()))
    except PostgresSetupError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from exc


@app.command("status")
def status() -> None:
    """Whether this checkout's server runs, where, and its log."""
    server = local_postgres()
    typer.echo(server.status())
    typer.echo(f"  log: {server.log}")
