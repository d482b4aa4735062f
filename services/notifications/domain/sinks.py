"""Where a routed event goes: a subscription's sinks, pure rules.

Routing (``routing.py``) decides *which* subscriptions an event goes to; the
sinks decide *how* it reaches each one. A subscription names a non-empty set of:

- ``webhook``: a signed HTTP push to the subscription's ``url`` (which it then
  needs, and only then may have);
- ``inbox``: an entry in the organisation's inbox, to read through the API;
- ``stream``: a copy of the CloudEvent on the organisation's own Kafka topic,
  ``taskforce.org.<code>.v1``, for agencies that consume rather than listen.

Left out, the sinks are what a subscription always was: ``webhook`` and
``inbox`` with a ``url``, ``inbox`` alone without one.

Webhooks and the stream are *pushes*, and only an active subscription pushes:
a paused subscription (or one disabled after a 410) gets neither deliveries
nor stream records for the events routed while it is so, and does not catch
up on resuming (the stream is not a queue of what was missed). The inbox is
the fallback and keeps filling whatever the status.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Final

from shared.errors import Violation
from shared.events.envelope import CloudEvent


class Sink(StrEnum):
    WEBHOOK = "webhook"
    INBOX = "inbox"
    STREAM = "stream"


SINKS = tuple(Sink)
#: Sinks that push to the organisation; they stop while the subscription is not active.
PUSHES = frozenset({Sink.WEBHOOK, Sink.STREAM})
#: Names the subscription a stream record was written for (not a CloudEvents attribute).
SUBSCRIPTION_HEADER: Final = "taskforce-subscription-id"


def structured_body(event: CloudEvent) -> str:
    """What a webhook and the inbox carry: the CloudEvent in structured JSON form, compact."""
    return json.dumps(event.to_structured(), separators=(",", ":"), ensure_ascii=False)


def default_sinks(url: str | None) -> tuple[Sink, ...]:
    """Today's behaviour for a client that does not name sinks."""
    return (Sink.WEBHOOK, Sink.INBOX) if url is not None else (Sink.INBOX,)


def canonical(sinks: Iterable[Sink | str]) -> tuple[Sink, ...]:
    """Each sink once, in a fixed order, so stored and shown sets compare equal."""
    given = {Sink(s) for s in sinks}
    return tuple(s for s in SINKS if s in given)


def check_sinks(sinks: Sequence[Sink], url: str | None) -> list[Violation]:
    """Every reason ``sinks`` with ``url`` cannot be a subscription's; empty when fine."""
    names = ", ".join(SINKS)
    if not sinks:
        return [Violation("sinks", f"give at least one sink: {names}")]
    if Sink.WEBHOOK in sinks and url is None:
        return [Violation("url", "the webhook sink needs a url")]
    if Sink.WEBHOOK not in sinks and url is not None:
        return [
            Violation(
                "url",
                "a url is only for the webhook sink: add 'webhook' to sinks or leave the url out",
            )
        ]
    return []


def reached(sinks: Iterable[Sink], *, active: bool) -> frozenset[Sink]:
    """The sinks an event routed to a subscription reaches now: no pushes unless active."""
    wanted = frozenset(sinks)
    return wanted if active else wanted - PUSHES


def after_change(
    sinks: Sequence[Sink],
    url: str | None,
    *,
    new_sinks: Sequence[Sink] | None,
    url_sent: bool,
    new_url: str | None,
) -> tuple[tuple[Sink, ...], str | None]:
    """The sinks and url of a subscription after a change that may name either, both or neither.

    Named sinks are taken as they are (``check_sinks`` judges them); the url then
    goes with the webhook sink unless one is sent. Without named sinks a url keeps
    its old meaning: sending one adds the webhook sink, ``url: null`` removes it
    (and a subscription left with no sink keeps its inbox).
    """
    if new_sinks is not None:
        kept = canonical(new_sinks)
        if url_sent:
            return kept, new_url
        return kept, url if Sink.WEBHOOK in kept else None
    if not url_sent:
        return canonical(sinks), url
    if new_url is not None:
        return canonical([*sinks, Sink.WEBHOOK]), new_url
    rest = canonical(s for s in sinks if s is not Sink.WEBHOOK)
    return rest or (Sink.INBOX,), None
