"""The lifecycle state machine over the IATI activity statuses."""

from __future__ import annotations

import itertools

import pytest

from services.programmes.domain import lifecycle
from shared.contracts.vocabulary import ActivityStatus as S
from shared.errors import Conflict

LEGAL = {
    (S.PIPELINE, S.IMPLEMENTATION),
    (S.PIPELINE, S.CANCELLED),
    (S.IMPLEMENTATION, S.FINALISATION),
    (S.IMPLEMENTATION, S.SUSPENDED),
    (S.IMPLEMENTATION, S.CANCELLED),
    (S.SUSPENDED, S.IMPLEMENTATION),
    (S.SUSPENDED, S.FINALISATION),
    (S.SUSPENDED, S.CANCELLED),
    (S.FINALISATION, S.CLOSED),
}


def test_the_table_is_exactly_the_legal_moves() -> None:
    table = {(a, b) for a, targets in lifecycle.TRANSITIONS.items() for b in targets}
    assert table == LEGAL
    assert set(lifecycle.TRANSITIONS) == set(S), "every IATI status has a row"


@pytest.mark.parametrize(("current", "target"), sorted(LEGAL))
def test_legal_moves_pass(current: S, target: S) -> None:
    lifecycle.check_transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    sorted(set(itertools.product(S, S)) - LEGAL),
)
def test_every_other_move_is_refused(current: S, target: S) -> None:
    with pytest.raises(Conflict) as refused:
        lifecycle.check_transition(current, target)
    assert lifecycle.STATUS_NAMES[current] in refused.value.detail


def test_closed_and_cancelled_are_final() -> None:
    assert {S.CLOSED, S.CANCELLED} == lifecycle.TERMINAL
    for status in lifecycle.TERMINAL:
        assert not lifecycle.allowed_from(status)
    with pytest.raises(Conflict, match="final"):
        lifecycle.check_transition(S.CLOSED, S.IMPLEMENTATION)


def test_active_statuses_are_those_still_at_work_in_a_country() -> None:
    assert {S.IMPLEMENTATION, S.FINALISATION, S.SUSPENDED} == lifecycle.ACTIVE


def test_a_termination_ends_in_cancelled_or_finalisation() -> None:
    assert {S.CANCELLED, S.FINALISATION} == lifecycle.TERMINATION_STATUSES
