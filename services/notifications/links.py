"""Where the notifications service's resources live, for events and ``Location`` headers.

A ``delivery-failed`` or ``notification-delivered`` event links to the
delivery it is about, so the URLs are built from the public base URL the
deployment configures (``TASKFORCE_PUBLIC_BASE_URL``), not from a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from shared.http.links import ServiceLinks


@dataclass(frozen=True)
class Links(ServiceLinks):
    service: ClassVar[str] = "notifications"

    def subscription(self, subscription_id: UUID) -> str:
        return f"{self.base}/subscriptions/{subscription_id}"

    def delivery(self, delivery_id: UUID) -> str:
        return f"{self.base}/deliveries/{delivery_id}"
