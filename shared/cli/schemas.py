"""``taskforce schemas``: the event catalogue as JSON Schema files and AsyncAPI documents.

Both are generated from the contracts in ``shared.contracts``; this is how
they reach people and tools outside the platform (agency systems validating
what they read, documentation sites, CI diffs of the published contracts).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from shared.asyncapi import asyncapi_document
from shared.events.catalogue import CATALOGUE, SERVICES
from shared.schemas import export_json_schemas, key_property
from shared.settings import default_var_dir

app = typer.Typer(no_args_is_help=True)


@app.callback()
def schemas() -> None:
    """Export the event contracts as JSON Schema and AsyncAPI."""


@app.command("export")
def export(
    out: Annotated[
        Path, typer.Option("--out", help="Directory to write the schemas and index.json to.")
    ] = default_var_dir() / "schemas",
) -> None:
    """Write one JSON Schema (draft 2020-12) per event type plus index.json; print the files."""
    for path in export_json_schemas(out):
        typer.echo(str(path))


@app.command("asyncapi")
def asyncapi(
    service: Annotated[str, typer.Argument(help="One of: " + ", ".join(SERVICES) + ".")],
    consumes: Annotated[
        list[str] | None,
        typer.Option(
            "--consumes",
            help="A CloudEvents type the service reads; repeatable.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print (or write) the AsyncAPI 3.0 document of one service."""
    if service not in SERVICES:
        typer.echo(f"unknown service {service!r}; one of {', '.join(SERVICES)}", err=True)
        raise typer.Exit(2)
    try:
        document = asyncapi_document(service, consumes=consumes or ())
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(str(out), err=True)


@app.command("list")
def list_types() -> None:
    """Show every event type with its topic and key field."""
    rows = [("TYPE", "TOPIC", "KEY")]
    rows += [
        (entry.type, entry.topic, key_property(entry))
        for entry in sorted(CATALOGUE.values(), key=lambda e: (SERVICES.index(e.service), e.type))
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for type_, topic, key in rows:
        typer.echo(f"{type_:<{widths[0]}}  {topic:<{widths[1]}}  {key}")
