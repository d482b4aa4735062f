"""Need-to-know text: free text that may concern people goes only to those who need it.

The design's trust rule: free text that may concern people (incident summaries,
evaluation summaries, risk items' descriptions and mitigations, review rationales,
qualitative results and comments) is read by the object's owner, its participating
organisations and the taskforce secretariat (``tf-secretariaat``), and by the
organisation that wrote it. Everyone else, and every token that carries none of
the service's scopes, sees the structured facts only: the text is ``null`` and the
object's ``withheld`` list names it, so a client can tell "withheld" from "empty".

Who counts as owner and participant is the service's call (an :class:`Audience`
per object); this module holds the rule that is the same everywhere, and notes each
object whose text a request handed out for the audit trail
(:func:`shared.audit_marks.mark_sensitive_read`), naming the object, never the text.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import Depends, Request
from pydantic import Field
from pydantic.alias_generators import to_camel

from shared.audit_marks import mark_sensitive_read
from shared.http.auth import Caller, authenticated_caller

SECRETARIAT: Final = "tf-secretariaat"
#: OpenAPI extension on every need-to-know property (a schema keyword, so tools can find them).
EXTENSION: Final = "x-need-to-know"


@dataclass(frozen=True)
class Audience:
    """The organisations that may read one object's need-to-know text."""

    organisations: frozenset[str]

    @classmethod
    def of(cls, *groups: str | Iterable[str] | None) -> Audience:
        """The organisations in ``groups`` (codes or collections of codes), and the secretariat.

        The secretariat coordinates the taskforce's adaptive management across
        ministries, so it is in every audience.
        """
        codes = {SECRETARIAT}
        for group in groups:
            if group is None:
                continue
            codes.update([group] if isinstance(group, str) else group)
        return cls(frozenset(codes))


@dataclass(frozen=True)
class NeedToKnow:
    """One request's caller, judged against objects' audiences.

    A token must carry a scope of this service (``<service>:read``, ``:write``, ...):
    a token without scopes, or one issued for another service, authenticates its
    organisation for the structured facts but is not trusted with the texts.
    """

    caller: Caller
    service: str
    scope: MutableMapping[str, Any]

    @property
    def scoped(self) -> bool:
        prefix = f"{self.service}:"
        return any(s.startswith(prefix) for s in self.caller.scopes)

    def admits(self, audience: Audience) -> bool:
        return self.scoped and self.caller.organisation in audience.organisations

    def reveal(self, audience: Audience, object_ref: str, *texts: object) -> bool:
        """Whether the caller may read the object's texts; a read is noted when any is given.

        ``object_ref`` names the object (``"incident/<uuid>"``), never its content.
        """
        admitted = self.admits(audience)
        if admitted and any(t is not None for t in texts):
            self.note(object_ref)
        return admitted

    def note(self, object_ref: str) -> None:
        """Note for the audit trail that this request handed out ``object_ref``'s text."""
        mark_sensitive_read(self.scope, object_ref)


def withhold(admitted: bool, **texts: Any) -> tuple[dict[str, Any], list[str]]:
    """The texts as they may be shown, and the camelCase names of those withheld.

    Withheld from a caller who may not read them, each is named, also one that is
    empty: whether there is a comment at all is not for that caller to learn.
    """
    if admitted:
        return dict(texts), []
    return {name: None for name in texts}, [to_camel(name) for name in texts]


def need_to_know_reader(service: str) -> Callable[..., Awaitable[NeedToKnow]]:
    """A dependency: the authenticated caller as a :class:`NeedToKnow` of ``service``."""

    async def reader(
        request: Request, caller: Annotated[Caller, Depends(authenticated_caller)]
    ) -> NeedToKnow:
        return NeedToKnow(caller=caller, service=service, scope=request.scope)

    return reader


def need_to_know_text(description: str, readers: str) -> Any:
    """A response property holding need-to-know text, documented as such in OpenAPI."""
    return Field(
        default=None,
        description=f"{description} Need-to-know: only {readers} and the taskforce secretariat "
        "read it, with a token carrying a scope of this service; for everyone else it is "
        "null and named in `withheld`.",
        json_schema_extra={EXTENSION: True},
    )


def withheld_field(*names: str) -> Any:
    """The ``withheld`` property: which of ``names`` (camelCase) this response left out."""
    return Field(
        default_factory=list,
        description="The need-to-know properties of this object that were withheld (null) "
        "because the caller is not among their readers; empty when none was, so that a "
        "null text that is named here is withheld and one that is not is empty.",
        json_schema_extra={"uniqueItems": True, "items": {"type": "string", "enum": list(names)}},
    )
