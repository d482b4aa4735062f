"""The ODA rule of DAC purpose code 15190: assistance to forced returns cannot be ODA."""

from __future__ import annotations

import pytest

from services.programmes.domain.budget import TransactionType, check_budgets, check_transaction
from services.programmes.domain.oda import check_oda, may_count_as_oda
from services.programmes.domain.programme import ReturnAssistance
from shared.contracts.vocabulary import BudgetLine
from shared.errors import InvalidInput
from tests.programmes.factories import budget, programme, transaction


@pytest.mark.parametrize(
    ("assistance", "allowed"),
    [
        (ReturnAssistance.NONE, True),
        (ReturnAssistance.VOLUNTARY, True),
        (ReturnAssistance.FORCED, False),
    ],
)
def test_only_forced_returns_exclude_oda(assistance: ReturnAssistance, allowed: bool) -> None:
    assert may_count_as_oda(assistance) is allowed
    assert bool(check_oda(assistance, True, "oda")) is not allowed
    assert check_oda(assistance, False, "oda") == [], "non-ODA is always allowed"


def test_an_oda_budget_on_a_forced_return_programme_is_refused() -> None:
    forced = programme(return_assistance=ReturnAssistance.FORCED)
    items = [budget("1000000", line=BudgetLine.AM, oda=False), budget("500000", oda=True)]
    violations = check_budgets(forced, items, [])
    assert [v.field for v in violations] == ["budgets[1].oda"]
    assert "forced returns" in violations[0].reason


def test_an_oda_transaction_on_a_forced_return_programme_is_refused() -> None:
    forced = programme(return_assistance=ReturnAssistance.FORCED)
    items = [budget("1000000", oda=True)]
    with pytest.raises(InvalidInput) as refused:
        check_transaction(
            forced,
            items,
            [],
            transaction("1000", TransactionType.COMMITMENT, oda=True, override="urgent"),
            disbursements_on_hold=False,
        )
    assert [v.field for v in refused.value.violations] == ["oda"]


def test_voluntary_return_and_reintegration_may_be_oda() -> None:
    voluntary = programme(return_assistance=ReturnAssistance.VOLUNTARY)
    assert check_budgets(voluntary, [budget("250000", oda=True)], []) == []
