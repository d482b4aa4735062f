"""What every service's demo loader shares: its data file, its error, a client of its API.

Demo data goes in through the public HTTP API, as an organisation would put it
in, with a token per organisation (``token_for``, which ``taskforce demo load``
and ``make up`` pass in). A refusal is a :class:`DemoLoadError` carrying the
service's problem document, so ``make up`` can say which loader failed and why.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import httpx

TokenFor = Callable[[str, list[str]], str]


def demo_data(service: str) -> Any:
    """The demo data of ``service``: ``services/<service>/demo.json``, as JSON values.

    The data is data, kept out of the loaders' code, so that it can be read and
    changed without reading Python; each loader turns it into API requests.
    A file that is missing or not JSON is an error naming it (the package is broken).
    """
    source = resources.files(f"services.{service}").joinpath("demo.json")
    try:
        return json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DemoLoadError(f"demo data of {service} unreadable ({source}): {exc}") from exc


class DemoLoadError(RuntimeError):
    """The service refused demo data; the message carries its problem document."""


class DemoApi:
    """Requests to one service's ``/v1`` API, each as an organisation with ``scopes``."""

    def __init__(
        self, client: httpx.AsyncClient, base_url: str, token_for: TokenFor, scopes: list[str]
    ) -> None:
        self.client = client
        self.base = base_url.rstrip("/") + "/v1"
        self.token_for = token_for
        self.scopes = scopes
        self._tokens: dict[str, str] = {}

    def headers(self, organisation: str) -> dict[str, str]:
        if organisation not in self._tokens:
            self._tokens[organisation] = self.token_for(organisation, self.scopes)
        return {"Authorization": f"Bearer {self._tokens[organisation]}"}

    async def request(self, method: str, path: str, organisation: str, **kwargs: Any) -> Any:
        """The decoded JSON answer; any 4xx or 5xx is a :class:`DemoLoadError`."""
        response = await self.client.request(
            method, self.base + path, headers=self.headers(organisation), **kwargs
        )
        if response.status_code >= 400:
            raise DemoLoadError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()
