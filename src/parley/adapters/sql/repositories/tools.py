"""Tool definitions in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.tables import tool_definitions
from parley.domain.errors import ToolNameTaken
from parley.domain.tools import ToolDefinition, ToolKind
from parley.domain.users import Tier


def _values(definition: ToolDefinition) -> dict[str, Any]:
    """Every column but `id`, `name`, `kind` and `created_at`."""
    return {
        "description": definition.description,
        "parameters": dict(definition.parameters),
        "tiers": [tier.value for tier in definition.tiers],
        "enabled": definition.enabled,
        "url": definition.url,
        "method": definition.method,
        "headers": dict(definition.headers),
        "header_envs": dict(definition.header_envs),
        "secret_headers_encrypted": definition.secret_headers_encrypted,
        "timeout_seconds": definition.timeout_seconds,
        "max_response_bytes": definition.max_response_bytes,
        "allowed_hosts": list(definition.allowed_hosts),
        "updated_at": definition.updated_at,
    }


def _from_row(row: Row[Any]) -> ToolDefinition:
    return ToolDefinition(
        id=row.id,
        name=row.name,
        kind=ToolKind(row.kind),
        description=row.description,
        parameters=dict(row.parameters),
        tiers=[Tier(tier) for tier in row.tiers],
        enabled=row.enabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
        url=row.url,
        method=row.method,
        headers=dict(row.headers),
        header_envs=dict(row.header_envs),
        secret_headers_encrypted=row.secret_headers_encrypted,
        timeout_seconds=row.timeout_seconds,
        max_response_bytes=row.max_response_bytes,
        allowed_hosts=list(row.allowed_hosts),
    )


class SqlToolDefinitionRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, definition: ToolDefinition) -> None:
        statement = insert(tool_definitions).values(
            id=definition.id,
            name=definition.name,
            kind=definition.kind.value,
            created_at=definition.created_at,
            **_values(definition),
        )
        try:
            await self._sql.execute(statement)
        except IntegrityError as error:
            # The name is the only unique column a caller can collide on.
            raise ToolNameTaken(f"A tool named {definition.name!r} already exists.") from error

    async def get_by_name(self, name: str) -> ToolDefinition | None:
        query = select(tool_definitions).where(tool_definitions.c.name == name)
        row = (await self._sql.execute(query)).first()
        return _from_row(row) if row else None

    async def list_all(self) -> Sequence[ToolDefinition]:
        query = select(tool_definitions).order_by(tool_definitions.c.name)
        return [_from_row(row) for row in await self._sql.execute(query)]

    async def update(self, definition: ToolDefinition) -> None:
        statement = (
            update(tool_definitions)
            .where(tool_definitions.c.id == definition.id)
            .values(**_values(definition))
        )
        await self._sql.execute(statement)

    async def delete(self, definition_id: UUID) -> None:
        await self._sql.execute(
            delete(tool_definitions).where(tool_definitions.c.id == definition_id)
        )
