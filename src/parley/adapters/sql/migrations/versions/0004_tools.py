"""Tool definitions: admin-defined webhooks, MCP servers and built-in overrides.

Revision ID: 0004_tools
Revises: 0003_model_configs
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from parley.adapters.sql.types import UTCDateTime

revision: str = "0004_tools"
down_revision: str | Sequence[str] | None = "0003_model_configs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "tool_definitions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("parameters", JSON, nullable=False),
        sa.Column("tiers", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("url", sa.String(2000)),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("header_envs", JSON, nullable=False),
        sa.Column("secret_headers_encrypted", sa.Text()),
        sa.Column("timeout_seconds", sa.Float(), nullable=False),
        sa.Column("max_response_bytes", sa.Integer(), nullable=False),
        sa.Column("allowed_hosts", JSON, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("name", name="uq_tool_definitions_name"),
    )


def downgrade() -> None:
    op.drop_table("tool_definitions")
