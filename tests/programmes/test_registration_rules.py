"""The rules a programme must meet to be registered, and its results framework."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from services.programmes.domain.programme import (
    OrganisationRole,
    ParticipatingOrganisation,
    Share,
    check_new_programme,
    check_owner,
    check_shares,
    with_owner_accountable,
)
from services.programmes.domain.results import (
    Baseline,
    Indicator,
    ResultType,
    Target,
    check_framework,
)
from shared.contracts.vocabulary import IndicatorMeasure, IntendedDirection, Theme
from shared.errors import Forbidden, Violation
from tests.programmes.factories import IOM, programme


def fields(violations: Sequence[Violation]) -> list[str]:
    return [v.field for v in violations]


def test_a_valid_programme_passes() -> None:
    assert check_new_programme(programme(), reporting_prefix="XM-DAC-7") == []


def test_percentages_must_add_up_to_exactly_100() -> None:
    thirds = (Share("TUN", Decimal("33.33")), Share("MAR", Decimal("33.33")))
    assert fields(check_shares([*thirds, Share("EGY", Decimal("33.34"))], "c", "country")) == []
    short = check_shares([*thirds, Share("EGY", Decimal("33.33"))], "recipientCountries", "x")
    assert fields(short) == ["recipientCountries"]
    assert "99.99, not 100" in short[0].reason


def test_shares_are_positive_unique_and_present() -> None:
    assert fields(check_shares([], "sectors", "sector")) == ["sectors"]
    twice = [Share("15190", Decimal(50)), Share("15190", Decimal(50))]
    assert fields(check_shares(twice, "sectors", "sector")) == ["sectors"]
    negative = [Share("15190", Decimal(110)), Share("15110", Decimal(-10))]
    assert fields(check_shares(negative, "sectors", "sector")) == [
        "sectors[0].percentage",
        "sectors[1].percentage",
    ]


def test_unknown_codes_are_named() -> None:
    p = programme(
        sectors=(Share("15190", Decimal(50)), Share("99999", Decimal(50))),
        participating_organisations=(replace(IOM, crs_channel_code="12345"),),
    )
    assert fields(check_new_programme(p)) == [
        "sectors[1].code",
        "participatingOrganisations[0].crsChannelCode",
    ]


def test_ownership_dates_identifier_and_partners() -> None:
    p = programme(
        planned_end=date(2025, 1, 1),
        iati_identifier="XX-1-abc",
        themes=(),
        participating_organisations=(
            ParticipatingOrganisation(OrganisationRole.FUNDING, "Someone", organisation="nobody"),
        ),
    )
    assert fields(check_new_programme(p, reporting_prefix="XM-DAC-7")) == [
        "plannedEnd",
        "iatiIdentifier",
        "themes",
        "participatingOrganisations[0].organisation",
        "participatingOrganisations",
    ]


def test_only_ministries_own_programmes() -> None:
    check_owner("am")
    with pytest.raises(Forbidden, match="its ministry: def"):
        check_owner("kmar")
    with pytest.raises(Forbidden):
        check_owner("tf-secretariaat")


def test_the_owner_is_accountable_and_partners_route_alerts() -> None:
    kmar = ParticipatingOrganisation(
        OrganisationRole.IMPLEMENTING, "Royal Marechaussee", organisation="kmar"
    )
    organisations = with_owner_accountable("am", [IOM, kmar])
    assert organisations[-1].role is OrganisationRole.ACCOUNTABLE
    assert organisations[-1].organisation == "am"
    assert with_owner_accountable("am", organisations) == organisations
    p = programme(participating_organisations=organisations, themes=(Theme.PROTECTION,))
    assert p.partner_organisations == ("kmar",)
    assert p.channel_codes == ("47066",)


def indicator(**changes: object) -> Indicator:
    base = Indicator(
        indicator_id="networks-disrupted",
        title="Smuggling networks disrupted",
        result_type=ResultType.OUTCOME,
        measure=IndicatorMeasure.UNIT,
        ascending=True,
        baseline=Baseline(2025, Decimal(3)),
        targets=(
            Target(date(2026, 1, 1), date(2026, 12, 31), Decimal(6)),
            Target(date(2027, 1, 1), date(2027, 12, 31), Decimal(12)),
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_results_framework_with_baseline_and_targets_per_period() -> None:
    assert check_framework([indicator()]) == []
    assert indicator(ascending=False).direction is IntendedDirection.DECREASE
    qualitative = indicator(
        indicator_id="dialogue",
        measure=IndicatorMeasure.QUALITATIVE,
        baseline=Baseline(2025),
        targets=(Target(date(2026, 1, 1), date(2026, 12, 31)),),
    )
    assert check_framework([indicator(), qualitative]) == []


def test_results_framework_rules() -> None:
    overlapping = (
        Target(date(2026, 1, 1), date(2026, 12, 31), Decimal(1)),
        Target(date(2026, 6, 1), date(2027, 5, 31), Decimal(2)),
    )
    assert fields(check_framework([indicator(), indicator()])) == ["indicators"]
    assert fields(check_framework([indicator(targets=overlapping)])) == ["indicators[0].targets"]
    assert fields(check_framework([indicator(baseline=Baseline(2025), targets=())])) == [
        "indicators[0].baseline.value"
    ]
    assert fields(
        check_framework([indicator(measure=IndicatorMeasure.QUALITATIVE, targets=())])
    ) == ["indicators[0].baseline.value"]
    assert (
        fields(check_framework([indicator(measure=IndicatorMeasure.PERCENTAGE, baseline=None)]))
        == []
    )
    assert fields(
        check_framework(
            [indicator(measure=IndicatorMeasure.PERCENTAGE, baseline=Baseline(2025, Decimal(101)))]
        )
    ) == ["indicators[0].baseline.value"]
    assert fields(check_framework([indicator(baseline=Baseline(2027, Decimal(1)))])) == [
        "indicators[0].baseline.year"
    ]
    backwards = (Target(date(2026, 12, 31), date(2026, 1, 1), Decimal(1)),)
    assert fields(check_framework([indicator(targets=backwards)])) == [
        "indicators[0].targets[0].periodEnd"
    ]
