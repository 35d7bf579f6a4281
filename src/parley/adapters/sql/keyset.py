"""Keyset conditions shared by the repositories that page newest first by (time, id)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, literal, tuple_

from parley.application.pagination import Keyset


def older_than(
    at_column: ColumnElement[datetime], id_column: ColumnElement[UUID], position: Keyset
) -> ColumnElement[bool]:
    """Rows strictly after `position` in (time, id) descending order. A row-value comparison,
    which PostgreSQL serves from an index on (time, id) and SQLite (3.15+) understands."""
    return tuple_(at_column, id_column) < tuple_(
        literal(position.at, at_column.type), literal(position.id, id_column.type)
    )
