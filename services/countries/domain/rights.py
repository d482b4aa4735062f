"""Who may write what in the countries service: the rules in one place, pure, no I/O.

Derived from the letter of 23 May 2025 and the organisations registry:

- The letter is sent by the Minister of Asylum and Migration (``am``) "also on
  behalf of" the Minister for Foreign Trade and Development (``bz``), whose
  budgets (A&M and BHO) fund the taskforce. The choice of focus countries ("the
  cabinet makes a considered choice") is theirs: a **designation** is decided
  by ``am`` or ``bz``.
- The cabinet maps the risks of cooperation "before or within a partnership"
  on the do-no-harm principle. A **do-no-harm assessment** is made by ``am`` or
  ``bz`` (the country, and any track), or by the **lead organisation of the
  track** it covers, which knows the cooperation best.
- A **partnership track** is the lead organisation's: it opens the track (as
  its lead), edits it, moves its status and may hand the lead on.
- A **country profile** holds the facts the focus choice rests on (migration
  roles, key figures, diplomatic relations, EU partnership): kept by ``am``,
  ``bz`` and the secretariat.
- The **taskforce secretariat** (``tf-secretariaat``) coordinates across
  ministries: it may do each of these, and when it records a decision or an
  assessment someone else made, that organisation stays ``decidedBy`` /
  ``assessedBy`` and the secretariat is ``recordedBy``. Nobody else records on
  another organisation's behalf.

Each function returns why the caller is refused, naming who may, or ``None``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

SECRETARIAT: Final = "tf-secretariaat"
#: The ministries that take designation decisions (the letter's two ministers).
DECIDERS: Final = ("am", "bz")
#: The ministries that assess do-no-harm risk for any scope (a track's lead may too).
ASSESSORS: Final = ("am", "bz")
#: Who keeps the country profiles.
PROFILE_KEEPERS: Final = ("am", "bz", SECRETARIAT)


def _listed(codes: Sequence[str]) -> str:
    codes = list(dict.fromkeys(codes))
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " or " + codes[-1]


def profile_refusal(caller: str) -> str | None:
    """Why ``caller`` may not change a country profile, or ``None``."""
    if caller in PROFILE_KEEPERS:
        return None
    return (
        f"Country profiles are kept by {_listed(PROFILE_KEEPERS)}; {caller} may read them "
        "but not change them."
    )


def _recording_refusal(
    what: str, role: str, field: str, caller: str, named: str | None, allowed: Sequence[str]
) -> str | None:
    """The shared rule of decisions and assessments: made by ``allowed``, recorded by them or
    by the secretariat on their behalf (naming them in ``field``)."""
    acting = named or caller
    if caller == SECRETARIAT and named is None:
        return (
            f"The taskforce secretariat records {what} on behalf of {_listed(allowed)}: "
            f"name the {role} organisation in {field}."
        )
    if acting not in allowed:
        return f"{what.capitalize()} are made by {_listed(allowed)}; {acting} cannot be {field}."
    if caller not in (acting, SECRETARIAT):
        return (
            f"{caller} may record only its own {what}; only the taskforce secretariat "
            f"records them on behalf of {acting}."
        )
    return None


def designation_refusal(caller: str, decided_by: str | None) -> str | None:
    """Why ``caller`` may not record a designation decided by ``decided_by`` (``None``: the
    caller itself), or ``None``."""
    return _recording_refusal(
        "designation decisions", "deciding", "decidedBy", caller, decided_by, DECIDERS
    )


def assessors(track_lead: str | None) -> tuple[str, ...]:
    """Who may assess: the two ministries, and the lead of the track assessed."""
    return ASSESSORS if track_lead is None else tuple(dict.fromkeys((*ASSESSORS, track_lead)))


def assessment_refusal(caller: str, assessed_by: str | None, track_lead: str | None) -> str | None:
    """Why ``caller`` may not record an assessment by ``assessed_by`` of a country or a track
    led by ``track_lead``, or ``None``."""
    return _recording_refusal(
        "do-no-harm assessments",
        "assessing",
        "assessedBy",
        caller,
        assessed_by,
        assessors(track_lead),
    )


def opening_refusal(caller: str, lead: str) -> str | None:
    """Why ``caller`` may not open a track led by ``lead``, or ``None``."""
    if caller in (lead, SECRETARIAT):
        return None
    return (
        f"A partnership track is opened by its lead organisation or the taskforce "
        f"secretariat; {caller} may open one only with itself as leadOrganisation, not {lead}."
    )


def track_change_refusal(caller: str, lead: str, title: str) -> str | None:
    """Why ``caller`` may not change (edit, move) the track ``title`` led by ``lead``."""
    if caller in (lead, SECRETARIAT):
        return None
    return (
        f"The partnership track {title!r} is led by {lead}; only {lead} or the taskforce "
        f"secretariat may change it. {caller} may read it."
    )
