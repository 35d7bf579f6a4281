"""Model configurations in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.tables import model_configs
from parley.domain.errors import ModelNameTaken
from parley.domain.models import ModelConfig, ModelSource, Timeouts
from parley.domain.users import Tier


def _values(model: ModelConfig) -> dict[str, Any]:
    """Every column but `id` and `created_at`."""
    return {
        "name": model.name,
        "provider": model.provider,
        "upstream_model": model.upstream_model,
        "base_url": model.base_url,
        "api_key_env": model.api_key_env,
        "api_key_encrypted": model.api_key_encrypted,
        "context_window": model.context_window,
        "input_price_per_mtok": model.input_price_per_mtok,
        "output_price_per_mtok": model.output_price_per_mtok,
        "tiers": [tier.value for tier in model.tiers],
        "fallbacks": list(model.fallbacks),
        "enabled": model.enabled,
        "params": dict(model.params),
        "timeout_connect_seconds": model.timeouts.connect,
        "timeout_first_token_seconds": model.timeouts.first_token,
        "timeout_idle_seconds": model.timeouts.idle,
        "timeout_total_seconds": model.timeouts.total,
        "owned_by": model.owned_by,
        "source": model.source.value,
        "updated_at": model.updated_at,
    }


def _from_row(row: Row[Any]) -> ModelConfig:
    return ModelConfig(
        id=row.id,
        name=row.name,
        provider=row.provider,
        upstream_model=row.upstream_model,
        context_window=row.context_window,
        input_price_per_mtok=row.input_price_per_mtok,
        output_price_per_mtok=row.output_price_per_mtok,
        tiers=[Tier(tier) for tier in row.tiers],
        fallbacks=list(row.fallbacks),
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        base_url=row.base_url,
        api_key_env=row.api_key_env,
        api_key_encrypted=row.api_key_encrypted,
        params=dict(row.params),
        timeouts=Timeouts(
            connect=row.timeout_connect_seconds,
            first_token=row.timeout_first_token_seconds,
            idle=row.timeout_idle_seconds,
            total=row.timeout_total_seconds,
        ),
        owned_by=row.owned_by,
        source=ModelSource(row.source),
    )


class SqlModelConfigRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, model: ModelConfig) -> None:
        statement = insert(model_configs).values(
            id=model.id, created_at=model.created_at, **_values(model)
        )
        try:
            await self._sql.execute(statement)
        except IntegrityError as error:
            # The name is the only unique column a caller can collide on.
            raise ModelNameTaken(f"A model named {model.name!r} already exists.") from error

    async def get(self, model_id: UUID) -> ModelConfig | None:
        query = select(model_configs).where(model_configs.c.id == model_id)
        row = (await self._sql.execute(query)).first()
        return _from_row(row) if row else None

    async def get_by_name(self, name: str) -> ModelConfig | None:
        query = select(model_configs).where(model_configs.c.name == name)
        row = (await self._sql.execute(query)).first()
        return _from_row(row) if row else None

    async def list_all(self) -> Sequence[ModelConfig]:
        query = select(model_configs).order_by(model_configs.c.name)
        return [_from_row(row) for row in await self._sql.execute(query)]

    async def update(self, model: ModelConfig) -> None:
        statement = (
            update(model_configs).where(model_configs.c.id == model.id).values(**_values(model))
        )
        try:
            await self._sql.execute(statement)
        except IntegrityError as error:
            raise ModelNameTaken(f"A model named {model.name!r} already exists.") from error

    async def delete(self, model_id: UUID) -> None:
        await self._sql.execute(delete(model_configs).where(model_configs.c.id == model_id))
