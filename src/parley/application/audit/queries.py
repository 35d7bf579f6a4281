"""Audit queries for admins: one page at a time, or everything streamed in bounded memory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict

from parley.application.audit.export_formats import ExportFormat, csv_header, csv_rows, jsonl_rows
from parley.application.identity.audit_events import audit_event
from parley.application.identity.context import ClientInfo
from parley.application.pagination import Keyset, Page, decode_cursor, page_of
from parley.application.ports.audit import AuditQuery
from parley.application.ports.clock import Clock
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.audit import AuditEvent
from parley.domain.identity import Principal

EXPORT_BATCH = 1000
MAX_LIMIT = 200


class ListAuditEvents:
    """Events matching the filters, newest first by (at, id). Raises `ValidationFailed` for a
    cursor this server did not make. Reading the trail is not itself recorded (exports are)."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self._uow_factory = uow_factory

    async def __call__(self, query: AuditQuery, cursor: str | None, limit: int) -> Page[AuditEvent]:
        after = decode_cursor(cursor)
        limit = max(1, min(limit, MAX_LIMIT))
        async with self._uow_factory() as uow:
            found = await uow.audit_reader.page(query, after, limit + 1)
        return page_of(found, limit, lambda event: Keyset(event.at, event.id))


class ExportAudit:
    """Every event matching the filters, newest first, as text chunks of the chosen format.

    The export is recorded (`audit.exported`) when it is requested. Rows are then read in
    keyset batches, each in its own short transaction, so memory stays bounded by the batch
    size and no database session is held open while a slow client downloads."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, batch_size: int = EXPORT_BATCH
    ) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self._batch_size = batch_size

    async def __call__(
        self,
        actor: Principal,
        query: AuditQuery,
        export_format: ExportFormat,
        client: ClientInfo,
    ) -> AsyncIterator[str]:
        filters = {name: str(value) for name, value in asdict(query).items() if value is not None}
        async with self._uow_factory() as uow:
            await uow.audit.append(
                audit_event(
                    "audit.exported",
                    self._clock.now(),
                    client,
                    actor_id=actor.user_id,
                    target_type="audit_log",
                    format=export_format.value,
                    filters=filters,
                )
            )
            await uow.commit()
        return self._chunks(query, export_format)

    async def _chunks(self, query: AuditQuery, export_format: ExportFormat) -> AsyncIterator[str]:
        if export_format is ExportFormat.CSV:
            yield csv_header()
        render = csv_rows if export_format is ExportFormat.CSV else jsonl_rows
        after: Keyset | None = None
        while True:
            async with self._uow_factory() as uow:
                batch = await uow.audit_reader.page(query, after, self._batch_size)
            if batch:
                yield render(batch)
            if len(batch) < self._batch_size:
                return
            after = Keyset(batch[-1].at, batch[-1].id)
