"""Who may report evidence on a programme: the rule in one place, pure, no I/O.

An indicator result, an evaluation or an incident report can flag a programme,
and a flag opens a review and may put the programme's disbursements on hold. So
evidence on a programme comes from those answerable for it or working in it:

- its owning ministry (accountable for it, IATI role 2);
- its participating organisations (the agencies and ministries that implement
  it and see what happens on the ground: the letter's "operational deployment
  of migration-chain partners");
- the taskforce secretariat (``tf-secretariaat``), which coordinates the
  monitoring and independent evaluation the letter commits the cabinet to,
  across ministries.

Another ministry or agency may read the programme's evidence but not add to it:
otherwise one organisation could stop another's programme.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from services.monitoring.domain.programmes import Programme
from shared.errors import Forbidden

SECRETARIAT: Final = "tf-secretariaat"


class Evidence(StrEnum):
    """What an organisation may report on a programme, as the refusal names it."""

    INDICATOR_RESULT = "report indicator results"
    RESULT_CORRECTION = "correct indicator results"
    EVALUATION = "record evaluations"
    INCIDENT = "report incidents"


def reporters(owner: str, partners: Sequence[str]) -> tuple[str, ...]:
    """Every organisation that may report on a programme of ``owner`` with ``partners``."""
    return tuple(dict.fromkeys((owner, *partners, SECRETARIAT)))


def refusal(
    evidence: Evidence,
    *,
    programme_id: str,
    owner: str,
    partners: Sequence[str],
    caller: str,
) -> str | None:
    """Why ``caller`` may not report ``evidence`` on the programme, or ``None`` when it may."""
    allowed = reporters(owner, partners)
    if caller in allowed:
        return None
    return (
        f"Only the programme's owner, its participating organisations and the taskforce "
        f"secretariat may {evidence.value} on programme {programme_id}: "
        f"{', '.join(allowed)}. {caller} is none of them."
    )


def check_reporter(what: Evidence, programme: Programme, organisation: str) -> None:
    """Refuse (403) ``what`` from an organisation neither owning nor taking part in ``programme``.

    Every use case that records evidence calls it once the programme is known:
    an unknown programme stays the 422 it is.
    """
    reason = refusal(
        what,
        programme_id=programme.programme_id,
        owner=programme.owning_organisation,
        partners=programme.partner_organisations,
        caller=organisation,
    )
    if reason is not None:
        raise Forbidden(reason)
