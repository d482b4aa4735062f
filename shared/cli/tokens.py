"""``taskforce token``: hand out bearer tokens signed with the platform's local key.

For local runs, tests and organisations without their own identity provider. Only
the token goes to stdout, so ``TOKEN=$(taskforce token issue --org bz --scope ...)``
works; messages go to stderr.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from shared.http.auth import LocalIssuingDisabledError, issue_token
from shared.organisations import ORGANISATIONS, UnknownOrganisationError
from shared.settings import PlatformSettings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def tokens() -> None:
    """Issue bearer tokens for the platform's HTTP APIs."""


@app.command("issue")
def issue(
    org: Annotated[
        str,
        typer.Option(
            "--org",
            help="Organisation code: " + ", ".join(ORGANISATIONS) + ".",
            show_default=False,
        ),
    ],
    scope: Annotated[
        list[str],
        typer.Option("--scope", help="A scope to grant, e.g. programmes:write; repeatable."),
    ],
    ttl_minutes: Annotated[
        int, typer.Option("--ttl-minutes", min=1, help="Lifetime of the token in minutes.")
    ] = 60,
) -> None:
    """Print a signed JWT for an organisation (and nothing else) to stdout."""
    settings = PlatformSettings()
    try:
        token = issue_token(settings, org, scope, timedelta(minutes=ttl_minutes))
    except UnknownOrganisationError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--org'") from None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--scope'") from None
    except LocalIssuingDisabledError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)
