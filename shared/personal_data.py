"""The "about no one in person" refusal: free text that carries details identifying someone.

Incident summaries, evaluation summaries, qualitative results, risk items and
review rationales travel to other ministries, agencies and (some of them) onto
the domain topics, so they describe what happened to *migrants as a group*,
never to a person. Names alone cannot be recognised reliably, so every such
field's description asks for none; what this module refuses is the detail that
makes a person findable:

- e-mail addresses;
- dates of birth, in Dutch and English ("born 3 March 1990", "geboren
  03-03-1990", "geb. 3/3/90", "DOB 1990-03-03"), and the labels "date of
  birth" and "geboortedatum" themselves;
- a name next to birth data or an age ("Mohammed El Amrani, born ...");
- street addresses with a house number ("Kerkstraat 12", "Laan van
  Meerdervoort 5a", "12 Baker Street", "12 rue de la Paix");
- phone numbers (Dutch national and international: "06-12345678", "+31 6 ...",
  "+212 ...");
- V-numbers (the 10-digit Dutch immigration number) and BSN-like numbers (9
  digits passing the eleven test), passport, document and case numbers;
- any other run of nine or more digits that is not an amount.

Ordinary programme text passes: dates without birth data ("on 3 March 2025"),
periods ("2024-2027", "Q3 2025"), amounts ("EUR 1,250,000", "118.000.000"),
counts, percentages, IATI identifiers ("XM-DAC-7-PPR-2024-001"), article and
resolution numbers, place and organisation names.

A refusal names the *kind* of detail found, never the detail itself: the
reason lands in problem documents and logs, which must not repeat it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Final, TypeVar


class PersonalDetail(StrEnum):
    """A kind of detail that identifies a person; the value is how a refusal names it."""

    EMAIL = "an e-mail address"
    NAME_WITH_BIRTH_DATA = "a name with birth data or an age"
    DATE_OF_BIRTH = "a date of birth"
    STREET_ADDRESS = "a street address"
    PHONE = "a phone number"
    V_NUMBER = "a V-number"
    BSN = "a citizen service number (BSN)"
    DOCUMENT_NUMBER = "a passport, document or case number"
    IDENTIFYING_NUMBER = "an identifying number"


# -- building blocks -------------------------------------------------------------------------

_MONTHS: Final = (
    r"(?i:jan(?:uary|uari)?|feb(?:ruary|ruari)?|mar(?:ch)?|maart|mrt|apr(?:il)?|may|mei|"
    r"june?|juni|july?|juli|aug(?:ust|ustus)?|sept?(?:ember)?|oct(?:ober)?|okt(?:ober)?|"
    r"nov(?:ember)?|dec(?:ember)?)\.?"
)
_NUMERIC_DATE: Final = r"\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})"
_ISO_DATE: Final = r"\d{4}-\d{1,2}-\d{1,2}"
_WRITTEN_DATE: Final = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th|e|ste|de)?\s+(?:of\s+)?{_MONTHS}\s+\d{{2,4}}"
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
)
_ANY_DATE: Final = rf"(?:{_ISO_DATE}|{_NUMERIC_DATE}|{_WRITTEN_DATE})"

#: "born", "geboren", "geb.", "(b.", "né(e)", then optionally "on"/"op"/"le"/":".
_BORN: Final = r"(?:born|geboren|geb\.|(?<=\()b\.|(?<=,\s)b\.|née?)"
_BORN_ON: Final = rf"(?i:\b{_BORN}\s*(?:(?:on|op|le|the|de|in)\s+){{0,2}}:?\s*)"
#: A birth date, a year of birth ("born 1990", not "born in 1990"), or a birthplace.
_BIRTH_DATA: Final = rf"(?:{_ANY_DATE}|(?<!in\s)\d{{4}}\b)"
#: Labels that introduce someone's birth date: refused with a value or as a form field.
_BIRTH_LABEL: Final = (
    r"(?i:\b(?:date\s+of\s+birth|birth\s*date|geboorte-?\s*datum|geb\.\s*datum|"
    r"datum\s+van\s+geboorte|date\s+de\s+naissance))"
)
_BIRTH_LABEL_WITH_VALUE: Final = (
    rf"{_BIRTH_LABEL}\s*(?::|(?i:is|was)?\s*{_ANY_DATE})|\bDOB\b|(?i:\bd\.o\.b\.)"
)

_DATE_OF_BIRTH: Final = re.compile(rf"{_BORN_ON}{_BIRTH_DATA}|{_BIRTH_LABEL_WITH_VALUE}")

#: A personal name: two to five capitalised words, particles ("El", "van der") allowed within.
_NAME_WORD: Final = r"[A-ZÀ-Ý][a-zà-ÿ'\u2019]+(?:-[A-ZÀ-Ý]?[a-zà-ÿ'\u2019]+)?"
_PARTICLE: Final = r"(?:el|al|van|de|der|den|ben|bin|ibn|abu|ter|ten|la|le|da|di|du|dos|von)"
_NAME: Final = rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)*{_NAME_WORD}){{1,4}}"
#: An age given with a name: ", aged 34", ", 34 years old", ", 34-year-old", ", 34 jaar".
_AGE: Final = (
    r"(?:,?\s+(?i:aged?)\s+\d{1,2}\b|"
    r",\s*\d{1,2}(?:-year-old|\s+years?\s+old|\s+jaar(?:\s+oud)?)\b)"
)
_BIRTHPLACE: Final = r"(?:in|te|à|at)\s+[A-ZÀ-Ý]"
_NAME_WITH_BIRTH_DATA: Final = re.compile(
    rf"\b{_NAME}\s*(?:[,(]\s*)?(?:{_BORN_ON}(?:{_BIRTH_DATA}|{_BIRTHPLACE})|{_BIRTH_LABEL})"
    rf"|\b{_NAME}{_AGE}"
)

_EMAIL: Final = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}", re.IGNORECASE)

#: Dutch street-name endings; "dam", "hof", "park" and "ring" are left out (Amsterdam, monitoring).
_STREET_SUFFIX: Final = (
    r"(?:straat|laan|weg|plein|gracht|kade|singel|dijk|steeg|dreef|markt|pad|plantsoen|"
    r"burgwal|voorburgwal|boulevard|kant|wal|baan|hoven|erf|akker|dwarsstraat)"
)
_STREET_NAME: Final = (
    rf"(?:\b[A-ZÀ-Ý][\w'\u2019-]*{_STREET_SUFFIX}"
    rf"|\b(?:Laan|Plein|Kade|Singel|Dijk|Gracht|Straat|Weg|Markt)(?=\s+(?:{_PARTICLE}|[A-Z])))"
)
#: A house number: digits, an optional letter, an optional addition ("-II", " hs", "-3", " bis").
_HOUSE_NUMBER: Final = (
    r"(?P<number>\d{1,5})(?P<addition>\s?[a-zA-Z]\b)?(?:\s?-\s?(?:[IVX]{1,4}|\d{1,4}|[a-zA-Z])\b"
    r"|\s(?:hs|bis|huis|boven|bg|I{1,3})\b)?"
)
_DUTCH_ADDRESS: Final = re.compile(
    rf"{_STREET_NAME}(?:\s+(?:{_PARTICLE}|[A-ZÀ-Ý][\w'\u2019-]*)){{0,3}}\s+{_HOUSE_NUMBER}(?![\d%]|[.,]\d)"
)
_ENGLISH_ADDRESS: Final = re.compile(
    r"\b(?P<number>\d{1,5})[a-zA-Z]?,?\s+(?:[A-Z][\w'\u2019-]*\s+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Drive|Boulevard|Blvd|Square|Place|Crescent|"
    r"Terrace)\b"
    r"|\b(?P<fr_number>\d{1,5})[a-zA-Z]?,?\s+(?:rue|avenue|boulevard|bd\.?|av\.)\s+\w",
)

_PHONE_LABEL: Final = re.compile(
    r"\b(?:tel(?:efoon|ephone)?\.?|phone|gsm|whats\s?app|fax|mobiel(?:e)?\s+nummer|"
    r"mobile\s+(?:phone|number)|mobile:)"
    r"(?:\s*(?:nr|no|number|nummer)\.?)?\s*[:.]?\s*\+?\(?\d[\d\s().-]{6,}\d",
    re.IGNORECASE,
)
_V_NUMBER_LABEL: Final = re.compile(
    r"\b(?:v-(?:nummer|nr|number)\.?|v\s?nummer|vnr\.?|vreemdelingennummer|alien\s+number)"
    r"\s*[:.]?\s*\d",
    re.IGNORECASE,
)
_BSN_LABEL: Final = re.compile(
    r"\b(?:bsn|burgerservicenummer|sofi-?nummer|citizen\s+service\s+number)"
    r"(?:\s*(?:nr|no|number|nummer)\.?)?\s*[:.]?\s*\d",
    re.IGNORECASE,
)
_DOCUMENT_LABEL: Final = re.compile(
    r"\b(?:passport|paspoort|identity\s+card|id[\s-]?card|id[\s-]?kaart|identiteitskaart|"
    r"travel\s+document|reisdocument|identity\s+document|case|zaak|dossier|client|cliënt|"
    r"residence\s+permit|verblijfsvergunning|ID)[\s-]?(?:number|nummer|nr|no)\.?\s*[:.]?\s*"
    r"[A-Z0-9]*\d",
    re.IGNORECASE,
)

#: Codes that carry digits but identify no one: IATI identifiers, resource ids, links, URNs.
_CODES: Final = re.compile(
    r"\b[A-Z]{2}-[A-Za-z0-9_.]+(?:-[A-Za-z0-9_.]+)*"
    r"|\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
    r"|\b(?i:https?://|urn:)\S+"
)
#: Dates and times without birth data are ordinary programme text.
_PLAIN_DATE_OR_TIME: Final = re.compile(
    rf"(?<![\d.\-/])(?:{_ISO_DATE}|{_NUMERIC_DATE})(?![\d]|[-/.]\d)|\b\d{{1,2}}:\d{{2}}\b"
)
#: Runs of digits joined by single spaces, dots or dashes, an optional leading "+".
_DIGIT_RUN: Final = re.compile(r"(?<![\w.+])\+?\d(?:[ .\-]?\d)*(?![\w])")
_CURRENCY_BEFORE: Final = re.compile(
    r"(?:EUR|USD|GBP|MAD|euro|€|\$|£)\s*$|(?:bedrag|amount|budget)\s*:?\s*$", re.IGNORECASE
)
_CURRENCY_AFTER: Final = re.compile(
    r"^\s*(?:EUR|USD|euros?|mln|million|miljoen|billion|miljard)\b", re.IGNORECASE
)
#: "118.000.000", "118 000 000": thousands grouped by one separator, never starting with 0.
_GROUPED_AMOUNT: Final = re.compile(r"[1-9]\d{0,2}(?:([ .])\d{3})(?:\1\d{3})*")


_DECIMAL: Final = re.compile(r"[1-9]\d*\.\d{1,2}")
#: How a BSN is written with spaces; other spaced runs are several numbers side by side.
_SPACED_BSN: Final = re.compile(r"\d{3} \d{3} \d{3}|\d{4} \d{2} \d{3}|\d{2} \d{3} \d{4}")


def _passes_eleven_test(digits: str) -> bool:
    """The BSN eleven test (elfproef): 9*d1 + 8*d2 + ... + 2*d8 - d9 is a multiple of 11."""
    if len(digits) != 9 or digits == "000000000":
        return False
    weighted = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (weighted - int(digits[8])) % 11 == 0


def _is_year(number: str) -> bool:
    return len(number) == 4 and 1800 <= int(number) <= 2099


def _number_kind(run: str, before: str, after: str) -> PersonalDetail | None:
    """What a run of digits is, from its digits, its separators and what surrounds it."""
    if _DECIMAL.fullmatch(run):  # "6000000.00": an amount with cents
        run = run.rsplit(".", 1)[0]
    digits = re.sub(r"\D", "", run)
    if run.startswith("+") and 8 <= len(digits) <= 15:
        return PersonalDetail.PHONE
    if digits.startswith("00") and 10 <= len(digits) <= 15:
        return PersonalDetail.PHONE
    if digits.startswith("0") and len(digits) == 10:
        return PersonalDetail.PHONE
    if _CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.search(after):
        return None
    if (" " not in run or _SPACED_BSN.fullmatch(run)) and _passes_eleven_test(digits):
        return PersonalDetail.BSN
    # Numbers joined by spaces are usually several numbers ("in 2023 31250 returnees").
    for piece in run.split(" "):
        piece_digits = re.sub(r"\D", "", piece)
        if len(piece_digits) < 9 or _GROUPED_AMOUNT.fullmatch(piece):
            continue
        if len(piece_digits) == 10 and piece_digits == piece:
            return PersonalDetail.V_NUMBER
        return PersonalDetail.IDENTIFYING_NUMBER
    return None


def _numbers(text: str) -> list[PersonalDetail]:
    text = _CODES.sub(" ", text)
    text = _PLAIN_DATE_OR_TIME.sub(" ", text)
    text = re.sub(r"\((\d{1,4})\)", r" \1 ", text)  # "+31 (0)6", "2467 (2019)"
    found = []
    for match in _DIGIT_RUN.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()]
        kind = _number_kind(match.group(), before, text[match.end() : match.end() + 12])
        if kind is not None:
            found.append(kind)
    return found


def _addresses(text: str) -> bool:
    """A street with a house number; a bare year after a street word ("Plein 1813") is not one."""
    for match in _DUTCH_ADDRESS.finditer(text):
        if not _is_year(match["number"]) or match.end() > match.end("number"):
            return True
    for match in _ENGLISH_ADDRESS.finditer(text):
        if not _is_year(match["number"] or match["fr_number"]):
            return True
    return False


def personal_details(text: str) -> tuple[PersonalDetail, ...]:
    """Every kind of identifying detail ``text`` carries, most telling first; empty if none."""
    found: list[PersonalDetail] = []
    if _EMAIL.search(text):
        found.append(PersonalDetail.EMAIL)
    if _NAME_WITH_BIRTH_DATA.search(text):
        found.append(PersonalDetail.NAME_WITH_BIRTH_DATA)
    if _DATE_OF_BIRTH.search(text):
        found.append(PersonalDetail.DATE_OF_BIRTH)
    if _addresses(text):
        found.append(PersonalDetail.STREET_ADDRESS)
    if _PHONE_LABEL.search(text):
        found.append(PersonalDetail.PHONE)
    if _V_NUMBER_LABEL.search(text):
        found.append(PersonalDetail.V_NUMBER)
    if _BSN_LABEL.search(text):
        found.append(PersonalDetail.BSN)
    if _DOCUMENT_LABEL.search(text):
        found.append(PersonalDetail.DOCUMENT_NUMBER)
    found += _numbers(_EMAIL.sub(" ", text))
    return tuple(dict.fromkeys(found))


def refusal(text: str | None) -> str | None:
    """Why ``text`` is refused, naming the kinds of detail but never repeating them; or None."""
    if not text:
        return None
    kinds = personal_details(text)
    if not kinds:
        return None
    return (
        f"must be about no one in person, but carries {', '.join(kinds)}; "
        "describe what happened in general terms"
    )


V = TypeVar("V")


def refusals(texts: Mapping[str, str | None], violation: Callable[[str, str], V]) -> list[V]:
    """A ``violation(field, reason)`` for each field whose text identifies someone.

    ``texts`` maps each field's camelCase path to its text (None when absent);
    each service passes its own violation type, so every service refuses with
    the same detector and the same words.
    """
    found = []
    for field, text in texts.items():
        reason = refusal(text)
        if reason is not None:
            found.append(violation(field, reason))
    return found
