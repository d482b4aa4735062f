"""The ODA rule, from the OECD DAC definition of purpose code 15190.

15190 ("facilitation of orderly, safe, regular and responsible migration and
mobility") covers assistance to migrants for a safe, dignified, informed and
*voluntary* return, and their reintegration; "assistance to forced returns is
excluded from ODA". The registry therefore refuses to count any money of a
programme that assists forced returns as ODA: not in its budget, not in its
transactions. A programme that does so is financed from non-ODA means only.
"""

from __future__ import annotations

from services.programmes.domain.programme import ReturnAssistance
from shared.errors import Violation

FORCED_RETURN_REASON = (
    "assistance to forced returns is excluded from ODA (OECD DAC, purpose code 15190); "
    "book it as non-ODA"
)


def may_count_as_oda(return_assistance: ReturnAssistance) -> bool:
    """Whether money of a programme with this kind of return assistance may be ODA."""
    return return_assistance is not ReturnAssistance.FORCED


def check_oda(return_assistance: ReturnAssistance, oda: bool, field: str) -> list[Violation]:
    """The violation of an amount marked ODA on a programme that may have none."""
    if oda and not may_count_as_oda(return_assistance):
        return [Violation(field, FORCED_RETURN_REASON)]
    return []
