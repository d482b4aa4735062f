"""The organisations registry: codes, names, hierarchy and configured OINs."""

from __future__ import annotations

import dataclasses

import pytest

from shared.organisations import (
    ORGANISATIONS,
    Organisation,
    OrganisationKind,
    UnknownOrganisationError,
    agencies_of,
    get_organisation,
    oin_variable,
    responsible_ministry,
)

EXPECTED_CODES = {
    "am",
    "bz",
    "jenv",
    "def",
    "szw",
    "kmar",
    "ind",
    "coa",
    "dtv",
    "politie",
    "tf-secretariaat",
}


def test_registry_holds_exactly_the_taskforce_partners() -> None:
    assert set(ORGANISATIONS) == EXPECTED_CODES
    for code, organisation in ORGANISATIONS.items():
        assert organisation.code == code
        assert code == code.lower()
        assert organisation.name_nl and organisation.name_en


def test_names_and_kinds() -> None:
    assert get_organisation("am").name_nl == "Ministerie van Asiel en Migratie"
    assert get_organisation("dtv").name_nl == "Dienst Terugkeer en Vertrek"
    assert get_organisation("politie").name_nl == "Nationale Politie"
    assert get_organisation("kmar").name_nl == "Koninklijke Marechaussee"
    kinds = {code: o.kind for code, o in ORGANISATIONS.items()}
    assert {c for c, k in kinds.items() if k is OrganisationKind.MINISTRY} == {
        "am",
        "bz",
        "jenv",
        "def",
        "szw",
    }
    assert kinds["tf-secretariaat"] is OrganisationKind.SECRETARIAT


def test_unknown_code_is_a_key_error_with_a_clear_message() -> None:
    with pytest.raises(KeyError) as caught:
        get_organisation("minbuza")
    assert isinstance(caught.value, UnknownOrganisationError)
    message = str(caught.value)
    assert "unknown organisation code 'minbuza'" in message
    assert "tf-secretariaat" in message  # lists the known codes


def test_codes_are_case_sensitive() -> None:
    with pytest.raises(UnknownOrganisationError):
        get_organisation("IND")


@pytest.mark.parametrize(
    ("agency", "ministry"),
    [("kmar", "def"), ("ind", "am"), ("coa", "am"), ("dtv", "am"), ("politie", "jenv")],
)
def test_agencies_fall_under_their_ministry(agency: str, ministry: str) -> None:
    assert get_organisation(agency).kind is OrganisationKind.AGENCY
    assert get_organisation(agency).parent == ministry
    assert responsible_ministry(agency) == get_organisation(ministry)


def test_every_parent_is_a_ministry_and_ministries_have_none() -> None:
    for organisation in ORGANISATIONS.values():
        if organisation.parent is not None:
            assert get_organisation(organisation.parent).kind is OrganisationKind.MINISTRY
        if organisation.kind is OrganisationKind.MINISTRY:
            assert organisation.parent is None


def test_responsible_ministry_of_a_ministry_and_of_the_secretariat() -> None:
    assert responsible_ministry("bz") == get_organisation("bz")
    assert responsible_ministry("tf-secretariaat") is None


def test_agencies_of_a_ministry() -> None:
    assert [o.code for o in agencies_of("am")] == ["ind", "coa", "dtv"]
    assert agencies_of("szw") == ()
    with pytest.raises(UnknownOrganisationError):
        agencies_of("nope")


def test_oin_comes_from_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    assert oin_variable("tf-secretariaat") == "TASKFORCE_OIN_TF_SECRETARIAAT"
    monkeypatch.delenv("TASKFORCE_OIN_IND", raising=False)
    assert get_organisation("ind").oin is None
    monkeypatch.setenv("TASKFORCE_OIN_IND", "00000001234567890000")
    assert get_organisation("ind").oin == "00000001234567890000"
    monkeypatch.setenv("TASKFORCE_OIN_TF_SECRETARIAAT", "00000009876543210000")
    assert get_organisation("tf-secretariaat").oin == "00000009876543210000"


def test_malformed_oin_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKFORCE_OIN_COA", "1234")
    with pytest.raises(ValueError, match="TASKFORCE_OIN_COA"):
        _ = get_organisation("coa").oin


def test_organisations_are_immutable() -> None:
    organisation: Organisation = get_organisation("szw")
    with pytest.raises(dataclasses.FrozenInstanceError):
        organisation.name_en = "changed"  # type: ignore[misc]
