"""Who may write what in the registry: the rules in one place, pure, no I/O.

The letter of 23 May 2025 has the policy agenda carried out "within the existing
financial frameworks of the departments responsible for the policy": a
programme's budget, lifecycle, results framework and money belong to the
ministry that owns it (IATI role 2, accountable), and so does the decision
that closes its adaptive-management review. Participating agencies implement
and report (in monitoring), they do not steer; the taskforce secretariat
coordinates across ministries and reads everything, but the letter gives it no
budget and no say over another ministry's programme. Only ministries register
programmes (``check_owner`` in :mod:`services.programmes.domain.programme`).
"""

from __future__ import annotations

from enum import StrEnum


class ProgrammeWrite(StrEnum):
    """The changes to a registered programme, each the owner's alone."""

    STATUS = "move the programme through its lifecycle"
    BUDGET = "set the programme's budget"
    TRANSACTION = "book commitments and disbursements on the programme"
    RESULTS_FRAMEWORK = "set the programme's results framework"
    REVIEW_DECISION = "decide the programme's review"


def refusal(write: ProgrammeWrite, *, owner: str, programme_id: str, caller: str) -> str | None:
    """Why ``caller`` may not make ``write`` on the programme, or ``None`` when it may.

    The reason names who may (the owning ministry), so a refused caller knows
    whom to ask.
    """
    if caller == owner:
        return None
    return (
        f"Programme {programme_id} is owned by {owner}; only {owner} may {write.value}. "
        f"{caller} may read it but not change it."
    )
