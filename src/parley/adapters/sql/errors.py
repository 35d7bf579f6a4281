"""Translating driver errors into domain errors where they happen."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from parley.domain.errors import Conflict, EmailTaken, UsernameTaken


def conflict_from(error: IntegrityError) -> Conflict:
    """Name the clash from the constraint in the driver's message (SQLite names columns,
    PostgreSQL names constraints/indexes; both mention ours)."""
    text = str(error.orig).lower()
    if "email" in text:
        return EmailTaken()
    if "username" in text:
        return UsernameTaken()
    return Conflict()
