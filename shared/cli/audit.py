"""``taskforce audit``: check and read every service's audit trail from this machine.

The command finds the services' databases the way the services do
(``PlatformSettings.database_url_for``: ``var/db/<service>.db``, or ``DATABASE_URL``
for all), so it needs the same environment as the stack, and the access to its files
that only the operator running it has.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from shared.audit.records import ChainReport, audit_record, verify_chain
from shared.db import make_engine
from shared.settings import SERVICE_PORTS, PlatformSettings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def audit() -> None:
    """Verify and list the services' audit trails (hash-chained, append-only)."""


def databases(settings: PlatformSettings, services: Sequence[str]) -> dict[str, list[str]]:
    """Each database URL and the services keeping their trail in it (one each, by default)."""
    found: dict[str, list[str]] = {}
    for service in services:
        found.setdefault(settings.database_url_for(service), []).append(service)
    return found


def _missing(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists()


#: PostgreSQL's "invalid catalog name": the service's database was never created.
NO_SUCH_DATABASE = "3D000"


async def _has_trail(url: str) -> bool:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
        return audit_record.name in names
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) == NO_SUCH_DATABASE:
            return False
        raise
    finally:
        await engine.dispose()


async def _verify(url: str) -> ChainReport:
    engine = make_engine(url)
    try:
        async with engine.connect() as connection:
            return await verify_chain(connection)
    finally:
        await engine.dispose()


def _chosen(service: str | None) -> list[str]:
    if service is None:
        return list(SERVICE_PORTS)
    if service not in SERVICE_PORTS:
        raise typer.BadParameter(
            f"unknown service {service!r}; one of {', '.join(SERVICE_PORTS)}",
            param_hint="'--service'",
        )
    return [service]


ServiceOption = Annotated[
    str | None, typer.Option("--service", help="Only this service (default: all).")
]


@app.command("verify")
def verify(service: ServiceOption = None) -> None:
    """Walk every service's chain; exit 1 naming the service and record where it is broken."""
    settings = PlatformSettings()
    broken = False
    for url, names in databases(settings, _chosen(service)).items():
        label = ", ".join(names)
        if _missing(url) or not asyncio.run(_has_trail(url)):
            typer.echo(f"{label}: no audit trail yet")
            continue
        report = asyncio.run(_verify(url))
        if report.intact:
            typer.echo(
                f"{label}: {report.records} records, chain intact; "
                f"head {report.head_seq} {report.head_hash}"
            )
            continue
        broken = True
        for finding in report.findings:
            typer.secho(
                f"{label}: BROKEN at sequence number {finding.seq}: {finding.problem}",
                err=True,
                fg=typer.colors.RED,
            )
    if broken:
        raise typer.Exit(1)


async def _latest(url: str, limit: int, kind: str | None) -> list[dict[str, object]]:
    engine = make_engine(url)
    query = select(audit_record).order_by(audit_record.c.seq.desc()).limit(limit)
    if kind is not None:
        query = query.where(audit_record.c.kind == kind)
    try:
        async with engine.connect() as connection:
            return [dict(row) for row in (await connection.execute(query)).mappings()]
    finally:
        await engine.dispose()


@app.command("list")
def list_records(
    service: ServiceOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Records per service.")] = 20,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only write, denied or read records.")
    ] = None,
) -> None:
    """Print the newest records of each service's trail, one a line, tab-separated."""
    settings = PlatformSettings()
    columns = [c.name for c in audit_record.columns if c.name not in ("prev_hash", "hash")]
    for url in databases(settings, _chosen(service)):
        if _missing(url) or not asyncio.run(_has_trail(url)):
            continue
        for row in asyncio.run(_latest(url, limit, kind)):
            typer.echo("\t".join("-" if row[c] is None else str(row[c]) for c in columns))
