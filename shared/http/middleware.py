"""ASGI middleware for the conventions that hold for every response.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so that streaming responses,
background tasks and exceptions pass through untouched.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_VERSION_HEADER = "API-Version"


class ApiVersionMiddleware:
    """Adds ``API-Version: <full semantic version>`` to every HTTP response.

    NL API Design Rules /core/version-header: errors, 404s and OPTIONS included.
    (Unhandled-error responses are built outside user middleware; the problem
    handler sets the header on those itself.)
    """

    def __init__(self, app: ASGIApp, *, version: str) -> None:
        self.app = app
        self.version = version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if API_VERSION_HEADER not in headers:
                    headers[API_VERSION_HEADER] = self.version
            await send(message)

        await self.app(scope, receive, send_with_version)


class PublicDocumentCorsMiddleware:
    """Opens the published API documents to any origin for GET (/core/publish-openapi).

    Only the listed paths: the API itself is not meant for browsers on other origins,
    so it gets no CORS headers at all.
    """

    def __init__(self, app: ASGIApp, *, paths: Iterable[str]) -> None:
        self.app = app
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        request_headers = Headers(scope=scope)
        if scope["method"] == "OPTIONS" and "access-control-request-method" in request_headers:
            await self._preflight(send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Access-Control-Allow-Origin"] = "*"
                headers["Access-Control-Expose-Headers"] = API_VERSION_HEADER
            await send(message)

        await self.app(scope, receive, send_with_cors)

    @staticmethod
    async def _preflight(send: Send) -> None:
        headers = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", b"GET, HEAD, OPTIONS"),
            (b"access-control-allow-headers", b"*"),
            (b"access-control-max-age", b"86400"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
