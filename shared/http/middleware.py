"""ASGI middleware for the conventions that hold for every response.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so that streaming responses,
background tasks and exceptions pass through untouched.
"""

from __future__ import annotations

import json
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


#: Larger bodies are refused unread: no request of the platform's APIs needs more.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` with 413, before anything reads them.

    Outermost, so that nothing (authentication, the audit trail, body parsing) runs
    on a body that is refused: an oversized request leaves no trace but the 413. A
    declared ``Content-Length`` over the limit is refused at once, unread; a body of
    unknown length (chunked) is read here, counting, and refused as soon as the count
    passes the limit. A body within the limit is handed on as it came, in memory:
    the APIs parse whole JSON documents anyway, and the limit bounds what is held.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, version: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.version = version

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, send, declared=declared)
            return
        messages: list[Message] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away while sending: nothing to answer.
                return
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._refuse(scope, send, declared=None)
                return
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay() -> Message:
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, send: Send, *, declared: str | None) -> None:
        if declared is not None and not declared.isdigit():
            status, title = 400, "Bad Request"
            detail = "The Content-Length header is not a number of bytes."
        else:
            status, title = 413, "Content Too Large"
            detail = f"The request body is larger than {self.max_bytes} bytes."
        body = json.dumps(
            {
                "type": f"https://www.rfc-editor.org/rfc/rfc9110#status.{status}",
                "title": title,
                "status": status,
                "detail": detail,
                "instance": scope.get("path", "/"),
            }
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            # The rest of the body is never read: the connection cannot be reused.
            (b"connection", b"close"),
            (API_VERSION_HEADER.lower().encode(), self.version.encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
