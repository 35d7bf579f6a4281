"""Usage logs, daily roll-ups, and per-user / per-key limit overrides.

Revision ID: 0007_usage_limits
Revises: 0006_jobs_summaries
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from parley.adapters.sql.types import UTCDateTime

revision: str = "0007_usage_limits"
down_revision: str | Sequence[str] | None = "0006_jobs_summaries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "usage_logs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("api_key_id", sa.Uuid()),
        sa.Column("conversation_id", sa.Uuid()),
        sa.Column("endpoint", sa.String(32), nullable=False),
        sa.Column("requested_model", sa.String(200), nullable=False),
        sa.Column("served_model", sa.String(200)),
        sa.Column("provider", sa.String(32)),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("tokens_estimated", sa.Boolean(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.Float()),
        sa.Column("ttft_ms", sa.Float()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_type", sa.String(64)),
    )
    op.create_index("ix_usage_logs_at", "usage_logs", ["at"])
    op.create_index("ix_usage_logs_user_id_at", "usage_logs", ["user_id", "at"])
    op.create_table(
        "usage_daily",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("model", sa.String(200), primary_key=True),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
        sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "limit_overrides",
        sa.Column("subject_type", sa.String(16), primary_key=True),
        sa.Column("subject_id", sa.Uuid(), primary_key=True),
        sa.Column("limits", JSON, nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("limit_overrides", "usage_daily", "usage_logs"):
        op.drop_table(table)
