"""The HTTP skeleton every service is built on.

:func:`create_api` returns a FastAPI app that already follows the NL API Design
Rules as the platform applies them, so a service only adds its routers:

- everything under the versioned base path ``/v<major>``; OpenAPI 3 at
  ``/v1/openapi.json``, public and open to other origins for GET;
- ``API-Version`` on every response; errors as problem details;
- no trailing slashes and no redirects to them;
- ``/health`` and ``/ready`` at the root (for orchestrators) and under ``/v1``
  (documented), and the service's AsyncAPI document at ``/v1/asyncapi.json``;
- OpenTelemetry server spans (tracer providers are configured elsewhere).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import fastapi.routing
from fastapi import APIRouter, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.types import Lifespan

from shared.audit.middleware import AuditMiddleware
from shared.http import openapi
from shared.http.errors import install_domain_errors
from shared.http.idempotency import document_keys, install_idempotency
from shared.http.middleware import (
    ApiVersionMiddleware,
    BodyLimitMiddleware,
    PublicDocumentCorsMiddleware,
)
from shared.http.probes import ReadinessCheck, probe_router
from shared.http.problems import install_problem_handlers
from shared.settings import PlatformSettings

_SEMVER: Final = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$"
)


class ApiContact(BaseSettings):
    """``info.contact`` of every OpenAPI document (/core/doc-openapi-contact).

    Deployment configuration: ``TASKFORCE_API_CONTACT_NAME``, ``..._EMAIL``, ``..._URL``.
    """

    model_config = SettingsConfigDict(env_prefix="TASKFORCE_API_CONTACT_", extra="ignore")

    name: str = "Taskforce Internationale Migratie, API-beheer"
    email: str = "api@migratiesamenwerking.nl"
    url: str = "https://migratiesamenwerking.nl"


class _PlatformApi(FastAPI):
    """FastAPI whose OpenAPI document is brought in line with the platform's rules."""

    platform_base_path: str = "/v1"

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            document = super().openapi()
            self.openapi_schema = document_keys(
                openapi.conform(
                    document, base_path=self.platform_base_path, api_version=self.version
                )
            )
        return self.openapi_schema


def server_url(settings: PlatformSettings, service: str, base_path: str) -> str:
    """Where the service's versioned API is reached: public base URL, port, base path.

    The service port is added unless the public base URL names one already (e.g. a
    gateway in front of the services).
    """
    base = settings.public_base_url.rstrip("/")
    if urlsplit(base).port is None and urlsplit(base).path in ("", "/"):
        base = f"{base}:{settings.port_for(service)}"
    return base + base_path


def create_api(
    *,
    service: str,
    title: str,
    description: str,
    version: str,
    settings: PlatformSettings,
    routers: Sequence[APIRouter] = (),
    readiness: ReadinessCheck | None = None,
    asyncapi: Callable[[], dict[str, Any]] | None = None,
    lifespan: Lifespan[FastAPI] | None = None,
    contact: ApiContact | None = None,
) -> FastAPI:
    """A FastAPI app for ``service`` with ``routers`` mounted under ``/v<major>``.

    ``version`` is the API's full semantic version (``API-Version`` header and
    ``info.version``); ``readiness`` returns one boolean per dependency;
    ``asyncapi`` builds the service's AsyncAPI document.
    """
    if not _SEMVER.match(version):
        raise ValueError(f"API version {version!r} is not a semantic version (major.minor.patch)")
    base_path = f"/v{version.split('.')[0]}"
    contact = contact or ApiContact()

    app = _PlatformApi(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_url=f"{base_path}/openapi.json",
        docs_url=f"{base_path}/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        servers=[{"url": server_url(settings, service, base_path), "description": service}],
        root_path_in_servers=False,
        contact=contact.model_dump(),
        redirect_slashes=False,
    )
    app.platform_base_path = base_path
    app.state.settings = settings
    app.state.service = service
    app.state.api_version = version

    install_problem_handlers(app)
    install_domain_errors(app)
    app.include_router(probe_router(readiness, include_in_schema=False))
    app.include_router(probe_router(readiness, include_in_schema=True), prefix=base_path)
    for router in routers:
        app.include_router(router, prefix=base_path)

    public_documents = [f"{base_path}/openapi.json"]
    if asyncapi is not None:
        app.add_api_route(
            f"{base_path}/asyncapi.json",
            _asyncapi_endpoint(asyncapi),
            methods=["GET"],
            include_in_schema=False,
        )
        public_documents.append(f"{base_path}/asyncapi.json")

    _reject_trailing_slashes(app)
    if not settings.jwt_jwks_url:
        _ = settings.signing_key  # a short or unreadable local key stops the start, not a request
    # Inside the audit trail, which records what a retried POST was answered.
    install_idempotency(app, retention_hours=settings.idempotency_key_retention_hours)
    # Innermost of the rest: the audit trail records the answers the routes gave.
    app.add_middleware(AuditMiddleware, settings=settings)
    # Added last = outermost: the version header also lands on CORS preflights.
    app.add_middleware(PublicDocumentCorsMiddleware, paths=public_documents)
    app.add_middleware(ApiVersionMiddleware, version=version)
    # Outermost of all: an oversized body is refused before authentication, the audit
    # trail or parsing see it (it sets its own API-Version header).
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.http_max_body_bytes, version=version)
    # One server span per request: the internal "http receive"/"http send" spans per ASGI
    # message say nothing a reader of a trace needs and cost a span each.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="health,ready,metrics", exclude_spans=["receive", "send"]
    )
    return app


def _asyncapi_endpoint(build: Callable[[], dict[str, Any]]) -> Callable[[], Awaitable[Any]]:
    cache: list[dict[str, Any]] = []

    async def asyncapi_document() -> dict[str, Any]:
        # Built once: the document is generated from code and cannot change at runtime.
        if not cache:
            cache.append(build())
        return cache[0]

    return asyncapi_document


def _route_paths(app: FastAPI) -> Iterator[str]:
    """Every route path of ``app``, including those of included routers.

    FastAPI 0.16x keeps included routers nested (``iter_route_contexts`` flattens
    them); older versions copied their routes into ``app.routes``.
    """
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    routes: Iterable[Any] = flatten(app.routes) if flatten is not None else app.routes
    for route in routes:
        path = getattr(route, "path", None)
        if isinstance(path, str):
            yield path


def _reject_trailing_slashes(app: FastAPI) -> None:
    """Fail at start-up, not in a linter, on a route ending in ``/`` (/core/no-trailing-slash)."""
    for path in _route_paths(app):
        if path != "/" and path.endswith("/"):
            raise ValueError(f"route {path} ends with a slash; URIs have no trailing slash")


__all__ = ["ApiContact", "create_api", "server_url"]
