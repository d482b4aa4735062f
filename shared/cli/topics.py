"""``taskforce topics``: the catalogue's topics (``taskforce kafka provision`` creates them)."""

from __future__ import annotations

import typer

from shared.kafka.topics import topic_specs
from shared.settings import PlatformSettings

app = typer.Typer(no_args_is_help=True, help="Kafka topics from the event catalogue.")


@app.command("list")
def list_topics() -> None:
    """The topics the platform provisions, with partitions and configuration."""
    for spec in topic_specs(PlatformSettings()):
        config = " ".join(f"{k}={v}" for k, v in sorted(spec.config.items()))
        typer.echo(
            f"{spec.name:42} partitions={spec.partitions} rf={spec.replication_factor} {config}"
        )
