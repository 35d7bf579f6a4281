"""Files and their extracted text in SQL."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Row, delete, func, insert, select, tuple_

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.tables import file_texts, files
from parley.application.pagination import Keyset
from parley.domain.files import FileText, StoredFile


def _file_from_row(row: Row[Any]) -> StoredFile:
    return StoredFile(
        id=row.id,
        user_id=row.user_id,
        filename=row.filename,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        created_at=row.created_at,
    )


class SqlFileRepository:
    def __init__(self, sql: SqlExecutor) -> None:
        self._sql = sql

    async def add(self, file: StoredFile, text: FileText | None) -> None:
        await self._sql.execute(
            insert(files).values(
                id=file.id,
                user_id=file.user_id,
                filename=file.filename,
                content_type=file.content_type,
                size=file.size,
                sha256=file.sha256,
                created_at=file.created_at,
            )
        )
        if text is not None:
            await self._sql.execute(
                insert(file_texts).values(file_id=file.id, text=text.text, truncated=text.truncated)
            )

    async def get(self, file_id: UUID) -> StoredFile | None:
        row = (await self._sql.execute(select(files).where(files.c.id == file_id))).first()
        return _file_from_row(row) if row else None

    async def many(self, file_ids: Collection[UUID]) -> Sequence[StoredFile]:
        if not file_ids:
            return []
        query = select(files).where(files.c.id.in_(list(file_ids)))
        return [_file_from_row(row) for row in await self._sql.execute(query)]

    async def texts(self, file_ids: Collection[UUID]) -> Mapping[UUID, FileText]:
        if not file_ids:
            return {}
        query = select(file_texts).where(file_texts.c.file_id.in_(list(file_ids)))
        return {
            row.file_id: FileText(row.file_id, row.text, bool(row.truncated))
            for row in await self._sql.execute(query)
        }

    async def newest_first(
        self, user_id: UUID, limit: int, after: Keyset | None = None
    ) -> Sequence[StoredFile]:
        statement = select(files).where(files.c.user_id == user_id)
        if after is not None:
            statement = statement.where(
                tuple_(files.c.created_at, files.c.id) < tuple_(after.at, after.id)
            )
        statement = statement.order_by(files.c.created_at.desc(), files.c.id.desc()).limit(limit)
        return [_file_from_row(row) for row in await self._sql.execute(statement)]

    async def bytes_used(self, user_id: UUID) -> int:
        query = select(func.coalesce(func.sum(files.c.size), 0)).where(files.c.user_id == user_id)
        return int((await self._sql.execute(query)).scalar_one())

    async def delete(self, file_id: UUID) -> None:
        # Explicit rather than left to ON DELETE CASCADE, which SQLite honours only with
        # foreign keys enabled.
        await self._sql.execute(delete(file_texts).where(file_texts.c.file_id == file_id))
        await self._sql.execute(delete(files).where(files.c.id == file_id))
