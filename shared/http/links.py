"""A service's own absolute URLs, the base every service's ``links.py`` builds on.

Events link to the owning resource instead of carrying it (NL GOV CloudEvents
profile), and ``Location`` headers name new resources, so each service knows
its resources' URLs. They are built from the public base URL the deployment
configures (``TASKFORCE_PUBLIC_BASE_URL``), never from the request, so an event
written behind a proxy links where its readers can follow it.

A service subclasses :class:`ServiceLinks`, names itself in ``service`` and adds
one method per kind of resource::

    @dataclass(frozen=True)
    class Links(ServiceLinks):
        service: ClassVar[str] = "countries"

        def profile(self, country_code: str) -> str:
            return f"{self.base}/countries/{country_code}"
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from shared.http.app import server_url
from shared.settings import PlatformSettings


@dataclass(frozen=True)
class ServiceLinks:
    """URLs under the service's versioned base (``http://127.0.0.1:8001/v1``)."""

    #: The service whose URLs these are (``countries``, ``programmes``, ...).
    service: ClassVar[str]
    base: str

    @classmethod
    def of(cls, settings: PlatformSettings) -> Self:
        """The links of a deployment with ``settings``."""
        return cls(server_url(settings, cls.service, "/v1"))
