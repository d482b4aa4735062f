"""``taskforce topics``: provision the catalogue's topics on the configured broker."""

from __future__ import annotations

import asyncio

import typer

from shared.kafka.topics import provision, topic_specs
from shared.settings import PlatformSettings

app = typer.Typer(no_args_is_help=True, help="Kafka topics from the event catalogue.")


@app.command("provision")
def provision_topics() -> None:
    """Create missing topics and put drifted configuration back; safe to repeat."""
    settings = PlatformSettings()
    try:
        report = asyncio.run(provision(settings))
    except Exception as exc:
        typer.echo(f"provisioning on {settings.kafka_bootstrap_servers} failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    for name in report.created:
        typer.echo(f"created   {name}")
    for name, drift in report.altered.items():
        typer.echo(f"altered   {name} {drift}")
    for name in report.unchanged:
        typer.echo(f"unchanged {name}")


@app.command("list")
def list_topics() -> None:
    """The topics the platform provisions, with partitions and configuration."""
    for spec in topic_specs(PlatformSettings()):
        config = " ".join(f"{k}={v}" for k, v in sorted(spec.config.items()))
        typer.echo(
            f"{spec.name:42} partitions={spec.partitions} rf={spec.replication_factor} {config}"
        )
