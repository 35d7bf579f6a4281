"""The composition root: the one place that knows every concrete class.

`build_container(settings, **overrides)` wires adapters into use cases; the app's lifespan
(or a test) owns the result and closes it. Nothing here runs at import time."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.clock import SystemClock
from parley.adapters.config.models_file import load_models_file
from parley.adapters.jobs.testing import testing_job_handlers
from parley.adapters.llm.registry import HttpProviderRegistry
from parley.adapters.memory.cache import MemoryCache, MemoryWindowCounter
from parley.adapters.memory.quota import MemoryQuotaStore
from parley.adapters.observability.prometheus import PrometheusMetrics
from parley.adapters.readiness import InfrastructureReadiness
from parley.adapters.redis.cache import RedisCache, RedisWindowCounter
from parley.adapters.redis.failover import (
    FailoverCache,
    FailoverCircuitBreaker,
    FailoverWindowCounter,
    Outage,
)
from parley.adapters.redis.quota import FailoverQuotaStore, RedisQuotaStore
from parley.adapters.resilience.breakers import MemoryCircuitBreaker, RedisCircuitBreaker
from parley.adapters.security.instance_secret import load_or_create_secret
from parley.adapters.security.passwords import Argon2PasswordHasher, load_common_passwords
from parley.adapters.security.secret_box import FernetSecretBox
from parley.adapters.security.tokens import JwtAccessTokenIssuer
from parley.adapters.sql.engine import create_engine, create_session_factory
from parley.adapters.sql.job_queue import SqlJobQueue
from parley.adapters.sql.repositories.usage import SqlUsageStore
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.adapters.storage.local import LocalBlobStore
from parley.adapters.storage.pdf_text import PypdfTextExtractor
from parley.adapters.tools.builtin.calculator import CalculatorTool
from parley.adapters.tools.builtin.current_time import CurrentTimeTool
from parley.adapters.tools.builtin.search_conversations import SearchConversationsTool
from parley.adapters.tools.guarded_http import GuardedHttp
from parley.adapters.tools.mcp_servers import SdkMcpServers
from parley.adapters.tools.outbound import OutboundGuard
from parley.adapters.tools.schema_validator import JsonSchemaArgumentValidator
from parley.adapters.tools.webhook import WebhookToolRunner
from parley.application.admin.user_changes import (
    DeleteUser,
    RevokeUserSessions,
    UpdateUser,
    UserChanger,
)
from parley.application.admin.users import CreateUser, GetUser, ListUsers
from parley.application.audit.queries import ExportAudit, ListAuditEvents
from parley.application.chat.access import ModelAccess
from parley.application.chat.circuit_events import CircuitFanout, CircuitGaugeListener
from parley.application.chat.completions import ChatGate, CompleteChat, StreamCompletion
from parley.application.chat.conversation_turn import StreamChat
from parley.application.chat.metering import ChatMeter
from parley.application.chat.routing import ModelRouter, RetryPolicy
from parley.application.chat.tool_loop import ToolLoop
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
from parley.application.files.context import LoadAttachments
from parley.application.files.files import DeleteFile, DownloadFile, GetFile, ListFiles
from parley.application.files.upload import StorageLimits, UploadFile
from parley.application.identity.accounts import AccountFactory, Register
from parley.application.identity.api_keys import CreateApiKey, ListApiKeys, RevokeApiKey
from parley.application.identity.auth_state import AuthStateCache
from parley.application.identity.authenticate import Authenticate
from parley.application.identity.key_usage import ApiKeyUseRecorder, FlushApiKeyUse
from parley.application.identity.login import Login, LoginThrottle
from parley.application.identity.me import GetMe, UpdateMe
from parley.application.identity.password_change import ChangePassword
from parley.application.identity.password_policy import PasswordPolicy
from parley.application.identity.refresh import RefreshSession
from parley.application.identity.sessions import (
    ListSessions,
    Logout,
    LogoutAll,
    RevokeSession,
    SessionRevoker,
)
from parley.application.jobs.handlers import JobHandler
from parley.application.jobs.submit import GetJob, SubmitJob
from parley.application.jobs.worker import JobWorker, WorkerOptions, worker_name
from parley.application.limits.admission import ChatAdmission
from parley.application.limits.manage import SetLimitOverride
from parley.application.limits.overrides import CachedLimitOverrides
from parley.application.models.admin import (
    CreateModelConfig,
    DeleteModelConfig,
    UpdateModelConfig,
)
from parley.application.models.catalog import ModelCatalog
from parley.application.models.configured import (
    ECHO_MODEL,
    ConfiguredModel,
    SyncConfiguredModels,
    merge_declarations,
    models_from_environment,
)
from parley.application.models.queries import GetModelConfig, ListAvailableModels, ListModelConfigs
from parley.application.ports.cache import Cache, WindowCounter
from parley.application.ports.circuit import CircuitBreaker
from parley.application.ports.clock import Clock
from parley.application.ports.files import BlobStore
from parley.application.ports.limits import QuotaStore
from parley.application.ports.security import PasswordHasher
from parley.application.ports.tools import BuiltinTool, ToolRunner
from parley.application.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory
from parley.application.ports.usage_sink import ModelUsageSink
from parley.application.services import (
    AdminServices,
    AuditServices,
    ChatServices,
    ConversationServices,
    FileServices,
    IdentityServices,
    JobServices,
    ModelServices,
    OperationsServices,
    Services,
    ToolServices,
    UsageServices,
)
from parley.application.summaries.map_reduce import MapReduceSummarizer
from parley.application.summaries.use_cases import (
    SUMMARY_JOB,
    GetSummary,
    ScheduleSummary,
    SummarizeConversation,
    SummaryJobHandler,
)
from parley.application.summaries.workflow import SummaryWorkflow
from parley.application.tools.admin import (
    CreateToolDefinition,
    DeleteToolDefinition,
    UpdateToolDefinition,
)
from parley.application.tools.queries import GetToolDefinition, ListToolDefinitions, ListTools
from parley.application.tools.registry import ToolRegistry
from parley.application.tools.run_tool import BuiltinRunner, RunTool
from parley.application.usage.recorder import BatchingUsageSink, ModelUsageRecords
from parley.application.usage.reports import MyUsage, PruneUsage, UsageReport
from parley.domain.circuit import BreakerSettings
from parley.domain.limits import DEFAULT_TIER_POLICIES, LimitOverride, LimitPolicy
from parley.domain.tools import ToolKind
from parley.domain.users import Tier
from parley.log import get_logger
from parley.settings import Settings

log = get_logger("parley.container")


@dataclass
class Container:
    settings: Settings
    services: Services
    engine: AsyncEngine
    redis: Redis | None
    flush_api_key_use: FlushApiKeyUse
    sync_models: SyncConfiguredModels
    declared_models: list[ConfiguredModel]
    providers: HttpProviderRegistry
    usage_sink: BatchingUsageSink
    prune_usage: PruneUsage | None
    worker: JobWorker
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _worker_task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        """Register the configured models, then start background work. Call once, inside
        the running event loop, before serving requests. Raises `ValidationFailed` when a
        declared model breaks a rule (the message names the file and entry)."""
        await self.providers.start()
        report = await self.sync_models(self.declared_models)
        log.info(
            "models_registered",
            created=report.created,
            updated=report.updated,
            disabled=report.disabled,
            kept_admin=report.kept_admin,
        )
        self.start()

    def start(self) -> None:
        """Start background work (call inside the running event loop): the in-process job
        worker too, unless `PARLEY_INPROCESS_WORKER` is off."""
        self._tasks.append(asyncio.create_task(self._flush_loop(), name="api-key-use-flush"))
        self._tasks.append(asyncio.create_task(self.usage_sink.run(), name="usage-flush"))
        if self.prune_usage is not None:
            self._tasks.append(asyncio.create_task(self._prune_loop(), name="usage-retention"))
        if self.settings.inprocess_worker:
            self._worker_task = asyncio.create_task(self.worker.run(), name="job-worker")

    async def _prune_loop(self) -> None:
        assert self.prune_usage is not None
        while True:
            try:
                deleted = await self.prune_usage()
                if deleted:
                    log.info("usage_pruned", deleted=deleted)
            except Exception:
                log.exception("usage_prune_failed")
            await asyncio.sleep(3600)

    async def start_worker_process(self) -> None:
        """What `parley worker` needs before running `worker.run()`: provider clients."""
        await self.providers.start()

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.api_key_use_flush_seconds)
            try:
                await self.flush_api_key_use()
            except Exception:
                log.exception("api_key_use_flush_failed")

    async def aclose(self) -> None:
        if self._worker_task is not None:
            self.worker.stop()
            with contextlib.suppress(Exception):
                await self._worker_task
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self.flush_api_key_use()
        try:
            stored = await self.usage_sink.flush()
            log.info("usage_flushed_at_shutdown", records=stored)
        except Exception:
            log.exception("usage_flush_at_shutdown_failed", pending=self.usage_sink.pending)
        await self.providers.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def build_container(  # noqa: PLR0915 -- split into per-area modules once the areas settle
    settings: Settings,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    cache: Cache | None = None,
    counter: WindowCounter | None = None,
    blobs: BlobStore | None = None,
    model_usage: ModelUsageSink | None = None,
) -> Container:
    """Wire everything from settings. Keyword overrides replace single adapters in tests."""
    clock = clock or SystemClock()
    hasher = hasher or Argon2PasswordHasher()
    secret = load_or_create_secret(
        settings.secret_key.get_secret_value() if settings.secret_key else None, settings.data_dir
    )
    engine = create_engine(settings.effective_database_url)
    session_factory = create_session_factory(engine)

    def uow_factory() -> UnitOfWork:
        return SqlUnitOfWork(session_factory)

    metrics = PrometheusMetrics()
    circuit_listeners = CircuitFanout([CircuitGaugeListener(metrics)])
    breaker_settings = BreakerSettings(
        consecutive_failures=settings.breaker_consecutive_failures,
        failure_ratio=settings.breaker_failure_ratio,
        min_requests=settings.breaker_min_requests,
        window_seconds=settings.breaker_window_seconds,
        cooldown_seconds=settings.breaker_cooldown_seconds,
    )
    local_breaker = MemoryCircuitBreaker(breaker_settings, circuit_listeners)
    redis: Redis | None = None
    quota: QuotaStore = MemoryQuotaStore()
    breaker: CircuitBreaker = local_breaker
    if settings.redis_url:
        # Short timeouts: a Redis that stops answering must not hold requests up; the
        # failover adapters switch to local state within one timeout.
        redis = Redis.from_url(settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        outage = Outage()
        shared = RedisCache(redis, local_ttl_seconds=settings.shared_cache_local_seconds)
        cache = cache or FailoverCache(shared, outage, settings.shared_cache_local_seconds)
        counter = counter or FailoverWindowCounter(RedisWindowCounter(redis), outage)
        share = settings.limits_local_share or 1 / max(settings.replicas, 1)
        quota = FailoverQuotaStore(RedisQuotaStore(redis), quota, share, outage)
        breaker = FailoverCircuitBreaker(
            RedisCircuitBreaker(redis, breaker_settings, circuit_listeners), local_breaker, outage
        )
    cache = cache or MemoryCache()
    counter = counter or MemoryWindowCounter()

    issuer = JwtAccessTokenIssuer(
        secret,
        timedelta(seconds=settings.access_token_ttl_seconds),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        algorithm=settings.jwt_algorithm,
    )
    refresh_ttl = timedelta(seconds=settings.refresh_token_ttl_seconds)
    state = AuthStateCache(cache, uow_factory, settings.auth_cache_ttl_seconds)
    policy = PasswordPolicy(load_common_passwords())
    key_uses = ApiKeyUseRecorder()
    revoker = SessionRevoker(uow_factory, state, clock)
    accounts = AccountFactory(uow_factory, hasher, policy, clock, state)
    throttle = LoginThrottle(
        settings.login_failures_per_account,
        settings.login_failures_per_address,
        settings.login_window_seconds,
    )
    identity = IdentityServices(
        authenticate=Authenticate(issuer, state, key_uses, clock),
        accounts=accounts,
        register=Register(accounts, settings.allow_registration),
        login=Login(uow_factory, hasher, issuer, counter, throttle, clock, refresh_ttl),
        refresh=RefreshSession(uow_factory, issuer, state, clock),
        logout=Logout(revoker),
        logout_all=LogoutAll(revoker),
        list_sessions=ListSessions(uow_factory, clock),
        revoke_session=RevokeSession(revoker),
        change_password=ChangePassword(uow_factory, hasher, policy, revoker, state, clock),
        get_me=GetMe(uow_factory),
        update_me=UpdateMe(uow_factory, clock),
        create_api_key=CreateApiKey(uow_factory, clock),
        list_api_keys=ListApiKeys(uow_factory),
        revoke_api_key=RevokeApiKey(uow_factory, state, clock),
    )
    box = FernetSecretBox(secret)
    catalog = ModelCatalog(
        uow_factory, cache, box, os.environ, check_seconds=settings.model_catalog_check_seconds
    )
    models = ModelServices(
        catalog=catalog,
        list_available=ListAvailableModels(catalog),
        list_configs=ListModelConfigs(uow_factory),
        get_config=GetModelConfig(uow_factory),
        create_config=CreateModelConfig(uow_factory, catalog, box, clock),
        update_config=UpdateModelConfig(uow_factory, catalog, box, clock),
        delete_config=DeleteModelConfig(uow_factory, catalog, clock),
    )
    blobs = blobs or build_blob_store(settings)
    files = FileServices(
        upload=UploadFile(
            uow_factory, blobs, PypdfTextExtractor(), storage_limits(settings), clock
        ),
        list=ListFiles(uow_factory),
        get=GetFile(uow_factory),
        download=DownloadFile(uow_factory, blobs),
        delete=DeleteFile(uow_factory, blobs),
    )
    providers = HttpProviderRegistry.with_default_providers(catalog.resolve_api_key)
    model_access = ModelAccess(catalog)
    retry = RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        base_delay_seconds=settings.retry_base_delay_seconds,
        max_delay_seconds=settings.retry_max_delay_seconds,
        deadline_seconds=settings.routing_deadline_seconds,
    )
    router = ModelRouter(providers, catalog, breaker, retry, get_logger("parley.routing"))
    usage_store = SqlUsageStore(session_factory)
    usage_sink = BatchingUsageSink(
        usage_store, get_logger("parley.usage"), interval_seconds=settings.usage_flush_seconds
    )
    overrides = CachedLimitOverrides(uow_factory, cache)
    admission = ChatAdmission(tier_policies(settings), overrides, quota, metrics)
    meter = ChatMeter(usage_sink, metrics, admission, clock)
    gate = ChatGate(model_access, admission, meter)
    list_conversations = ListConversations(uow_factory)
    tools = _tool_services(settings, uow_factory, clock, secret, list_conversations)
    tool_loop = ToolLoop(
        tools.invoke.registry,
        tools.invoke,
        uow_factory,
        clock,
        max_steps=settings.tool_max_steps,
    )
    queue = SqlJobQueue(session_factory, clock)
    submit = SubmitJob(uow_factory, queue, clock, settings.job_max_attempts)
    workflow = SummaryWorkflow(
        uow_factory,
        model_access,
        MapReduceSummarizer(router, settings.summary_parallelism),
        clock,
        model_usage or ModelUsageRecords(usage_sink, clock),
    )
    chat = ChatServices(
        complete=CompleteChat(gate, router),
        stream_completion=StreamCompletion(gate, router, metrics),
        stream_chat=StreamChat(
            uow_factory,
            model_access,
            router,
            admission,
            meter,
            clock,
            tools=tool_loop,
            attachments=LoadAttachments(uow_factory, blobs),
            summaries=ScheduleSummary(submit, get_logger("parley.summaries")),
        ),
    )
    usage = UsageServices(
        report=UsageReport(usage_store),
        mine=MyUsage(usage_store),
        set_limits=SetLimitOverride(uow_factory, overrides, clock),
    )
    name = worker_name()
    handlers: dict[str, JobHandler] = {SUMMARY_JOB: SummaryJobHandler(uow_factory, workflow)}
    if settings.enable_test_jobs:
        handlers.update(testing_job_handlers(settings.data_dir, name))
    worker = JobWorker(
        queue,
        handlers,
        clock,
        WorkerOptions(
            concurrency=settings.worker_concurrency,
            poll_seconds=settings.job_poll_seconds,
            lease_seconds=settings.job_lease_seconds,
            retry_base_seconds=settings.job_retry_base_seconds,
            retry_max_seconds=settings.job_retry_max_seconds,
            shutdown_grace_seconds=settings.worker_shutdown_grace_seconds,
        ),
        name=name,
        log=get_logger("parley.jobs"),
    )
    conversations = ConversationServices(
        create=CreateConversation(uow_factory, clock),
        list=list_conversations,
        get=GetConversation(uow_factory),
        update=UpdateConversation(uow_factory, clock),
        delete=DeleteConversation(uow_factory),
        list_messages=ListMessages(uow_factory),
        post_message=PostMessage(uow_factory, clock),
        get_message=GetMessage(uow_factory),
        update_message=UpdateMessage(uow_factory, clock),
        delete_message=DeleteMessage(uow_factory),
    )
    changer = UserChanger(uow_factory, state, revoker, clock)
    admin = AdminServices(
        list_users=ListUsers(uow_factory, clock),
        get_user=GetUser(uow_factory, clock),
        create_user=CreateUser(accounts),
        update_user=UpdateUser(changer),
        delete_user=DeleteUser(changer),
        revoke_user_sessions=RevokeUserSessions(uow_factory, revoker),
    )
    audit = AuditServices(
        list_events=ListAuditEvents(uow_factory),
        export=ExportAudit(uow_factory, clock),
    )
    services = Services(
        identity=identity,
        models=models,
        chat=chat,
        conversations=conversations,
        usage=usage,
        operations=OperationsServices(http_metrics=metrics, exporter=metrics),
        admin=admin,
        audit=audit,
        tools=tools,
        files=files,
        readiness=InfrastructureReadiness(engine, redis),
        jobs=JobServices(
            get_job=GetJob(uow_factory),
            summarize=SummarizeConversation(workflow, submit),
            get_summary=GetSummary(uow_factory),
        ),
    )
    return Container(
        settings=settings,
        services=services,
        engine=engine,
        redis=redis,
        flush_api_key_use=FlushApiKeyUse(key_uses, uow_factory),
        sync_models=SyncConfiguredModels(uow_factory, catalog, clock),
        declared_models=declared_models(settings),
        providers=providers,
        usage_sink=usage_sink,
        prune_usage=PruneUsage(usage_store, settings.usage_retention_days)
        if settings.usage_retention_days
        else None,
        worker=worker,
    )


def tier_policies(settings: Settings) -> dict[Tier, LimitPolicy]:
    """The built-in tier policies, changed by PARLEY_TIER_LIMITS where it says so."""
    policies = dict(DEFAULT_TIER_POLICIES)
    for tier_name, changes in settings.tier_limits.items():
        tier = Tier(tier_name)
        policies[tier] = policies[tier].overridden_by(LimitOverride.from_mapping(changes))
    return policies


def _tool_services(
    settings: Settings,
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    secret: str,
    list_conversations: ListConversations,
) -> ToolServices:
    # Tool secrets get their own key: a token sealed for a model key cannot open here.
    box = FernetSecretBox(secret, purpose="parley/tool-secrets/v1")
    guard = OutboundGuard(_comma_list(settings.tools_allowed_hosts))
    mcp = SdkMcpServers(guard, box, os.environ)
    builtins: list[BuiltinTool] = [
        CalculatorTool(),
        CurrentTimeTool(clock),
        SearchConversationsTool(list_conversations),
    ]
    registry = ToolRegistry(
        uow_factory, builtins, mcp, mcp_ttl_seconds=settings.mcp_tools_cache_seconds
    )
    validator = JsonSchemaArgumentValidator()
    runners: dict[ToolKind, ToolRunner] = {
        ToolKind.BUILTIN: BuiltinRunner(registry),
        ToolKind.WEBHOOK: WebhookToolRunner(GuardedHttp(guard), box, os.environ),
        ToolKind.MCP: mcp,
    }
    return ToolServices(
        list=ListTools(registry),
        invoke=RunTool(
            registry,
            runners,
            validator,
            default_timeout_seconds=settings.tool_timeout_seconds,
            max_output_chars=settings.tool_max_output_chars,
        ),
        list_definitions=ListToolDefinitions(registry),
        get_definition=GetToolDefinition(registry),
        create_definition=CreateToolDefinition(uow_factory, registry, box, validator, clock),
        update_definition=UpdateToolDefinition(uow_factory, registry, box, validator, clock),
        delete_definition=DeleteToolDefinition(uow_factory, registry, box, validator, clock),
    )


def declared_models(settings: Settings) -> list[ConfiguredModel]:
    """The echo model, the environment's providers, then the models file (which wins on a
    name clash). Raises `ModelsFileError` for a bad file, before anything is served."""
    from_env = (
        models_from_environment(os.environ, _comma_list(settings.ollama_models))
        if settings.discover_provider_env
        else [ECHO_MODEL]
    )
    from_file = load_models_file(settings.models_file) if settings.models_file else []
    return merge_declarations(from_env, from_file)


def storage_limits(settings: Settings) -> StorageLimits:
    return StorageLimits(
        max_file_bytes=settings.max_upload_bytes,
        quota_bytes={
            Tier.FREE: settings.storage_quota_free_bytes,
            Tier.PRO: settings.storage_quota_pro_bytes,
            Tier.ENTERPRISE: settings.storage_quota_enterprise_bytes,
        },
    )


def build_blob_store(settings: Settings) -> BlobStore:
    """A directory under the data dir, or S3 (boto3 is imported only then: it is the `s3`
    extra). Raises `ValueError` for S3 without a bucket."""
    if settings.storage == "s3":
        if not settings.s3_bucket:
            raise ValueError("PARLEY_STORAGE=s3 needs PARLEY_S3_BUCKET.")
        from parley.adapters.storage.s3 import S3BlobStore

        return S3BlobStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            prefix=settings.s3_prefix,
        )
    return LocalBlobStore(settings.data_dir / "files")


def _comma_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@contextlib.asynccontextmanager
async def running(settings: Settings, **overrides: Any) -> AsyncIterator[Container]:
    container = build_container(settings, **overrides)
    try:
        await container.startup()
        yield container
    finally:
        await container.aclose()


def create_app() -> Any:
    """The ASGI app for `uvicorn --factory` and `parley serve`, configured from the environment."""
    from parley.api.app import create_app as create_http_app
    from parley.log import configure_logging
    from parley.runtime import settle_heap

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[Services]:
        async with running(settings) as container:
            settle_heap()
            yield container.services

    return create_http_app(lifespan, settings)
