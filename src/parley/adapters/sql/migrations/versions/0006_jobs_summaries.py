"""Background jobs (the table is the queue) and conversation summaries.

Revision ID: 0006_jobs_summaries
Revises: 0005_files
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from parley.adapters.sql.types import ExactDecimal, UTCDateTime

revision: str = "0006_jobs_summaries"
down_revision: str | Sequence[str] | None = "0005_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_jobs_user_id_users"),
        ),
        sa.Column("dedupe_key", sa.String(200)),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", UTCDateTime(), nullable=False),
        sa.Column("locked_by", sa.String(100)),
        sa.Column("locked_until", UTCDateTime()),
        sa.Column("result", JSON),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime()),
    )
    op.create_index("ix_jobs_status_run_at", "jobs", ["status", "run_at"])
    op.create_index("ix_jobs_status_locked_until", "jobs", ["status", "locked_until"])
    op.create_index("ix_jobs_kind_dedupe_key_status", "jobs", ["kind", "dedupe_key", "status"])
    op.create_table(
        "summaries",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Uuid(),
            sa.ForeignKey(
                "conversations.id",
                ondelete="CASCADE",
                name="fk_summaries_conversation_id_conversations",
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("covers_until_message_id", sa.Uuid(), nullable=False),
        sa.Column("covers_until_at", UTCDateTime(), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("usage_estimated", sa.Boolean(), nullable=False),
        sa.Column("cost", ExactDecimal(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_summaries_conversation_id_created_at",
        "summaries",
        ["conversation_id", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_summaries_conversation_id_created_at", table_name="summaries")
    op.drop_table("summaries")
    op.drop_index("ix_jobs_kind_dedupe_key_status", table_name="jobs")
    op.drop_index("ix_jobs_status_locked_until", table_name="jobs")
    op.drop_index("ix_jobs_status_run_at", table_name="jobs")
    op.drop_table("jobs")
