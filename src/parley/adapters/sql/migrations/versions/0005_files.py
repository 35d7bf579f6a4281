"""Uploaded files (metadata; the bytes live in the blob store) and their extracted text.

Revision ID: 0005_files
Revises: 0004_tools
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from parley.adapters.sql.types import UTCDateTime

revision: str = "0005_files"
down_revision: str | Sequence[str] | None = "0004_tools"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_files_user_id_users"),
            nullable=False,
        ),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_files_user_id_created_at_id", "files", ["user_id", "created_at", "id"])
    op.create_table(
        "file_texts",
        sa.Column(
            "file_id",
            sa.Uuid(),
            sa.ForeignKey("files.id", ondelete="CASCADE", name="fk_file_texts_file_id_files"),
            primary_key=True,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("file_texts")
    op.drop_index("ix_files_user_id_created_at_id", table_name="files")
    op.drop_table("files")
