"""Models the operator configured outside the admin API: the built-in echo model, providers
found in the environment, and the models file. Registered (upserted by name) at startup."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from parley.application.models.catalog import ModelCatalog
from parley.application.models.fields import ModelFields, apply_fields, field_errors, fields_of
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.domain.errors import ModelNameTaken, ValidationFailed
from parley.domain.models import ModelConfig, ModelSource
from parley.domain.users import Tier

PAID_TIERS = (Tier.PRO, Tier.ENTERPRISE)


@dataclass(frozen=True, slots=True)
class ConfiguredModel:
    """One declared model and where it was declared (`origin`, for error messages)."""

    fields: ModelFields
    source: ModelSource
    origin: str


ECHO_MODEL = ConfiguredModel(
    ModelFields(name="echo", provider="echo", upstream_model="echo", context_window=8192),
    ModelSource.ENV,
    "the built-in echo model",
)


def models_from_environment(
    environ: Mapping[str, str], ollama_models: Sequence[str]
) -> list[ConfiguredModel]:
    """The built-in echo model, plus a few well-known models of each provider whose
    credentials (or address, for Ollama) the environment holds. Secrets stay in the
    environment: the configs only name the variable."""
    found = [ECHO_MODEL]
    if environ.get("OPENAI_API_KEY", "").strip():
        origin = "the environment (OPENAI_API_KEY)"
        base_url = environ.get("OPENAI_BASE_URL", "").strip() or "https://api.openai.com/v1"
        for name, tiers, input_price, output_price in (
            ("gpt-4o-mini", tuple(Tier), "0.15", "0.60"),
            ("gpt-4o", PAID_TIERS, "2.50", "10.00"),
        ):
            fields = ModelFields(
                name=name,
                provider="openai",
                upstream_model=name,
                base_url=base_url,
                api_key_env="OPENAI_API_KEY",
                context_window=128_000,
                input_price_per_mtok=Decimal(input_price),
                output_price_per_mtok=Decimal(output_price),
                tiers=tiers,
                owned_by="openai",
            )
            found.append(ConfiguredModel(fields, ModelSource.ENV, origin))
    if environ.get("ANTHROPIC_API_KEY", "").strip():
        fields = ModelFields(
            name="claude-sonnet-4",
            provider="anthropic",
            upstream_model="claude-sonnet-4-20250514",
            base_url="https://api.anthropic.com",
            api_key_env="ANTHROPIC_API_KEY",
            context_window=200_000,
            tiers=PAID_TIERS,
            input_price_per_mtok=Decimal("3.00"),
            output_price_per_mtok=Decimal("15.00"),
            owned_by="anthropic",
        )
        found.append(
            ConfiguredModel(fields, ModelSource.ENV, "the environment (ANTHROPIC_API_KEY)")
        )
    ollama_url = environ.get("OLLAMA_BASE_URL", "").strip()
    if ollama_url:
        for upstream in ollama_models:
            fields = ModelFields(
                name=f"ollama/{upstream}",
                provider="ollama",
                upstream_model=upstream,
                base_url=ollama_url,
                owned_by="ollama",
            )
            found.append(
                ConfiguredModel(fields, ModelSource.ENV, "the environment (OLLAMA_BASE_URL)")
            )
    return found


@dataclass(slots=True)
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)
    kept_admin: list[str] = field(default_factory=list)


def merge_declarations(*groups: Sequence[ConfiguredModel]) -> list[ConfiguredModel]:
    """Later groups override earlier ones by name (the models file over the environment)."""
    merged: dict[str, ConfiguredModel] = {}
    for group in groups:
        for declared in group:
            merged[declared.fields.name] = declared
    return list(merged.values())


class SyncConfiguredModels:
    """Upserts the declared env/file configs by name. Never touches a config an admin made or
    edited (source `admin`); disables env/file configs that are no longer declared (their
    history stays). Raises `ValidationFailed` naming the declaration that breaks a rule.
    Safe when several replicas start at once."""

    ATTEMPTS = 3

    def __init__(self, uow_factory: UnitOfWorkFactory, catalog: ModelCatalog, clock: Clock) -> None:
        self._uow_factory = uow_factory
        self._catalog = catalog
        self._clock = clock

    async def __call__(self, declared: Sequence[ConfiguredModel]) -> SyncReport:
        for attempt in range(self.ATTEMPTS):
            try:
                report = await self._sync(declared)
                break
            except ModelNameTaken:  # another replica inserted the same name first: re-read
                if attempt == self.ATTEMPTS - 1:
                    raise
        await self._catalog.invalidate()
        return report

    async def _sync(self, declared: Sequence[ConfiguredModel]) -> SyncReport:
        report = SyncReport()
        now = self._clock.now()
        async with self._uow_factory() as uow:
            existing = {model.name: model for model in await uow.models.list_all()}
            known = set(existing) | {item.fields.name for item in declared}
            for item in declared:
                errors = field_errors(item.fields, known)
                if errors:
                    reasons = "; ".join(f"{e.loc[-1]}: {e.message}" for e in errors)
                    raise ValidationFailed(
                        errors, f"Model {item.fields.name!r} from {item.origin}: {reasons}"
                    )
                await self._upsert(uow, existing.get(item.fields.name), item, now, report)
            names = {item.fields.name for item in declared}
            for model in existing.values():
                stale = model.source is not ModelSource.ADMIN and model.name not in names
                if stale and model.enabled:
                    model.enabled = False
                    model.updated_at = now
                    await uow.models.update(model)
                    report.disabled.append(model.name)
            await uow.commit()
        return report

    async def _upsert(
        self,
        uow: UnitOfWork,
        current: ModelConfig | None,
        item: ConfiguredModel,
        now: datetime,
        report: SyncReport,
    ) -> None:
        if current is None:
            model = ModelConfig(
                id=uuid.uuid4(),
                name=item.fields.name,
                provider=item.fields.provider,
                upstream_model=item.fields.upstream_model,
                context_window=item.fields.context_window,
                input_price_per_mtok=item.fields.input_price_per_mtok,
                output_price_per_mtok=item.fields.output_price_per_mtok,
                tiers=[],
                fallbacks=[],
                enabled=True,
                created_at=now,
                updated_at=now,
                source=item.source,
            )
            apply_fields(model, item.fields)
            await uow.models.add(model)
            report.created.append(model.name)
            return
        if current.source is ModelSource.ADMIN:
            report.kept_admin.append(current.name)
            return
        unchanged = fields_of(current) == item.fields and current.api_key_encrypted is None
        if unchanged and current.source is item.source:
            return
        apply_fields(current, item.fields)
        current.api_key_encrypted = None
        current.source = item.source
        current.updated_at = now
        await uow.models.update(current)
        report.updated.append(current.name)
