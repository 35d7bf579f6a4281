"""Bodies of the model routes. Secrets go in (`api_key`, write-only) and never come out:
responses carry only `api_key_env` (a variable's name) and `has_api_key`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from parley.api.schemas.identity import Input
from parley.application.models.fields import ModelFields
from parley.domain.models import ModelConfig, ModelSource, Timeouts
from parley.domain.users import Tier

ModelName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:/-]{1,100}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")]
Price = Annotated[Decimal, Field(ge=0, le=1_000_000, allow_inf_nan=False)]
Seconds = Annotated[float, Field(gt=0, le=24 * 3600)]
Secret = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
_DEFAULT_TIMEOUTS = Timeouts()


def _url(value: AnyHttpUrl | None) -> str | None:
    # Providers append their paths; keep "http://host:port", not "http://host:port/".
    return str(value).rstrip("/") if value is not None else None


class TimeoutsIn(Input):
    connect: Seconds = _DEFAULT_TIMEOUTS.connect
    first_token: Seconds = _DEFAULT_TIMEOUTS.first_token
    idle: Seconds = _DEFAULT_TIMEOUTS.idle
    total: Seconds = _DEFAULT_TIMEOUTS.total

    def value(self) -> Timeouts:
        return Timeouts(self.connect, self.first_token, self.idle, self.total)


class ModelConfigIn(Input):
    name: ModelName
    provider: Text
    upstream_model: Text
    base_url: AnyHttpUrl | None = None
    api_key_env: EnvName | None = None
    api_key: Secret | None = Field(default=None, description="Stored encrypted; never returned.")
    context_window: Annotated[int, Field(gt=0, le=100_000_000)] = 8192
    input_price_per_mtok: Price = Decimal(0)
    output_price_per_mtok: Price = Decimal(0)
    tiers: list[Tier] = Field(default_factory=lambda: list(Tier))
    fallbacks: Annotated[list[ModelName], Field(max_length=20)] = Field(default_factory=list)
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)
    timeouts: TimeoutsIn = Field(default_factory=TimeoutsIn)
    owned_by: Annotated[str, StringConstraints(min_length=1, max_length=100)] = "parley"

    def fields(self) -> ModelFields:
        return ModelFields(
            name=self.name,
            provider=self.provider,
            upstream_model=self.upstream_model,
            base_url=_url(self.base_url),
            api_key_env=self.api_key_env,
            context_window=self.context_window,
            input_price_per_mtok=self.input_price_per_mtok,
            output_price_per_mtok=self.output_price_per_mtok,
            tiers=tuple(self.tiers),
            fallbacks=tuple(self.fallbacks),
            enabled=self.enabled,
            params=self.params,
            timeouts=self.timeouts.value(),
            owned_by=self.owned_by,
        )


class ModelConfigPatchIn(Input):
    """Only the fields sent are changed. `api_key: null` removes a stored key. `name` is the
    public id and cannot change; unknown fields are ignored."""

    provider: Text | None = None
    upstream_model: Text | None = None
    base_url: AnyHttpUrl | None = None
    api_key_env: EnvName | None = None
    api_key: Secret | None = None
    context_window: Annotated[int, Field(gt=0, le=100_000_000)] | None = None
    input_price_per_mtok: Price | None = None
    output_price_per_mtok: Price | None = None
    tiers: list[Tier] | None = None
    fallbacks: Annotated[list[ModelName], Field(max_length=20)] | None = None
    enabled: bool | None = None
    params: dict[str, Any] | None = None
    timeouts: TimeoutsIn | None = None
    owned_by: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None

    # Fields where an explicit null means "clear"; for the rest null means "leave as is".
    NULLABLE: ClassVar[frozenset[str]] = frozenset({"base_url", "api_key_env"})

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in self.model_fields_set - {"api_key"}:
            value = getattr(self, name)
            if value is None and name not in self.NULLABLE:
                continue
            if name == "base_url":
                value = _url(value)
            elif name == "timeouts":
                value = value.value()
            changes[name] = value
        return changes


class TimeoutsOut(BaseModel):
    connect: float
    first_token: float
    idle: float
    total: float


class ModelConfigOut(BaseModel):
    id: UUID
    name: str
    provider: str
    upstream_model: str
    base_url: str | None
    api_key_env: str | None
    has_api_key: bool
    context_window: int
    input_price_per_mtok: float
    output_price_per_mtok: float
    tiers: list[Tier]
    fallbacks: list[str]
    enabled: bool
    params: dict[str, Any]
    timeouts: TimeoutsOut
    owned_by: str
    source: ModelSource
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, model: ModelConfig) -> ModelConfigOut:
        return cls(
            id=model.id,
            name=model.name,
            provider=model.provider,
            upstream_model=model.upstream_model,
            base_url=model.base_url,
            api_key_env=model.api_key_env,
            has_api_key=model.has_api_key,
            context_window=model.context_window,
            input_price_per_mtok=float(model.input_price_per_mtok),
            output_price_per_mtok=float(model.output_price_per_mtok),
            tiers=list(model.tiers),
            fallbacks=list(model.fallbacks),
            enabled=model.enabled,
            params=dict(model.params),
            timeouts=TimeoutsOut(
                connect=model.timeouts.connect,
                first_token=model.timeouts.first_token,
                idle=model.timeouts.idle,
                total=model.timeouts.total,
            ),
            owned_by=model.owned_by,
            source=model.source,
            created_at=model.created_at,
            updated_at=model.updated_at,
        )


class ModelConfigListOut(BaseModel):
    items: list[ModelConfigOut]
    next_cursor: str | None = None


class ModelOut(BaseModel):
    """OpenAI's model object, plus what a client needs to pick and budget a model."""

    model_config = ConfigDict(title="Model")

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    context_window: int
    input_price_per_mtok: float
    output_price_per_mtok: float

    @classmethod
    def of(cls, model: ModelConfig) -> ModelOut:
        return cls(
            id=model.name,
            created=int(model.created_at.timestamp()),
            owned_by=model.owned_by,
            context_window=model.context_window,
            input_price_per_mtok=float(model.input_price_per_mtok),
            output_price_per_mtok=float(model.output_price_per_mtok),
        )


class ModelListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]
