"""Ownership of files: anyone else's file is indistinguishable from a missing one."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from parley.application.ports.unit_of_work import UnitOfWork
from parley.domain.errors import NotFound
from parley.domain.files import StoredFile


class FileNotFound(NotFound):
    detail = "File not found."


class FileAccess:
    @staticmethod
    async def owned(uow: UnitOfWork, user_id: UUID, file_id: UUID) -> StoredFile:
        """Raises `NotFound` unless the file exists and belongs to `user_id`."""
        file = await uow.files.get(file_id)
        if file is None or file.user_id != user_id:
            raise FileNotFound()
        return file

    @staticmethod
    async def require_owned(uow: UnitOfWork, user_id: UUID, file_ids: Collection[UUID]) -> None:
        """Raises `NotFound` (naming the first offending id) unless every one of `file_ids`
        exists and belongs to `user_id`: for `file_ids` in messages and chat requests."""
        if not file_ids:
            return
        owned = {file.id for file in await uow.files.many(file_ids) if file.user_id == user_id}
        for file_id in file_ids:
            if file_id not in owned:
                raise FileNotFound(f"File {file_id} not found.")
