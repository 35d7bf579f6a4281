"""Everything the inbound adapters (HTTP, CLI) may call: the wired use cases.

The composition root (`parley.container`) builds one `Services`; the HTTP layer only sees
this type, never a concrete adapter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from parley.application.admin.user_changes import DeleteUser, RevokeUserSessions, UpdateUser
from parley.application.admin.users import CreateUser, GetUser, ListUsers
from parley.application.audit.queries import ExportAudit, ListAuditEvents
from parley.application.chat.completions import CompleteChat, StreamCompletion
from parley.application.chat.conversation_turn import StreamChat
from parley.application.conversations.conversations import (
    CreateConversation,
    DeleteConversation,
    GetConversation,
    ListConversations,
    UpdateConversation,
)
from parley.application.conversations.messages import (
    DeleteMessage,
    GetMessage,
    ListMessages,
    PostMessage,
    UpdateMessage,
)
from parley.application.files.files import DeleteFile, DownloadFile, GetFile, ListFiles
from parley.application.files.upload import UploadFile
from parley.application.identity.accounts import AccountFactory, Register
from parley.application.identity.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from parley.application.identity.authenticate import Authenticate
from parley.application.identity.login import Login
from parley.application.identity.me import GetMe, UpdateMe
from parley.application.identity.password_change import ChangePassword
from parley.application.identity.refresh import RefreshSession
from parley.application.identity.sessions import ListSessions, Logout, LogoutAll, RevokeSession
from parley.application.incidents.manage import ChangeIncident, CreateIncident, PostIncidentUpdate
from parley.application.incidents.queries import GetIncident, ListIncidents
from parley.application.incidents.status import GetStatus
from parley.application.jobs.submit import GetJob
from parley.application.limits.manage import SetLimitOverride
from parley.application.models.admin import (
    CreateModelConfig,
    DeleteModelConfig,
    UpdateModelConfig,
)
from parley.application.models.catalog import ModelCatalog
from parley.application.models.queries import GetModelConfig, ListAvailableModels, ListModelConfigs
from parley.application.ports.metrics import HttpMetrics, MetricsExporter
from parley.application.summaries.use_cases import GetSummary, SummarizeConversation
from parley.application.tools.admin import (
    CreateToolDefinition,
    DeleteToolDefinition,
    UpdateToolDefinition,
)
from parley.application.tools.queries import GetToolDefinition, ListToolDefinitions, ListTools
from parley.application.tools.run_tool import RunTool
from parley.application.usage.reports import MyUsage, UsageReport


class ReadinessProbe(Protocol):
    async def check(self) -> dict[str, str]:
        """Each dependency's state: "ok", "degraded" or "down"."""
        ...


@dataclass(frozen=True, slots=True)
class IdentityServices:
    authenticate: Authenticate
    accounts: AccountFactory
    register: Register
    login: Login
    refresh: RefreshSession
    logout: Logout
    logout_all: LogoutAll
    list_sessions: ListSessions
    revoke_session: RevokeSession
    change_password: ChangePassword
    get_me: GetMe
    update_me: UpdateMe
    create_api_key: CreateApiKey
    list_api_keys: ListApiKeys
    revoke_api_key: RevokeApiKey


@dataclass(frozen=True, slots=True)
class ModelServices:
    catalog: ModelCatalog
    list_available: ListAvailableModels
    list_configs: ListModelConfigs
    get_config: GetModelConfig
    create_config: CreateModelConfig
    update_config: UpdateModelConfig
    delete_config: DeleteModelConfig


@dataclass(frozen=True, slots=True)
class ChatServices:
    complete: CompleteChat
    stream_completion: StreamCompletion
    stream_chat: StreamChat


@dataclass(frozen=True, slots=True)
class ConversationServices:
    create: CreateConversation
    list: ListConversations
    get: GetConversation
    update: UpdateConversation
    delete: DeleteConversation
    list_messages: ListMessages
    post_message: PostMessage
    get_message: GetMessage
    update_message: UpdateMessage
    delete_message: DeleteMessage


@dataclass(frozen=True, slots=True)
class UsageServices:
    report: UsageReport
    mine: MyUsage
    set_limits: SetLimitOverride


@dataclass(frozen=True, slots=True)
class OperationsServices:
    http_metrics: HttpMetrics
    exporter: MetricsExporter


@dataclass(frozen=True, slots=True)
class AdminServices:
    list_users: ListUsers
    get_user: GetUser
    create_user: CreateUser
    update_user: UpdateUser
    delete_user: DeleteUser
    revoke_user_sessions: RevokeUserSessions


@dataclass(frozen=True, slots=True)
class AuditServices:
    list_events: ListAuditEvents
    export: ExportAudit


@dataclass(frozen=True, slots=True)
class ToolServices:
    list: ListTools
    invoke: RunTool
    list_definitions: ListToolDefinitions
    get_definition: GetToolDefinition
    create_definition: CreateToolDefinition
    update_definition: UpdateToolDefinition
    delete_definition: DeleteToolDefinition


@dataclass(frozen=True, slots=True)
class FileServices:
    upload: UploadFile
    list: ListFiles
    get: GetFile
    download: DownloadFile
    delete: DeleteFile


@dataclass(frozen=True, slots=True)
class JobServices:
    get_job: GetJob
    summarize: SummarizeConversation
    get_summary: GetSummary


@dataclass(frozen=True, slots=True)
class IncidentServices:
    list: ListIncidents
    get: GetIncident
    create: CreateIncident
    change: ChangeIncident
    post_update: PostIncidentUpdate
    status: GetStatus


@dataclass(frozen=True, slots=True)
class Services:
    identity: IdentityServices
    models: ModelServices
    chat: ChatServices
    conversations: ConversationServices
    usage: UsageServices
    operations: OperationsServices
    admin: AdminServices
    audit: AuditServices
    tools: ToolServices
    files: FileServices
    readiness: ReadinessProbe
    jobs: JobServices
    incidents: IncidentServices
