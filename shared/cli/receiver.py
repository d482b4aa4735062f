"""``taskforce webhooks receive``: a local webhook receiver that checks every signature.

It listens on ``127.0.0.1:<port>``, verifies each request with the
``standardwebhooks`` library (headers ``webhook-id``, ``webhook-timestamp``,
``webhook-signature``), and prints one line per verified notification: the
organisation (the first path segment, e.g. ``/am``), the event type, its
subject and the routing attributes of its data. Requests that fail
verification get 401 and a line saying so.

Secrets: ``--secret`` (or ``TASKFORCE_WEBHOOK_SECRET``) for one secret, and
the secrets file (default ``var/secrets/webhook-receiver.json``, a JSON object
of organisation code -> ``whsec_...`` secret, written by the notifications demo
loader) for one per organisation. The file is re-read on every request, so
secrets added later are picked up. Secrets are never printed.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import typer
from standardwebhooks import Webhook, WebhookVerificationError

from shared.settings import PlatformSettings

DEFAULT_PORT = 8099
app = typer.Typer(no_args_is_help=True)


@app.callback()
def webhooks() -> None:
    """Receive the notifications service's webhooks locally."""


def secrets_path(settings: PlatformSettings | None = None) -> Path:
    return (settings or PlatformSettings()).var_dir / "secrets" / "webhook-receiver.json"


def receiver_port() -> int:
    return int(os.environ.get("TASKFORCE_WEBHOOK_RECEIVER_PORT", DEFAULT_PORT))


def read_secrets(path: Path) -> dict[str, str]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def write_secret(path: Path, organisation: str, secret: str) -> None:
    """Add one organisation's secret to the file (owner-only permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    found = read_secrets(path)
    found[organisation] = secret
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(found, indent=2, sort_keys=True))
    temporary.chmod(0o600)
    temporary.replace(path)


def verify(body: bytes, headers: dict[str, str], candidates: list[str]) -> dict[str, Any] | None:
    """The verified JSON body, or ``None`` when no candidate secret verifies it."""
    for secret in candidates:
        try:
            verified = Webhook(secret).verify(body, headers)
        except (WebhookVerificationError, ValueError):
            continue
        return verified if isinstance(verified, dict) else {"body": verified}
    return None


def describe(organisation: str, headers: dict[str, str], event: dict[str, Any]) -> str:
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)
    kind = str(event.get("type", "?")).removeprefix("nl.migratiesamenwerking.")
    details = [
        f"{name}={data[name]}"
        for name in ("category", "severity", "owningOrganisation", "countryCodes", "countryCode")
        if name in data
    ]
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    return (
        f"[webhook {stamp}] {organisation or '-'} <- {kind} {event.get('subject', '')} "
        f"{' '.join(details)} (webhook-id {headers.get('webhook-id')}, signature verified)"
    )


def make_server(
    port: int,
    secrets_file: Path,
    extra_secret: str | None = None,
    out: Callable[[str], None] = print,
    host: str = "127.0.0.1",
) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            organisation = self.path.strip("/").split("/", 1)[0]
            known = read_secrets(secrets_file)
            candidates = [known[organisation]] if organisation in known else list(known.values())
            if extra_secret:
                candidates.append(extra_secret)
            event = verify(body, headers, candidates)
            if event is None:
                out(f"[webhook] {self.path}: signature NOT verified; answered 401")
                self._answer(401)
                return
            if str(event.get("type", "")).endswith("endpoint-verification"):
                out(f"[webhook] {organisation or '-'}: endpoint verification call, answered 204")
            else:
                out(describe(organisation, headers, event))
            self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    ThreadingHTTPServer.allow_reuse_address = True
    return ThreadingHTTPServer((host, port), Handler)


def start_in_background(
    port: int, secrets_file: Path, out: Callable[[str], None] = print
) -> ThreadingHTTPServer:
    """For ``taskforce up``: serve from a daemon thread; ``shutdown()`` stops it."""
    server = make_server(port, secrets_file, out=out)
    threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True).start()
    return server


@app.command("receive")
def receive(
    port: int = typer.Option(DEFAULT_PORT, help="Port to listen on (127.0.0.1)."),
    secret: str | None = typer.Option(
        None, envvar="TASKFORCE_WEBHOOK_SECRET", help="A whsec_ secret to verify with."
    ),
    secrets_file: Path | None = typer.Option(
        None, help="JSON object organisation -> secret (default var/secrets/webhook-receiver.json)."
    ),
) -> None:
    """Receive webhooks, verify their signatures and print what arrives, until Ctrl-C."""
    path = secrets_file or secrets_path()
    server = make_server(port, path, secret, out=lambda line: typer.echo(line))
    typer.echo(f"Webhook receiver on http://127.0.0.1:{port}/<organisation>; secrets from {path}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
