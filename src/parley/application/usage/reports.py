"""Usage reports: an admin's across users, and a user's own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from parley.application.ports.usage import UsageStore
from parley.domain.errors import FieldError, PermissionDenied, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.usage import UsageQuery, UsageRow


def _check(query: UsageQuery, allowed: set[str]) -> None:
    if query.group_by not in allowed:
        message = f"group_by must be one of: {', '.join(sorted(allowed))}."
        raise ValidationFailed([FieldError(("query", "group_by"), message)], message)
    if query.start and query.end and query.start > query.end:
        message = "from must not be after to."
        raise ValidationFailed([FieldError(("query", "from"), message)], message)


class UsageReport:
    """Any user's usage, grouped by user, model or day (admins only)."""

    def __init__(self, store: UsageStore) -> None:
        self._store = store

    async def __call__(self, principal: Principal, query: UsageQuery) -> Sequence[UsageRow]:
        if not principal.is_admin:
            raise PermissionDenied("This requires the admin role.")
        _check(query, {"user", "model", "day"})
        return await self._store.report(query)


class MyUsage:
    """The caller's own usage, grouped by model or day."""

    def __init__(self, store: UsageStore) -> None:
        self._store = store

    async def __call__(self, principal: Principal, query: UsageQuery) -> Sequence[UsageRow]:
        _check(query, {"model", "day"})
        own = UsageQuery(query.group_by, query.start, query.end, user_id=principal.user_id)
        return await self._store.report(own)


class PruneUsage:
    """Deletes raw usage records older than the retention, in bounded batches (the daily
    roll-ups stay)."""

    def __init__(self, store: UsageStore, retention_days: int, batch_size: int = 5000) -> None:
        self._store = store
        self._retention = timedelta(days=retention_days)
        self._batch_size = batch_size

    async def __call__(self) -> int:
        cutoff = datetime.now(UTC) - self._retention
        deleted = 0
        while True:
            batch = await self._store.delete_raw_before(cutoff, self._batch_size)
            deleted += batch
            if batch < self._batch_size:
                return deleted
