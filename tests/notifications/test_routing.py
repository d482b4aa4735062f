"""Routing as pure functions: channels, types, each filter, the `mine` shorthand, validation."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

import shared.contracts  # noqa: F401  (registers the catalogue)
from services.notifications.domain.routing import (
    Filters,
    Route,
    check_selection,
    involvement_of,
    matches,
    route,
)
from shared.contracts.vocabulary import Severity, examples_of
from shared.events.catalogue import CATALOGUE

P = "nl.migratiesamenwerking."
FLAGGED = P + "monitoring.programme-flagged"
RESOLVED = P + "monitoring.flag-resolved"
INCIDENT = P + "monitoring.incident-reported"
REGISTERED = P + "programmes.programme-registered"
RISK = P + "countries.human-rights-risk-assessed"
PARTNERSHIP = P + "countries.partnership-updated"


def data(type_: str, **changes: Any) -> dict[str, Any]:
    """The catalogue example of ``type_`` (wire form), changed."""
    return {**examples_of(CATALOGUE[type_].model)[0], **changes}


def sub(
    organisation: str = "am",
    *,
    types: tuple[str, ...] = (),
    channels: tuple[str, ...] = ("monitoring",),
    **filters: Any,
) -> Route:
    return Route(
        uuid.uuid4(), organisation, frozenset(types), frozenset(channels), Filters(**filters)
    )


def test_a_channel_selects_every_type_of_its_topic_and_nothing_else() -> None:
    monitoring = sub(channels=("monitoring",))
    assert matches(monitoring, FLAGGED, data(FLAGGED))
    assert matches(monitoring, INCIDENT, data(INCIDENT))
    assert not matches(monitoring, REGISTERED, data(REGISTERED))


def test_event_types_select_only_those_types() -> None:
    only_flags = sub(types=(FLAGGED,), channels=())
    assert matches(only_flags, FLAGGED, data(FLAGGED))
    assert not matches(only_flags, RESOLVED, data(RESOLVED))


def test_unknown_or_own_types_never_match() -> None:
    everything = sub(channels=("countries", "programmes", "monitoring"))
    assert not matches(everything, P + "monitoring.no-such-thing", {})
    assert not matches(everything, P + "notifications.delivery-failed", {})


def test_owner_filter_matches_the_owner_only() -> None:
    flag = data(FLAGGED, owningOrganisation="am", partnerOrganisations=["kmar"])
    assert matches(sub("bz", owning_organisation=("am",)), FLAGGED, flag)
    assert not matches(sub("bz", owning_organisation=("kmar",)), FLAGGED, flag)


@pytest.mark.parametrize(
    ("subscriber", "owner", "partners", "expected"),
    [
        ("am", "am", [], True),  # owned
        ("kmar", "am", ["kmar"], True),  # takes part
        ("def", "am", ["kmar"], True),  # its agency takes part
        ("am", "bz", ["ind"], True),  # IND falls under A&M
        ("kmar", "def", [], False),  # an agency's "mine" is not its ministry's portfolio
        ("bz", "am", ["kmar"], False),  # neither owns nor takes part
        ("jenv", "am", ["politie", "kmar"], True),
        ("tf-secretariaat", "am", ["kmar"], False),
    ],
)
def test_mine_is_what_the_organisation_owns_or_takes_part_in(
    subscriber: str, owner: str, partners: list[str], expected: bool
) -> None:
    flag = data(FLAGGED, owningOrganisation=owner, partnerOrganisations=partners)
    assert matches(sub(subscriber, owning_organisation=("mine",)), FLAGGED, flag) is expected


def test_mine_and_explicit_codes_combine() -> None:
    flag = data(FLAGGED, owningOrganisation="szw", partnerOrganisations=[])
    assert matches(sub("bz", owning_organisation=("mine", "szw")), FLAGGED, flag)


def test_involvement_of_a_ministry_includes_its_agencies() -> None:
    assert involvement_of("am") == {"am", "ind", "coa", "dtv"}
    assert involvement_of("kmar") == {"kmar"}


def test_mine_on_partnerships_reads_lead_and_participants() -> None:
    track = data(PARTNERSHIP, leadOrganisation="bz", participatingOrganisations=["dtv"])
    countries = sub("am", channels=("countries",), owning_organisation=("mine",))
    assert matches(countries, PARTNERSHIP, track)
    # A risk assessment has no owner: an owner filter never matches it.
    assert not matches(countries, RISK, data(RISK))


def test_country_and_theme_match_any_listed_value() -> None:
    flag = data(FLAGGED, countryCodes=["TUN", "MAR"], themes=["border-management"])
    assert matches(sub(country_code=("MAR", "LBY")), FLAGGED, flag)
    assert not matches(sub(country_code=("LBY",)), FLAGGED, flag)
    assert matches(sub(theme=("border-management",)), FLAGGED, flag)
    assert not matches(sub(theme=("protection",)), FLAGGED, flag)
    risk = data(RISK, countryCode="TUN")
    assert matches(sub(channels=("countries",), country_code=("TUN",)), RISK, risk)


def test_flag_category_reads_flags_only() -> None:
    risky = sub(flag_category=("risk", "counterproductive"))
    assert matches(risky, FLAGGED, data(FLAGGED, category="risk"))
    assert not matches(risky, FLAGGED, data(FLAGGED, category="underperforming"))
    assert matches(risky, RESOLVED, data(RESOLVED, category="counterproductive"))
    # An incident's category is another vocabulary: the flag filter does not read it.
    assert not matches(risky, INCIDENT, data(INCIDENT, category="other"))


@pytest.mark.parametrize(
    ("severity", "expected"),
    [("low", False), ("medium", False), ("high", True), ("critical", True), ("weird", False)],
)
def test_severity_at_least(severity: str, expected: bool) -> None:
    high = sub(severity_at_least=Severity.HIGH)
    assert matches(high, FLAGGED, data(FLAGGED, severity=severity)) is expected
    assert matches(high, INCIDENT, data(INCIDENT, severity=severity)) is expected
    # Types without a severity do not match a severity filter.
    assert not matches(high, RESOLVED, data(RESOLVED))


def test_all_filters_must_hold() -> None:
    flag = data(FLAGGED, owningOrganisation="am", countryCodes=["TUN"], severity="high")
    assert matches(
        sub(owning_organisation=("mine",), country_code=("TUN",), severity_at_least=Severity.HIGH),
        FLAGGED,
        flag,
    )
    assert not matches(sub(owning_organisation=("mine",), country_code=("EGY",)), FLAGGED, flag)


def test_route_picks_each_matching_subscription_once() -> None:
    am = sub("am", owning_organisation=("mine",))
    kmar = sub("kmar", owning_organisation=("mine",))
    bz = sub("bz", owning_organisation=("mine",))
    flag = data(FLAGGED, owningOrganisation="am", partnerOrganisations=["kmar"])
    assert route([am, kmar, bz, am], FLAGGED, flag) == [am, kmar]


def test_routing_reads_attributes_by_name_and_tolerates_extra_fields() -> None:
    flag = data(FLAGGED, somethingNew={"nested": True}, severity="critical")
    assert matches(sub(severity_at_least=Severity.CRITICAL), FLAGGED, flag)


# -- validation ----------------------------------------------------------------


def reasons(*args: Any, **filters: Any) -> dict[str, str]:
    types, channels = args if args else ((), ("monitoring",))
    return {v.field: v.reason for v in check_selection(types, channels, Filters(**filters))}


def test_a_valid_selection_has_no_violations() -> None:
    assert (
        reasons(
            owning_organisation=("mine", "bz"),
            country_code=("TUN",),
            flag_category=("risk",),
            severity_at_least=Severity.MEDIUM,
        )
        == {}
    )


def test_nothing_selected_is_refused() -> None:
    assert "eventTypes" in reasons((), ())


def test_unknown_types_and_channels_are_named() -> None:
    found = reasons(
        (FLAGGED, P + "monitoring.nope", P + "notifications.delivery-failed"), ("finance",)
    )
    assert set(found) == {"eventTypes[1]", "eventTypes[2]", "channels[0]"}


def test_a_filter_the_channel_does_not_have_is_named_per_channel() -> None:
    both = check_selection(
        (), ("programmes", "countries"), Filters(severity_at_least=Severity.HIGH)
    )
    assert {v.field for v in both} == {"filters.severityAtLeast"}
    assert {v.reason.split()[2] for v in both} == {"programmes", "countries"}
    found = reasons((REGISTERED,), (), flag_category=("risk",))
    assert "programme-registered" in found["filters.flagCategory"]


def test_unknown_organisations_are_named() -> None:
    found = reasons(owning_organisation=("mine", "acme"))
    assert set(found) == {"filters.owningOrganisation[1]"}


def test_a_frame_alert_reaches_its_budget_holder_through_mine() -> None:
    frame = P + "programmes.budget-frame-exceeded"
    alert = data(frame, owningOrganisation="am", partnerOrganisations=[], budgetHolder="bz")
    finance = sub("bz", types=(frame,), channels=(), owning_organisation=("mine",))
    assert matches(finance, frame, alert)
    other_line = data(frame, owningOrganisation="am", partnerOrganisations=[], budgetHolder="am")
    assert not matches(finance, frame, other_line)
