"""The SQL unit of work: one connection (checked out on its first statement), one
transaction, repositories bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.sql.executor import SqlExecutor
from parley.adapters.sql.repositories.audit import SqlAuditLog, SqlAuditReader
from parley.adapters.sql.repositories.conversations import (
    SqlConversationRepository,
    SqlMessageRepository,
)
from parley.adapters.sql.repositories.files import SqlFileRepository
from parley.adapters.sql.repositories.identity import (
    SqlApiKeyRepository,
    SqlRefreshTokenRepository,
    SqlSessionRepository,
)
from parley.adapters.sql.repositories.incidents import (
    SqlIncidentRepository,
    SqlIncidentTimeline,
)
from parley.adapters.sql.repositories.jobs import SqlJobRepository, SqlSummaryRepository
from parley.adapters.sql.repositories.limits import SqlLimitOverrideRepository
from parley.adapters.sql.repositories.models import SqlModelConfigRepository
from parley.adapters.sql.repositories.tools import SqlToolDefinitionRepository
from parley.adapters.sql.repositories.users import SqlUserRepository
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


class SqlUnitOfWork:
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

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def __aenter__(self) -> Self:
        self._sql = SqlExecutor(self._engine)
        self.users = SqlUserRepository(self._sql)
        self.sessions = SqlSessionRepository(self._sql)
        self.refresh_tokens = SqlRefreshTokenRepository(self._sql)
        self.api_keys = SqlApiKeyRepository(self._sql)
        self.audit = SqlAuditLog(self._sql)
        self.limit_overrides = SqlLimitOverrideRepository(self._sql)
        self.models = SqlModelConfigRepository(self._sql)
        self.conversations = SqlConversationRepository(self._sql)
        self.messages = SqlMessageRepository(self._sql)
        self.audit_reader = SqlAuditReader(self._sql)
        self.tools = SqlToolDefinitionRepository(self._sql)
        self.files = SqlFileRepository(self._sql)
        self.jobs = SqlJobRepository(self._sql)
        self.summaries = SqlSummaryRepository(self._sql)
        self.incidents = SqlIncidentRepository(self._sql)
        self.incident_updates = SqlIncidentTimeline(self._sql)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._sql.close()

    async def commit(self) -> None:
        await self._sql.commit()
