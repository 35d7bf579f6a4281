"""The models file (`PARLEY_MODELS_FILE`): YAML or TOML, by extension.

models:
  - name: local-llama
    provider: ollama
    upstream_model: llama3.2
    base_url: http://127.0.0.1:11434
    tiers: [free, pro, enterprise]
    fallbacks: [echo]
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from parley.application.models.configured import ConfiguredModel
from parley.application.models.fields import ModelFields
from parley.domain.models import ModelSource, Timeouts
from parley.domain.users import Tier

PositiveSeconds = Annotated[float, Field(gt=0, le=24 * 3600)]
_DEFAULT_TIMEOUTS = Timeouts()


class ModelsFileError(ValueError):
    """The models file cannot be read or has an invalid entry; the message says where."""


class _Timeouts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connect: PositiveSeconds = _DEFAULT_TIMEOUTS.connect
    first_token: PositiveSeconds = _DEFAULT_TIMEOUTS.first_token
    idle: PositiveSeconds = _DEFAULT_TIMEOUTS.idle
    total: PositiveSeconds = _DEFAULT_TIMEOUTS.total


class _Entry(BaseModel):
    # A misspelt key in an operator's file is a mistake to report, not to ignore.
    model_config = ConfigDict(extra="forbid")

    name: str
    provider: str
    upstream_model: str
    base_url: str | None = None
    api_key_env: str | None = None
    context_window: int = 8192
    input_price_per_mtok: Decimal = Decimal(0)
    output_price_per_mtok: Decimal = Decimal(0)
    tiers: list[Tier] = Field(default_factory=lambda: list(Tier))
    fallbacks: list[str] = Field(default_factory=list)
    enabled: bool = True
    params: dict[str, Any] = Field(default_factory=dict)
    timeouts: _Timeouts = Field(default_factory=_Timeouts)
    owned_by: str = "parley"

    def fields(self) -> ModelFields:
        return ModelFields(
            name=self.name,
            provider=self.provider,
            upstream_model=self.upstream_model,
            base_url=self.base_url,
            api_key_env=self.api_key_env,
            context_window=self.context_window,
            input_price_per_mtok=self.input_price_per_mtok,
            output_price_per_mtok=self.output_price_per_mtok,
            tiers=tuple(self.tiers),
            fallbacks=tuple(self.fallbacks),
            enabled=self.enabled,
            params=self.params,
            timeouts=Timeouts(**self.timeouts.model_dump()),
            owned_by=self.owned_by,
        )


def _parse(path: Path) -> Any:
    text = path.read_text("utf-8")
    suffix = path.suffix.lower()
    if suffix in {".yaml", ".yml"}:
        return yaml.safe_load(text)
    if suffix == ".toml":
        return tomllib.loads(text)
    raise ModelsFileError(f"Models file {path}: use a .yaml, .yml or .toml file.")


def _describe(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'entry'}: {item['msg']}"
        for item in error.errors()
    )


def load_models_file(path: Path) -> list[ConfiguredModel]:
    """Every entry of the file, shape-checked (the business rules are checked when the
    entries are registered). Raises `ModelsFileError` naming the file and the entry."""
    try:
        document = _parse(path)
    except OSError as error:
        raise ModelsFileError(f"Models file {path} cannot be read: {error.strerror}.") from error
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        raise ModelsFileError(f"Models file {path} is not valid: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("models"), list):
        raise ModelsFileError(f"Models file {path}: expected a top-level `models` list.")
    declared: list[ConfiguredModel] = []
    names: set[str] = set()
    for index, raw in enumerate(document["models"], start=1):
        label = f"models file {path}, entry {index}"
        if isinstance(raw, dict) and isinstance(raw.get("name"), str):
            label += f" ({raw['name']!r})"
        try:
            entry = _Entry.model_validate(raw)
        except ValidationError as error:
            raise ModelsFileError(f"{label[0].upper()}{label[1:]}: {_describe(error)}") from error
        if entry.name in names:
            raise ModelsFileError(f"Models file {path}: the name {entry.name!r} appears twice.")
        names.add(entry.name)
        declared.append(ConfiguredModel(entry.fields(), ModelSource.FILE, label))
    return declared
