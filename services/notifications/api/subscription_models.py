"""Request and response bodies of ``/subscriptions``: the selection, its filters and sinks."""

from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from services.notifications.domain.routing import MINE, Filters
from services.notifications.domain.sinks import Sink
from services.notifications.domain.subscriptions import Subscription
from services.notifications.service_layer.commands import ChangeSubscription, CreateSubscription
from shared.contracts.vocabulary import (
    PROGRAMME_ID_PATTERN,
    CountryCode,
    FlagCategory,
    Severity,
    Theme,
)
from shared.http import UtcDateTime
from shared.http.models import ApiModel, InputModel, Text
from shared.http.shaping import built_from

OwnerValue = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9-]{1,31}$",
        description=f"An organisation code, or `{MINE}`: what the subscriber owns or is part of.",
        examples=[MINE],
    ),
]
ProgrammeIdValue = Annotated[str, Field(pattern=PROGRAMME_ID_PATTERN)]


class FiltersIn(InputModel):
    """Narrowing of the selected events; all given filters must hold, any listed value matches."""

    owning_organisation: list[OwnerValue] = Field(
        default_factory=list,
        max_length=20,
        description=(
            "Owning organisation codes; `mine` matches what the subscriber owns or takes part "
            "in (a ministry: including its agencies)."
        ),
    )
    country_code: list[CountryCode] = Field(default_factory=list, max_length=50)
    theme: list[Theme] = Field(default_factory=list, max_length=20)
    programme_id: list[ProgrammeIdValue] = Field(default_factory=list, max_length=50)
    flag_category: list[FlagCategory] = Field(default_factory=list, max_length=10)
    severity_at_least: Severity | None = Field(
        default=None, description="Only findings at least this severe (low < ... < critical)."
    )

    def domain(self) -> Filters:
        return Filters(
            owning_organisation=tuple(dict.fromkeys(self.owning_organisation)),
            country_code=tuple(dict.fromkeys(self.country_code)),
            theme=tuple(dict.fromkeys(t.value for t in self.theme)),
            programme_id=tuple(dict.fromkeys(self.programme_id)),
            flag_category=tuple(dict.fromkeys(c.value for c in self.flag_category)),
            severity_at_least=self.severity_at_least,
        )


class FiltersOut(ApiModel):
    owning_organisation: list[str] = Field(default_factory=list)
    country_code: list[str] = Field(default_factory=list)
    theme: list[str] = Field(default_factory=list)
    programme_id: list[str] = Field(default_factory=list)
    flag_category: list[str] = Field(default_factory=list)
    severity_at_least: Severity | None = None

    @classmethod
    def of(cls, filters: Filters) -> FiltersOut:
        return built_from(cls, filters)


_URL_FIELD = Field(
    default=None,
    max_length=2000,
    description="The webhook: https (http only for allow-listed local hosts). "
    "Required with the `webhook` sink, refused without it.",
    examples=["https://alerts.example.org/taskforce/webhooks"],
)
_SINKS_DESCRIPTION = (
    "Where matching events go, any non-empty set of: `webhook` (signed push to `url`), "
    "`inbox` (the organisation's inbox), `stream` (the CloudEvent, as on the domain topic, "
    "on the organisation's Kafka topic `taskforce.org.<code>.v1`, with header "
    "`taskforce-subscription-id`). Webhook and stream are pushes: none while paused."
)
_DESCRIPTION = Field(default="", max_length=200, description="What the subscription is for.")
_TYPES: list[str] = Field(
    default_factory=list,
    max_length=50,
    description="Event types, e.g. `nl.migratiesamenwerking.monitoring.programme-flagged`.",
)
_CHANNELS: list[str] = Field(
    default_factory=list,
    max_length=3,
    description="Whole domain topics: `countries`, `programmes`, `monitoring`.",
)


class SubscriptionIn(InputModel):
    """A new subscription of the caller's organisation."""

    url: Text | None = _URL_FIELD
    description: Text = _DESCRIPTION
    event_types: list[str] = _TYPES
    channels: list[str] = _CHANNELS
    filters: FiltersIn = Field(default_factory=FiltersIn)
    sinks: list[Sink] | None = Field(
        default=None,
        max_length=3,
        description=_SINKS_DESCRIPTION
        + " Left out: `webhook` and `inbox` with a url, `inbox` without.",
        examples=[["stream", "inbox"]],
    )
    secret: Text | None = Field(
        default=None,
        max_length=120,
        description="Optional signing secret (`whsec_` + base64 of 24-64 bytes); "
        "generated when left out. Either way it is shown only in this response.",
    )

    def command(self, organisation: str) -> CreateSubscription:
        return CreateSubscription(
            organisation=organisation,
            url=self.url,
            description=self.description,
            event_types=tuple(self.event_types),
            channels=tuple(self.channels),
            filters=self.filters.domain(),
            sinks=None if self.sinks is None else tuple(self.sinks),
            secret=self.secret,
        )


class SubscriptionPatch(InputModel):
    """Changes to a subscription: only the properties sent change.

    Sending `sinks` without `webhook` drops the url. Without `sinks`, a url keeps its
    old meaning: a new one adds the webhook sink, `url: null` removes it.
    """

    url: Text | None = _URL_FIELD
    description: Text | None = Field(default=None, max_length=200)
    event_types: list[str] | None = Field(default=None, max_length=50)
    channels: list[str] | None = Field(default=None, max_length=3)
    filters: FiltersIn | None = None
    sinks: list[Sink] | None = Field(default=None, max_length=3, description=_SINKS_DESCRIPTION)

    def command(self, subscription_id: uuid.UUID, organisation: str) -> ChangeSubscription:
        return ChangeSubscription(
            subscription_id=subscription_id,
            organisation=organisation,
            url_sent="url" in self.model_fields_set,
            url=self.url,
            description=self.description,
            event_types=None if self.event_types is None else tuple(self.event_types),
            channels=None if self.channels is None else tuple(self.channels),
            filters=None if self.filters is None else self.filters.domain(),
            sinks=None if self.sinks is None else tuple(self.sinks),
        )


class SubscriptionOut(ApiModel):
    subscription_id: uuid.UUID
    organisation: str
    url: str | None
    description: str
    event_types: list[str]
    channels: list[str]
    filters: FiltersOut
    sinks: list[Sink] = Field(description=_SINKS_DESCRIPTION)
    status: str = Field(description="`active`, `paused` or `disabled` (the receiver said 410).")
    status_reason: str | None = None
    verified_at: UtcDateTime | None = None
    previous_secret_valid_until: UtcDateTime | None = Field(
        default=None, description="After a rotation: until when the old secret also signs."
    )
    created_at: UtcDateTime
    updated_at: UtcDateTime

    @classmethod
    def of(cls, subscription: Subscription) -> SubscriptionOut:
        previous = bool(subscription.previous_secret)
        return built_from(
            cls,
            subscription.selection,
            subscription,
            filters=FiltersOut.of(subscription.selection.filters),
            previous_secret_valid_until=subscription.previous_secret_until if previous else None,
        )


class SubscriptionCreated(SubscriptionOut):
    secret: str | None = Field(
        default=None,
        description="The signing secret. Shown only now: store it where the receiver can read it.",
    )

    @classmethod
    def shown(cls, subscription: Subscription, secret: str | None) -> SubscriptionCreated:
        """The new subscription with its secret in clear (never the sealed one it holds)."""
        return built_from(cls, SubscriptionOut.of(subscription), secret=secret)


class SecretOut(ApiModel):
    subscription_id: uuid.UUID
    secret: str = Field(description="The new signing secret, shown only now.")
    previous_secret_valid_until: UtcDateTime = Field(
        description="Until then deliveries carry signatures with both the new and the old secret."
    )
