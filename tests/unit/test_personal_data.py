"""The "about no one in person" detector: what it refuses, and the programme text it passes."""

from __future__ import annotations

import pytest

from shared.personal_data import PersonalDetail, personal_details, refusal, refusals

D = PersonalDetail

#: Text that identifies someone, with a kind the refusal must name.
MUST_FAIL: list[tuple[str, PersonalDetail]] = [
    ("Mohammed El Amrani, born 3 March 1990, of Kerkstraat 12, Utrecht", D.NAME_WITH_BIRTH_DATA),
    ("Mohammed El Amrani, born 3 March 1990, of Kerkstraat 12, Utrecht", D.STREET_ADDRESS),
    ("The man was born 3 March 1990 in Nador.", D.DATE_OF_BIRTH),
    ("Betrokkene is geboren 03-03-1990.", D.DATE_OF_BIRTH),
    ("geboren op 3 maart 1990 te Tanger", D.DATE_OF_BIRTH),
    ("Returnee (geb. 3/3/90) was detained.", D.DATE_OF_BIRTH),
    ("DOB 1990-03-03, detained at the border", D.DATE_OF_BIRTH),
    ("Date of birth: unknown, detained on arrival", D.DATE_OF_BIRTH),
    ("geboortedatum 3-3-1990", D.DATE_OF_BIRTH),
    ("She was born on the 3rd of March 1990.", D.DATE_OF_BIRTH),
    ("born March 3, 1990", D.DATE_OF_BIRTH),
    ("Fatima Zahra Benali (born 1988) reported the abuse.", D.NAME_WITH_BIRTH_DATA),
    ("Youssef Haddad, aged 17, was held for a week.", D.NAME_WITH_BIRTH_DATA),
    ("Youssef Haddad, 17 jaar, werd vastgehouden.", D.NAME_WITH_BIRTH_DATA),
    ("Ahmed Ben Salah, born in Sfax, was returned.", D.NAME_WITH_BIRTH_DATA),
    ("He lives at Kerkstraat 12.", D.STREET_ADDRESS),
    ("Verblijfadres Laan van Meerdervoort 5a, Den Haag", D.STREET_ADDRESS),
    ("Kerkstraat 12-II", D.STREET_ADDRESS),
    ("opgevangen aan de Oudegracht 231 bis", D.STREET_ADDRESS),
    ("staying at Stationsweg 3 hs", D.STREET_ADDRESS),
    ("found at 12 Baker Street, London", D.STREET_ADDRESS),
    ("moved to 14 rue de la Kasbah, Tanger", D.STREET_ADDRESS),
    ("Call him on 06-12345678.", D.PHONE),
    ("reachable on +31 6 1234 5678", D.PHONE),
    ("contact: +212 6 12 34 56 78", D.PHONE),
    ("tel. 070 345 6789", D.PHONE),
    ("0031 70 345 6789", D.PHONE),
    ("+31 (0)20 123 4567", D.PHONE),
    ("V-nummer 1234567890 is known to the IND.", D.V_NUMBER),
    ("case of 1234567890 at the IND", D.V_NUMBER),
    ("BSN 123456782 was shared", D.BSN),
    ("the number 123456782 was shared", D.BSN),
    ("registered under 1234.56.782", D.BSN),
    ("passport number NP1234567", D.DOCUMENT_NUMBER),
    ("zaaknummer 2024-118822", D.DOCUMENT_NUMBER),
    ("Reported by j.doe@example.org", D.EMAIL),
    ("document 123-456-789-0 was kept", D.IDENTIFYING_NUMBER),
]

#: Ordinary programme text: dates, periods, amounts, counts, identifiers, places, organisations.
MUST_PASS: list[str] = [
    "On 3 March 2025 the steering committee met in The Hague.",
    "Between 1 January and 30 June 2024 the partner trained 40 officials.",
    "Reporting covers Q3 2025.",
    "The partnership runs 2024-2027.",
    "The budget is EUR 1,250,000 for the first phase.",
    "A total of EUR 118.000.000 a year by 2029.",
    "The frame rises to 118 000 000 euro.",
    "312 returnees were supported with reintegration.",
    "Reported abuse fell to 4.5% at supported posts.",
    "Activity XM-DAC-7-PPR-2024-001 reports to IATI.",
    "Reporting organisation NL-KVK-27378529 publishes quarterly.",
    "In line with article 3.1 of the EU Return Directive 2008/115/EC.",
    "UN Security Council resolution 2467 (2019) on conflict-related sexual violence.",
    "Monitoring in Tunisia, Morocco and Libya by IOM and UNHCR.",
    "The Ministry of Foreign Affairs (Rijnstraat) and DT&V agreed on 12-05-2025.",
    "Trainings took place from 2024-01-15 to 2024-03-31.",
    "Children born in 2010 or later made up 40 of the 312 returnees.",
    "Birth registration was supported in 12 municipalities.",
    "Age assessment without a documented date of birth remains a risk.",
    "The Joint Way Forward (2 October 2016) sets the frame.",
    "Plein 1813 hosted the 2025 conference.",
    "Amsterdam 2024: 25 cases referred to the police.",
    "Monitoring 3 border posts in the Sahel region.",
    "Meeting at 10:30 on 03-03-2025 with 14 partners.",
    "Outcome 2.3: 1 250 migrants reached; 85 percent satisfied.",
    "Phase 2 (2025-2026) of the Dutch-Moroccan partnership.",
    "The 2024 Road Map on border management was adopted.",
    "In 2023 31250 migrants were intercepted at sea.",
    "The mobile teams visited 2024-2027 sites.",
    "Tel Aviv and Tunis hosted the 2025 rounds.",
]


@pytest.mark.parametrize(("text", "kind"), MUST_FAIL)
def test_identifying_text_is_refused_naming_the_kind(text: str, kind: PersonalDetail) -> None:
    assert kind in personal_details(text)
    reason = refusal(text)
    assert reason is not None and kind.value in reason


@pytest.mark.parametrize("text", MUST_PASS)
def test_ordinary_programme_text_passes(text: str) -> None:
    assert personal_details(text) == ()
    assert refusal(text) is None


def test_the_refusal_never_repeats_the_detail() -> None:
    reason = refusal("Mohammed El Amrani, born 3 March 1990, tel. 06-12345678")
    assert reason is not None
    for fragment in ("Mohammed", "Amrani", "1990", "March", "0612", "12345678"):
        assert fragment not in reason


def test_the_eleven_test_separates_bsn_like_numbers_from_other_nine_digit_runs() -> None:
    assert D.BSN in personal_details("123456782")
    # 123456789 fails the eleven test, but nine bare digits still identify
    assert personal_details("123456789") == (D.IDENTIFYING_NUMBER,)
    assert personal_details("EUR 123456782") == ()


def test_refusals_name_each_offending_field_with_the_callers_violation_type() -> None:
    found = refusals(
        {"summary": "Kerkstraat 12", "comment": None, "reason": "Audit corrected it."},
        lambda field, reason: (field, reason),
    )
    assert [field for field, _ in found] == ["summary"]
    assert D.STREET_ADDRESS.value in found[0][1]


@pytest.mark.parametrize(
    "text",
    [
        "Budget 6000000.00 for the first phase",
        "See urn:nld:oin:00000000000000000000:systeem:monitoring for the source",
        "Resource 00000000-0000-4000-8000-000000000000 in the registry",
        "Report at https://example.org/reports/2024/118822334.pdf",
    ],
)
def test_amounts_with_cents_resource_ids_and_links_are_not_identifying_numbers(text: str) -> None:
    assert personal_details(text) == ()
