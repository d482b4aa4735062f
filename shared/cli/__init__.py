"""``taskforce``: the operators' command line."""

from __future__ import annotations

import typer

from shared.cli import (
    audit,
    events,
    kafka,
    postgres,
    receiver,
    schemas,
    stack,
    tokens,
    topics,
    trace,
)
from shared.private import keep_private

app = typer.Typer(no_args_is_help=True, help="Operate the migration-cooperation event platform.")
app.add_typer(kafka.app, name="kafka")
app.add_typer(postgres.app, name="postgres")
app.add_typer(topics.app, name="topics")
app.add_typer(tokens.app, name="token")
app.add_typer(schemas.app, name="schemas")
app.add_typer(receiver.app, name="webhooks")
app.add_typer(events.app, name="events")
app.add_typer(audit.app, name="audit")
app.command("trace")(trace.trace)
stack.register(app)


def main() -> None:
    keep_private()  # what the command, the broker and the services it starts create is private
    app()
