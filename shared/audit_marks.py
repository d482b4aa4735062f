"""What a request did that the audit trail must record, noted where it happens.

The audit trail (:mod:`shared.audit`) is written at the edge of each request, but only
the use case knows that it handed out need-to-know text, or which object it changed.
It notes that here, on the request's ASGI scope, and the audit middleware reads the
notes when the response has gone out. Keeping the notes in the scope (not in a global
or a context variable) ties them to exactly one request, also under concurrency.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, Final

_KEY: Final = "taskforce.audit.sensitive_reads"


def mark_sensitive_read(scope: MutableMapping[str, Any], object_ref: str) -> None:
    """Note that this request returned need-to-know text about ``object_ref``.

    ``object_ref`` names the object, never its content, e.g. ``"incident/<uuid>"`` or
    ``"programme/XM-DAC-7-PPR-2024-001/incidents"`` for a list.
    """
    scope.setdefault("state", {}).setdefault(_KEY, []).append(object_ref)


def sensitive_reads(scope: MutableMapping[str, Any]) -> list[str]:
    """The need-to-know objects this request returned, in the order they were noted."""
    reads: list[str] = scope.get("state", {}).get(_KEY, [])
    return reads
