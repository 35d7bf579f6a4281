"""The unit of work: one business transaction, committed once."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from parley.application.ports.audit import AuditLog, AuditReader
from parley.application.ports.conversations import ConversationRepository, MessageRepository
from parley.application.ports.files import FileRepository
from parley.application.ports.identity import (
    ApiKeyRepository,
    RefreshTokenRepository,
    SessionRepository,
    UserRepository,
)
from parley.application.ports.incidents import IncidentRepository, IncidentTimeline
from parley.application.ports.jobs import JobRepository
from parley.application.ports.limits import LimitOverrideRepository
from parley.application.ports.models import ModelConfigRepository
from parley.application.ports.summaries import SummaryRepository
from parley.application.ports.tools import ToolDefinitionRepository


class UnitOfWork(Protocol):
    """`async with uow:` opens a transaction; `await uow.commit()` makes it durable; leaving
    the block without committing rolls everything back."""

    users: UserRepository
    sessions: SessionRepository
    refresh_tokens: RefreshTokenRepository
    api_keys: ApiKeyRepository
    audit: AuditLog
    limit_overrides: LimitOverrideRepository
    models: ModelConfigRepository
    conversations: ConversationRepository
    messages: MessageRepository
    audit_reader: AuditReader
    tools: ToolDefinitionRepository
    files: FileRepository
    jobs: JobRepository
    summaries: SummaryRepository
    incidents: IncidentRepository
    incident_updates: IncidentTimeline

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
