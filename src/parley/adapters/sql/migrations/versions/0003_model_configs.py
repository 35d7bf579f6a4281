"""Model configurations: public model names, their upstreams, terms and secrets.

Revision ID: 0003_model_configs
Revises: 0002_conversations
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from parley.adapters.sql.types import ExactDecimal, UTCDateTime

revision: str = "0003_model_configs"
down_revision: str | Sequence[str] | None = "0002_conversations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "model_configs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("upstream_model", sa.String(200), nullable=False),
        sa.Column("base_url", sa.String(500)),
        sa.Column("api_key_env", sa.String(100)),
        sa.Column("api_key_encrypted", sa.Text()),
        sa.Column("context_window", sa.Integer(), nullable=False),
        sa.Column("input_price_per_mtok", ExactDecimal(), nullable=False),
        sa.Column("output_price_per_mtok", ExactDecimal(), nullable=False),
        sa.Column("tiers", JSON, nullable=False),
        sa.Column("fallbacks", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("timeout_connect_seconds", sa.Float(), nullable=False),
        sa.Column("timeout_first_token_seconds", sa.Float(), nullable=False),
        sa.Column("timeout_idle_seconds", sa.Float(), nullable=False),
        sa.Column("timeout_total_seconds", sa.Float(), nullable=False),
        sa.Column("owned_by", sa.String(100), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_model_configs_name"),
    )


def downgrade() -> None:
    op.drop_table("model_configs")
