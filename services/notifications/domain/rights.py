"""Who may manage a subscription, a delivery or an inbox entry: its organisation, no one else.

A subscription holds an organisation's webhook endpoint and signing secret and
says what it follows; its deliveries and inbox are what it was told. None of
that is another organisation's business, the taskforce secretariat's
included: the letter has the secretariat coordinate the work, not the
ministries' and agencies' own alerting. So every read and write is the holding
organisation's alone, and to anyone else the thing does not exist (404, not
403: a 403 would confirm that another organisation holds that id).
"""

from __future__ import annotations

from typing import Protocol, TypeVar

from shared.errors import NotFound


class Held(Protocol):
    """Anything an organisation holds: a subscription, a delivery, an inbox entry."""

    @property
    def organisation(self) -> str: ...


H = TypeVar("H", bound=Held)


def manages(caller: str, holder: str) -> bool:
    """Whether ``caller`` may see and change what ``holder`` holds."""
    return caller == holder


def held_by(caller: str, found: H | None, what: str) -> H:
    """``found`` if ``caller`` holds it; else, whether it exists or not, ``NotFound``."""
    if found is None or not manages(caller, found.organisation):
        raise NotFound(f"No {what} of your organisation has that id.")
    return found
