"""API-key last use, recorded without a database write per request."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from parley.application.ports.unit_of_work import UnitOfWorkFactory


class ApiKeyUseRecorder:
    """Remembers the latest use of each key in memory; `FlushApiKeyUse` stores the batch."""

    def __init__(self) -> None:
        self._pending: dict[UUID, datetime] = {}

    def record(self, key_id: UUID, at: datetime) -> None:
        self._pending[key_id] = at

    def drain(self) -> dict[UUID, datetime]:
        pending, self._pending = self._pending, {}
        return pending


class FlushApiKeyUse:
    """Writes the recorded last-use times in one transaction (run periodically and at shutdown)."""

    def __init__(self, recorder: ApiKeyUseRecorder, uow_factory: UnitOfWorkFactory) -> None:
        self._recorder = recorder
        self._uow_factory = uow_factory

    async def __call__(self) -> int:
        pending = self._recorder.drain()
        if not pending:
            return 0
        async with self._uow_factory() as uow:
            await uow.api_keys.record_last_used(pending)
            await uow.commit()
        return len(pending)
