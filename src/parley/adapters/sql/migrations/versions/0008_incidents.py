"""Incidents and their timelines; at most one open automatic incident per model.

Revision ID: 0008_incidents
Revises: 0007_usage_limits
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from parley.adapters.sql.types import UTCDateTime

revision: str = "0008_incidents"
down_revision: str | Sequence[str] | None = "0007_usage_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("affected_models", JSON, nullable=False),
        sa.Column("auto", sa.Boolean(), nullable=False),
        sa.Column("source_model", sa.String(100)),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime()),
    )
    op.create_index("ix_incidents_created_at_id", "incidents", ["created_at", "id"])
    op.create_index("ix_incidents_resolved_at", "incidents", ["resolved_at"])
    # A partial unique index (both engines have them): two replicas that see the same
    # breaker open cannot both open an incident; the loser's insert fails and it backs off.
    open_auto = sa.text("auto AND resolved_at IS NULL")
    op.create_index(
        "uq_incidents_open_auto_source_model",
        "incidents",
        ["source_model"],
        unique=True,
        sqlite_where=open_auto,
        postgresql_where=open_auto,
    )
    op.create_table(
        "incident_updates",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Uuid(),
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid()),
    )
    op.create_index("ix_incident_updates_incident_id_at", "incident_updates", ["incident_id", "at"])


def downgrade() -> None:
    op.drop_table("incident_updates")
    op.drop_table("incidents")
