"""What the file routes return."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from parley.domain.files import StoredFile


class FileOut(BaseModel):
    id: UUID
    filename: str = Field(description="For display; sanitised, never a path.")
    content_type: str = Field(description="The type the bytes proved to be.")
    size: int
    sha256: str
    created_at: datetime

    @classmethod
    def of(cls, file: StoredFile) -> FileOut:
        return cls(
            id=file.id,
            filename=file.filename,
            content_type=file.content_type,
            size=file.size,
            sha256=file.sha256,
            created_at=file.created_at,
        )


class FileListOut(BaseModel):
    items: list[FileOut]
    next_cursor: str | None
