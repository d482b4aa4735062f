"""What the round-trip tests share: generated values, and the write-then-read check.

The rule they hold every service to: what the API accepts, it can always give
back. Values are generated from the write models' own constraints (the length
bounds are read off the pydantic fields, so a changed limit changes the test),
derandomised and bounded, so a resource takes about a second.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import annotated_types
import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from shared.personal_data import refusal

T = TypeVar("T")
#: Examples per resource in the first round-trip tests; the later ones take ``FEW``.
EXAMPLES = 25
FEW = 15

#: Anything ``Text`` allows: every assigned or private character but controls and
#: surrogates, plus tab, line feed and carriage return.
_CHARACTER = st.one_of(
    st.characters(exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
    st.sampled_from("\t\n\r"),
)


def text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(_CHARACTER, min_size=min_size, max_size=max_size)


def _bounds(model: type[BaseModel], field: str) -> tuple[int, int]:
    info = model.model_fields[field]
    low, high = 0, None
    for constraint in info.metadata:
        if isinstance(constraint, annotated_types.MinLen):
            low = constraint.min_length
        elif isinstance(constraint, annotated_types.MaxLen):
            high = constraint.max_length
    assert high is not None, f"{model.__name__}.{field} has no maximum length"
    return low, high


def text_of(
    model: type[BaseModel], field: str, *, longest: int | None = None
) -> st.SearchStrategy[str]:
    """Free text within the bounds ``model`` declares for ``field``.

    ``longest`` caps the generated length below the model's maximum where a long
    text only slows the test down (the maximum itself is still reached by
    :func:`edge_text_of`).
    """
    low, high = _bounds(model, field)
    return text(max(low, 0), min(high, longest) if longest else high)


def edge_text_of(model: type[BaseModel], field: str) -> st.SearchStrategy[str]:
    """Free text for ``field`` of any length, its exact minimum and maximum included."""
    low, high = _bounds(model, field)
    return st.one_of(
        text(max(low, 0), min(high, 200)), text(high, high), text(max(low, 1), max(low, 1))
    )


def about_no_one(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Texts the personal-data detector lets through.

    A field that must be about no one in person refuses a text that looks like a
    date of birth, a phone or an identifying number (a 422 by the domain rule);
    generated digits can look like one, so the strategy keeps only what a caller
    may write.
    """
    return strategy.filter(lambda value: refusal(value) is None)


def examples(strategy: st.SearchStrategy[T], count: int = EXAMPLES) -> list[T]:
    """``count`` values of ``strategy``, the same on every run."""
    found: list[T] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(value: T) -> None:
        found.append(value)

    collect()
    return found[:count]


async def round_trip(
    client: httpx.AsyncClient,
    writes: list[tuple[str, str, dict[str, Any]]],
    headers: dict[str, str],
    location: Callable[[str, httpx.Response], str],
    same: Callable[[dict[str, Any], dict[str, Any], Any], None],
    *,
    refusable: bool = False,
) -> int:
    """Send each write; every accepted one must read back with 200 and ``same`` values.

    Unless ``refusable`` (the generator goes past a limit on purpose), each
    generated write is valid and must be accepted.
    """
    accepted = 0
    for method, path, body in writes:
        written = await client.request(method, path, json=body, headers=headers)
        allowed = (200, 201, 422) if refusable else (200, 201)
        assert written.status_code in allowed, (body, written.text[:500])
        if written.status_code == 422:
            continue
        accepted += 1
        read = await client.get(location(path, written), headers=headers)
        assert read.status_code == 200, (body, read.text[:500])
        same(body, written.json(), read.json())
    return accepted


def assert_sent(
    sent: Any,
    read: Any,
    *,
    at: str = "",
    numbers: Collection[str] = (),
    instants: Collection[str] = (),
    sets: Collection[str] = (),
) -> None:
    """Every property ``sent`` reads back equal, after the documented normalisation.

    Properties the caller left out are not compared (their defaults are the
    service's). ``numbers`` are exact decimals compared by value ("1.5" is
    "1.50"), ``instants`` RFC 3339 times compared as instants (an offset reads
    back as UTC), ``sets`` lists whose repeats are dropped and order kept.
    """
    name = at.rsplit(".", 1)[-1].split("[", 1)[0]
    if isinstance(sent, Mapping):
        assert isinstance(read, Mapping), at
        for key, value in sent.items():
            assert key in read, f"{at}.{key} is not read back"
            assert_sent(
                value, read[key], at=f"{at}.{key}", numbers=numbers, instants=instants, sets=sets
            )
    elif isinstance(sent, list):
        expected = list(dict.fromkeys(sent)) if name in sets else sent
        assert isinstance(read, list) and len(read) == len(expected), (at, expected, read)
        for index, (one, other) in enumerate(zip(expected, read, strict=True)):
            assert_sent(
                one, other, at=f"{at}[{index}]", numbers=numbers, instants=instants, sets=sets
            )
    elif name in numbers and sent is not None:
        assert read is not None and Decimal(str(read)) == Decimal(str(sent)), (at, sent, read)
    elif name in instants and sent is not None:
        assert datetime.fromisoformat(read) == datetime.fromisoformat(sent), (at, sent, read)
    else:
        assert read == sent, (at, sent, read)


def cents(low: str, high: str) -> st.SearchStrategy[str]:
    """Euro amounts in whole cents, as the decimal strings the money fields take."""
    return st.decimals(Decimal(low), Decimal(high), places=2).map(str)


def path_of(location: str) -> str:
    """The path of a ``Location`` (services name their resources by absolute URL)."""
    return "/v1" + location.split("/v1", 1)[1]


def int_bounds(model: type[BaseModel], field: str) -> tuple[int, int]:
    """The inclusive bounds ``model`` declares for the whole number ``field``."""
    low = high = None
    for constraint in model.model_fields[field].metadata:
        if isinstance(constraint, annotated_types.Ge):
            low = int(constraint.ge)  # type: ignore[call-overload]
        elif isinstance(constraint, annotated_types.Le):
            high = int(constraint.le)  # type: ignore[call-overload]
    assert low is not None and high is not None, f"{model.__name__}.{field} is unbounded"
    return low, high
