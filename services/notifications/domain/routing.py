"""Which subscriptions a platform event goes to: pure functions over the event's data.

A subscription selects event types, directly (``eventTypes``) or by channel
(``channels``: one per domain topic, i.e. every catalogued type of
``countries``, ``programmes`` or ``monitoring``), and narrows them with
filters. Filters read attributes from the event's ``data`` *by name*, through
the per-channel attribute tables below, so a producer adding fields (or
reshaping one event type) only touches a table row, never the router.

Filter semantics:

- every filter given must hold (AND); within one filter any listed value
  matches (OR);
- an event whose type does not carry a filtered attribute does not match;
- ``owningOrganisation`` matches the owner attribute; the value ``mine``
  stands for "what my organisation owns or takes part in": the subscriber
  itself and, for a ministry, the agencies that fall under it (the ministry is
  answerable for them), matched against the owner *and* the partner /
  participant attributes. An agency's ``mine`` does not widen to its parent
  ministry: an agency follows what it takes part in, not all of its
  ministry's portfolio (it can list the ministry's code explicitly);
- ``severityAtLeast`` compares on the ordered scale low < medium < high <
  critical; a severity the scale does not know does not match.

Validation (:func:`check_selection`) refuses unknown event types, channels
and filter keys, and a filter on an attribute that a selected channel (or
listed event type) does not have at all, naming each cause.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from uuid import UUID

from shared.contracts.vocabulary import Severity
from shared.errors import Violation
from shared.events.catalogue import CATALOGUE, EventType
from shared.organisations import (
    OrganisationKind,
    agencies_of,
    get_organisation,
    is_known_organisation,
)

#: The domain topics a subscription may select, by service name.
CHANNELS: Final = ("countries", "programmes", "monitoring")
MINE: Final = "mine"


@dataclass(frozen=True)
class Attribute:
    """Where a filter key reads its values in one channel's event data.

    ``owner`` names the data properties holding the owning organisation;
    ``fields`` the properties read for every other key (scalars or lists).
    ``types`` limits the attribute to some event names of the channel
    (``None``: every type of the channel carries it).
    """

    fields: tuple[str, ...]
    types: frozenset[str] | None = None
    #: For ``owningOrganisation``: the properties naming organisations that take part.
    participants: tuple[str, ...] = ()

    def applies_to(self, event_type: EventType) -> bool:
        return self.types is None or event_type.name in self.types


_PARTNERSHIP = frozenset({"partnership-status-changed", "partnership-updated"})
_PROGRAMME_ATTRIBUTES: Final[dict[str, Attribute]] = {
    # The budget holder of a frame alert takes part as the finance owner, so `mine`
    # brings budget-frame-exceeded to it even when another ministry owns the programme.
    "owningOrganisation": Attribute(
        ("owningOrganisation",), participants=("partnerOrganisations", "budgetHolder")
    ),
    "countryCode": Attribute(("countryCodes",)),
    "theme": Attribute(("themes",)),
    "programmeId": Attribute(("programmeId",)),
}

#: Per channel: filter key -> where its values are in the event data.
ATTRIBUTES: Final[dict[str, dict[str, Attribute]]] = {
    "countries": {
        "countryCode": Attribute(("countryCode",)),
        "owningOrganisation": Attribute(
            ("leadOrganisation",), _PARTNERSHIP, participants=("participatingOrganisations",)
        ),
        "theme": Attribute(("themes",), _PARTNERSHIP),
    },
    "programmes": dict(_PROGRAMME_ATTRIBUTES),
    "monitoring": {
        **_PROGRAMME_ATTRIBUTES,
        "flagCategory": Attribute(("category",), frozenset({"programme-flagged", "flag-resolved"})),
        "severityAtLeast": Attribute(
            ("severity",), frozenset({"programme-flagged", "incident-reported"})
        ),
    },
}

FILTER_KEYS: Final = tuple(sorted({key for table in ATTRIBUTES.values() for key in table}))


@dataclass(frozen=True)
class Filters:
    """The narrowing part of a subscription; ``None`` or empty means "no filter on it"."""

    owning_organisation: tuple[str, ...] = ()
    country_code: tuple[str, ...] = ()
    theme: tuple[str, ...] = ()
    programme_id: tuple[str, ...] = ()
    flag_category: tuple[str, ...] = ()
    severity_at_least: Severity | None = None

    def given(self) -> dict[str, Any]:
        """The filters set, by their API key."""
        values: dict[str, Any] = {
            "owningOrganisation": self.owning_organisation,
            "countryCode": self.country_code,
            "theme": self.theme,
            "programmeId": self.programme_id,
            "flagCategory": self.flag_category,
            "severityAtLeast": self.severity_at_least,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Route:
    """A subscription as the router sees it."""

    subscription_id: UUID
    organisation: str
    event_types: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    filters: Filters = field(default_factory=Filters)

    def selects(self, event_type: str) -> bool:
        entry = CATALOGUE.get(event_type)
        if entry is None:
            return False
        return event_type in self.event_types or entry.service in self.channels


def involvement_of(organisation: str) -> frozenset[str]:
    """What ``mine`` stands for: the organisation and, for a ministry, its agencies."""
    found = get_organisation(organisation)
    codes = {found.code}
    if found.kind is OrganisationKind.MINISTRY:
        codes |= {agency.code for agency in agencies_of(found.code)}
    return frozenset(codes)


def _values(data: Mapping[str, Any], fields: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for name in fields:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            found.update(str(item) for item in value)
        else:
            found.add(str(value))
    return found


def _attribute(entry: EventType, key: str) -> Attribute | None:
    attribute = ATTRIBUTES.get(entry.service, {}).get(key)
    if attribute is None or not attribute.applies_to(entry):
        return None
    return attribute


def _severity_rank(value: str) -> int | None:
    try:
        return Severity(value).rank
    except ValueError:
        return None


def matches(route: Route, event_type: str, data: Mapping[str, Any]) -> bool:
    """Whether an event of ``event_type`` with ``data`` goes to the subscription ``route``."""
    if not route.selects(event_type):
        return False
    entry = CATALOGUE[event_type]
    for key, wanted in route.filters.given().items():
        attribute = _attribute(entry, key)
        if attribute is None:
            return False
        if key == "owningOrganisation":
            if not _owner_matches(route.organisation, wanted, attribute, data):
                return False
        elif key == "severityAtLeast":
            ranks = [_severity_rank(v) for v in _values(data, attribute.fields)]
            if not any(rank is not None and rank >= wanted.rank for rank in ranks):
                return False
        elif not _values(data, attribute.fields) & set(wanted):
            return False
    return True


def _owner_matches(
    subscriber: str, wanted: Sequence[str], attribute: Attribute, data: Mapping[str, Any]
) -> bool:
    owners = _values(data, attribute.fields)
    explicit = {code for code in wanted if code != MINE}
    if owners & explicit:
        return True
    if MINE in wanted:
        involved = owners | _values(data, attribute.participants)
        return bool(involved & involvement_of(subscriber))
    return False


def route(routes: Iterable[Route], event_type: str, data: Mapping[str, Any]) -> list[Route]:
    """The subscriptions an event goes to, each once, in the order given."""
    seen: set[UUID] = set()
    chosen: list[Route] = []
    for candidate in routes:
        if candidate.subscription_id in seen:
            continue
        if matches(candidate, event_type, data):
            seen.add(candidate.subscription_id)
            chosen.append(candidate)
    return chosen


def check_selection(
    event_types: Sequence[str], channels: Sequence[str], filters: Filters
) -> list[Violation]:
    """Every reason the selection cannot be routed; empty when it is fine."""
    problems: list[Violation] = []
    if not event_types and not channels:
        problems.append(
            Violation("eventTypes", "give at least one event type or channel to subscribe to")
        )
    selected: list[tuple[str, list[EventType]]] = []
    for index, name in enumerate(channels):
        if name not in CHANNELS:
            problems.append(
                Violation(
                    f"channels[{index}]",
                    f"unknown channel {name!r}; channels are {', '.join(CHANNELS)}",
                )
            )
            continue
        types = sorted((e for e in CATALOGUE.values() if e.service == name), key=lambda e: e.name)
        selected.append((f"channel {name}", types))
    for index, type_ in enumerate(event_types):
        entry = CATALOGUE.get(type_)
        if entry is None or entry.service not in CHANNELS:
            problems.append(
                Violation(
                    f"eventTypes[{index}]",
                    f"unknown event type {type_!r}: not a catalogued type of "
                    + ", ".join(CHANNELS),
                )
            )
            continue
        selected.append((f"event type {entry.name}", [entry]))
    for index, code in enumerate(filters.owning_organisation):
        if code != MINE and not is_known_organisation(code):
            problems.append(
                Violation(
                    f"filters.owningOrganisation[{index}]",
                    f"unknown organisation {code!r}; use a registry code or {MINE!r}",
                )
            )
    for key in filters.given():
        for label, types in selected:
            if not any(_attribute(entry, key) is not None for entry in types):
                problems.append(
                    Violation(f"filters.{key}", f"the {label} has no attribute {key!r}")
                )
    return problems
