"""The SQL unit of work: one connection (checked out on its first statement), one
transaction, repositories bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

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

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        # The engine the container's session factory is bound to: the repositories run Core
        # statements on a connection of it (adapters/sql/executor.py).
        engine = session_factory.kw["bind"]
        assert isinstance(engine, AsyncEngine)
        self._engine = engine

    async def __aenter__(self) -> Self:
        self._session = SqlExecutor(self._engine)
        self.users = SqlUserRepository(self._session)
        self.sessions = SqlSessionRepository(self._session)
        self.refresh_tokens = SqlRefreshTokenRepository(self._session)
        self.api_keys = SqlApiKeyRepository(self._session)
        self.audit = SqlAuditLog(self._session)
        self.limit_overrides = SqlLimitOverrideRepository(self._session)
        self.models = SqlModelConfigRepository(self._session)
        self.conversations = SqlConversationRepository(self._session)
        self.messages = SqlMessageRepository(self._session)
        self.audit_reader = SqlAuditReader(self._session)
        self.tools = SqlToolDefinitionRepository(self._session)
        self.files = SqlFileRepository(self._session)
        self.jobs = SqlJobRepository(self._session)
        self.summaries = SqlSummaryRepository(self._session)
        self.incidents = SqlIncidentRepository(self._session)
        self.incident_updates = SqlIncidentTimeline(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._session.close()

    async def commit(self) -> None:
        await self._session.commit()
