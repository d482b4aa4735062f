"""Models that show domain objects field for field, built by name.

A response (or an event) and the domain object it shows mostly share their
field names: ``ResultOut.period_start`` is ``IndicatorResult.period_start``.
Listing each field twice (``period_start=result.period_start``) in every
response says nothing a reader needs and lets a new field be forgotten
silently, so such a model is built from its sources' same-named attributes,
and the code states only what it adds or shows otherwise (withheld texts, a
state in other words, a link).

The copy goes by the model's own field names and is validated like any
construction: a field that no source has and no value gives is missing (a
validation error), and a source's attribute that the model has no field for is
never copied, so a model shows no more than it declares.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


def built_from(model: type[M], *sources: object, **values: Any) -> M:
    """``model`` with each field from the last of ``sources`` that has it, then ``values``.

    ``model`` must accept its fields by name (``populate_by_name``, as
    ``shared.http.models.ApiModel`` and the event catalogue's models do).
    """
    data: dict[str, Any] = {}
    for source in sources:
        for name in model.model_fields:
            if hasattr(source, name):
                data[name] = getattr(source, name)
    data.update(values)
    return model.model_validate(data)
