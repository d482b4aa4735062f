"""``taskforce token``: hand out bearer tokens signed with the platform's local key, revoke any.

For local runs, tests and organisations without their own identity provider. Only
the token goes to stdout, so ``TOKEN=$(taskforce token issue --org bz --scope ...)``
works; messages, the token's id (``jti``) among them, go to stderr.

``taskforce token revoke <jti>`` puts a token on the revocation list every service of
the stack reads (``PlatformSettings.revocation_file``); it counts from the next request
on, without a restart. It works for the external issuer's tokens too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from shared.http.auth import LocalIssuingDisabledError, issue_token, token_id_of
from shared.http.revocation import revoke as add_revocation
from shared.organisations import ORGANISATIONS, UnknownOrganisationError
from shared.settings import PlatformSettings

app = typer.Typer(no_args_is_help=True)


@app.callback()
def tokens() -> None:
    """Issue and revoke bearer tokens for the platform's HTTP APIs."""


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
        int,
        typer.Option(
            "--ttl-minutes",
            min=1,
            help="Lifetime of the token in minutes, at most TASKFORCE_JWT_MAX_LIFETIME_MINUTES.",
        ),
    ] = 60,
    person: Annotated[
        str | None,
        typer.Option(
            "--person",
            help="Who acts with the token (its sub, recorded in the audit trail); "
            "default the organisation itself.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print a signed JWT for an organisation (and nothing else) to stdout."""
    settings = PlatformSettings()
    if ttl_minutes > settings.jwt_max_lifetime_minutes:
        raise typer.BadParameter(
            f"at most {settings.jwt_max_lifetime_minutes} minutes "
            "(TASKFORCE_JWT_MAX_LIFETIME_MINUTES)",
            param_hint="'--ttl-minutes'",
        )
    try:
        token = issue_token(settings, org, scope, timedelta(minutes=ttl_minutes), person=person)
    except UnknownOrganisationError as exc:
        raise typer.BadParameter(str(exc), param_hint="'--org'") from None
    except ValueError as exc:
        hint = "'--person'" if "person" in str(exc) else "'--scope'"
        raise typer.BadParameter(str(exc), param_hint=hint) from None
    except LocalIssuingDisabledError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(token)
    jti = token_id_of(token)
    typer.echo(f"Token id (jti): {jti}; revoke with: taskforce token revoke {jti}", err=True)


@app.command("revoke")
def revoke(
    jti: Annotated[str, typer.Argument(help="The token's id (its jti claim).")],
    note: Annotated[
        str, typer.Option("--note", help="Why, for whoever reads the list later.")
    ] = "",
) -> None:
    """Refuse the token with this id from now on, in every service of the stack."""
    settings = PlatformSettings()
    try:
        added = add_revocation(settings.revocation_file, jti, note=note)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="'JTI'") from None
    already = "" if added else " (it was already)"
    typer.echo(f"Token {jti} is revoked{already}; list: {settings.revocation_file}", err=True)
