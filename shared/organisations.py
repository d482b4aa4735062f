"""The organisations that take part in the taskforce, as reference data.

The seed letter names the ministries and agencies that carry out the taskforce's
policy agenda. Every service refers to them by one stable lower-case code: a bearer
token names the calling organisation by code, programmes name their owning ministry
by code, and notifications route alerts by code. Names are kept in Dutch (the
official name) and English (for international partners and logs).

An organisation's OIN (Organisatie-identificatienummer) is deployment configuration,
not reference data: it is read from ``TASKFORCE_OIN_<CODE>`` (code upper-cased,
``-`` as ``_``) when asked for, so a deployment can set it without a code change.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

_OIN_PATTERN: Final = re.compile(r"^\d{20}$")


class OrganisationKind(StrEnum):
    """What sort of body an organisation is; alerts go to ministries by default."""

    MINISTRY = "ministry"
    AGENCY = "agency"
    SECRETARIAT = "secretariat"


class UnknownOrganisationError(KeyError):
    """Raised for a code that is not in the registry.

    A ``KeyError`` so that mapping-style callers keep working, with a readable
    ``str()`` (plain ``KeyError`` would wrap the message in quotes).
    """

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        known = ", ".join(sorted(ORGANISATIONS))
        return f"unknown organisation code {self.code!r}; known codes: {known}"


def oin_variable(code: str) -> str:
    """The environment variable that holds the OIN of the organisation ``code``."""
    return "TASKFORCE_OIN_" + code.upper().replace("-", "_")


@dataclass(frozen=True)
class Organisation:
    """A ministry, agency or the taskforce secretariat."""

    code: str
    name_nl: str
    name_en: str
    kind: OrganisationKind
    #: For an agency: the code of the ministry it falls under (used to route alerts).
    parent: str | None = None

    @property
    def oin(self) -> str | None:
        """The configured 20-digit OIN, or ``None`` when the deployment sets none.

        Read on every access so that configuration changes (and tests) take effect
        without re-importing; a malformed value fails loudly rather than ending up
        in a CloudEvents ``source``.
        """
        variable = oin_variable(self.code)
        value = os.environ.get(variable)
        if value is None or value == "":
            return None
        if not _OIN_PATTERN.match(value):
            raise ValueError(f"{variable} must be a 20-digit OIN")
        return value


def _registry(*organisations: Organisation) -> dict[str, Organisation]:
    return {organisation.code: organisation for organisation in organisations}


#: Every organisation the platform knows, by code.
ORGANISATIONS: Final[dict[str, Organisation]] = _registry(
    Organisation(
        "am",
        "Ministerie van Asiel en Migratie",
        "Ministry of Asylum and Migration",
        OrganisationKind.MINISTRY,
    ),
    # Includes the Minister for Foreign Trade and Development (Buitenlandse Handel
    # en Ontwikkelingshulp, BHO), whose budget funds the ODA programmes.
    Organisation(
        "bz",
        "Ministerie van Buitenlandse Zaken",
        "Ministry of Foreign Affairs",
        OrganisationKind.MINISTRY,
    ),
    Organisation(
        "jenv",
        "Ministerie van Justitie en Veiligheid",
        "Ministry of Justice and Security",
        OrganisationKind.MINISTRY,
    ),
    Organisation(
        "def",
        "Ministerie van Defensie",
        "Ministry of Defence",
        OrganisationKind.MINISTRY,
    ),
    Organisation(
        "szw",
        "Ministerie van Sociale Zaken en Werkgelegenheid",
        "Ministry of Social Affairs and Employment",
        OrganisationKind.MINISTRY,
    ),
    Organisation(
        "kmar",
        "Koninklijke Marechaussee",
        "Royal Netherlands Marechaussee",
        OrganisationKind.AGENCY,
        parent="def",
    ),
    Organisation(
        "ind",
        "Immigratie- en Naturalisatiedienst",
        "Immigration and Naturalisation Service",
        OrganisationKind.AGENCY,
        parent="am",
    ),
    Organisation(
        "coa",
        "Centraal Orgaan opvang asielzoekers",
        "Central Agency for the Reception of Asylum Seekers",
        OrganisationKind.AGENCY,
        parent="am",
    ),
    Organisation(
        "dtv",
        "Dienst Terugkeer en Vertrek",
        "Repatriation and Departure Service",
        OrganisationKind.AGENCY,
        parent="am",
    ),
    Organisation(
        "politie",
        "Nationale Politie",
        "National Police",
        OrganisationKind.AGENCY,
        parent="jenv",
    ),
    Organisation(
        "tf-secretariaat",
        "Secretariaat Taskforce Internationale Migratie",
        "Secretariat of the Taskforce on International Migration",
        OrganisationKind.SECRETARIAT,
    ),
)


def get_organisation(code: str) -> Organisation:
    """The organisation with this code; :class:`UnknownOrganisationError` otherwise."""
    try:
        return ORGANISATIONS[code]
    except KeyError:
        raise UnknownOrganisationError(code) from None


def is_known_organisation(code: str) -> bool:
    return code in ORGANISATIONS


def responsible_ministry(code: str) -> Organisation | None:
    """The ministry answerable for ``code``: itself, its parent, or ``None`` (secretariat)."""
    organisation = get_organisation(code)
    if organisation.kind is OrganisationKind.MINISTRY:
        return organisation
    if organisation.parent is None:
        return None
    return get_organisation(organisation.parent)


def agencies_of(ministry_code: str) -> tuple[Organisation, ...]:
    """The agencies that fall under a ministry, in registry order."""
    get_organisation(ministry_code)
    return tuple(o for o in ORGANISATIONS.values() if o.parent == ministry_code)
