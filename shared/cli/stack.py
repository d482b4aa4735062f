"""Placeholder until written."""

import typer


def register(app: typer.Typer) -> None:
    """Add the stack commands (up, serve) to the top-level app."""
