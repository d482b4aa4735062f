"""Standard Webhooks signatures: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

The signature is ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` under the
subscription's secret (``whsec_<base64>``). While a rotated-out secret is in its
grace period both signatures are sent, space-separated, so a receiver can
switch secrets without losing deliveries.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def is_valid_secret(value: str) -> bool:
    if not value.startswith(SECRET_PREFIX):
        return False
    try:
        raw = base64.b64decode(value[len(SECRET_PREFIX) :], validate=True)
    except ValueError:
        return False
    return 24 <= len(raw) <= 64


def signed_headers(
    webhook_id: str, moment: datetime, body: str, signing_secrets: Sequence[str]
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    signatures = " ".join(
        Webhook(secret).sign(msg_id=webhook_id, timestamp=moment, data=body)
        for secret in signing_secrets
    )
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }
