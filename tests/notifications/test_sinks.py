"""Sinks as pure rules: defaults, validation, what a change means, what pausing stops."""

from __future__ import annotations

import pytest

from services.notifications.domain.sinks import (
    Sink,
    after_change,
    canonical,
    check_sinks,
    default_sinks,
    reached,
)

URL = "https://alerts.example.org/hook"
W, IN, S = Sink.WEBHOOK, Sink.INBOX, Sink.STREAM


def test_left_out_sinks_are_what_a_subscription_always_was() -> None:
    assert default_sinks(URL) == (W, IN)
    assert default_sinks(None) == (IN,)


def test_canonical_sinks_are_each_once_in_a_fixed_order() -> None:
    assert canonical([S, IN, S, W]) == (W, IN, S)
    assert canonical(["stream", "inbox"]) == (IN, S)
    assert canonical([]) == ()


@pytest.mark.parametrize(
    ("sinks", "url"),
    [((W,), URL), ((W, IN, S), URL), ((S,), None), ((IN, S), None), ((IN,), None)],
)
def test_consistent_sinks_and_url_pass(sinks: tuple[Sink, ...], url: str | None) -> None:
    assert check_sinks(sinks, url) == []


@pytest.mark.parametrize(
    ("sinks", "url", "field", "words"),
    [
        ((), None, "sinks", "at least one sink"),
        ((), URL, "sinks", "webhook, inbox, stream"),
        ((W,), None, "url", "webhook sink needs a url"),
        ((W, S), None, "url", "needs a url"),
        ((S,), URL, "url", "only for the webhook sink"),
        ((IN,), URL, "url", "add 'webhook' to sinks"),
    ],
)
def test_inconsistent_sinks_name_the_field_and_why(
    sinks: tuple[Sink, ...], url: str | None, field: str, words: str
) -> None:
    (violation,) = check_sinks(sinks, url)
    assert violation.field == field
    assert words in violation.reason


def test_only_an_active_subscription_pushes_and_the_inbox_always_fills() -> None:
    assert reached((W, IN, S), active=True) == {W, IN, S}
    assert reached((W, IN, S), active=False) == {IN}
    assert reached((S,), active=False) == frozenset()
    assert reached((S,), active=True) == {S}
    assert reached((IN,), active=False) == {IN}


def change(
    sinks: tuple[Sink, ...],
    url: str | None,
    *,
    new_sinks: tuple[Sink, ...] | None = None,
    new_url: str | None = None,
    url_sent: bool = False,
) -> tuple[tuple[Sink, ...], str | None]:
    return after_change(sinks, url, new_sinks=new_sinks, url_sent=url_sent, new_url=new_url)


def test_a_change_that_names_neither_keeps_both() -> None:
    assert change((W, IN), URL) == ((W, IN), URL)
    assert change((S,), None) == ((S,), None)


def test_named_sinks_are_taken_and_the_url_goes_with_the_webhook() -> None:
    assert change((W, IN), URL, new_sinks=(S, IN)) == ((IN, S), None)
    assert change((W, IN), URL, new_sinks=(S, W)) == ((W, S), URL)
    # Asking for a webhook without a url keeps none: check_sinks then refuses it.
    assert change((IN,), None, new_sinks=(W,)) == ((W,), None)
    assert change((IN,), None, new_sinks=(W,), url_sent=True, new_url=URL) == ((W,), URL)
    assert change((W, IN), URL, new_sinks=()) == ((), None)


def test_without_named_sinks_a_url_keeps_its_old_meaning() -> None:
    other = "https://other.example.org/hook"
    assert change((IN,), None, url_sent=True, new_url=URL) == ((W, IN), URL)
    assert change((S,), None, url_sent=True, new_url=URL) == ((W, S), URL)
    assert change((W, IN), URL, url_sent=True, new_url=other) == ((W, IN), other)
    assert change((W, IN), URL, url_sent=True) == ((IN,), None)
    assert change((W, S), URL, url_sent=True) == ((S,), None)
    assert change((W,), URL, url_sent=True) == ((IN,), None), "no sink left: the inbox"
