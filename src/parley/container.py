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
from parley.adapters.readiness import InfrastructureReadiness
from parley.adapters.redis.cache import RedisCache, RedisWindowCounter
from parley.adapters.security.instance_secret import load_or_create_secret
from parley.adapters.security.passwords import Argon2PasswordHasher, load_common_passwords
from parley.adapters.security.secret_box import FernetSecretBox
from parley.adapters.security.tokens import JwtAccessTokenIssuer
from parley.adapters.sql.engine import create_engine, create_session_factory
from parley.adapters.sql.job_queue import SqlJobQueue
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.application.chat.access import ModelAccess
from parley.application.chat.completions import CompleteChat, StreamCompletion
from parley.application.chat.conversation_turn import StreamChat
from parley.application.chat.routing import ModelRouter
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
from parley.application.ports.clock import Clock
from parley.application.ports.security import PasswordHasher
from parley.application.ports.unit_of_work import UnitOfWork
from parley.application.ports.usage_sink import NoUsageSink, UsageSink
from parley.application.services import (
    ChatServices,
    ConversationServices,
    IdentityServices,
    JobServices,
    ModelServices,
    Services,
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
        if self.settings.inprocess_worker:
            self._worker_task = asyncio.create_task(self.worker.run(), name="job-worker")

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
        await self.providers.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()


def build_container(
    settings: Settings,
    *,
    clock: Clock | None = None,
    hasher: PasswordHasher | None = None,
    cache: Cache | None = None,
    counter: WindowCounter | None = None,
    usage_sink: UsageSink | None = None,
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

    redis: Redis | None = None
    if settings.redis_url:
        redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
        cache = cache or RedisCache(redis, local_ttl_seconds=settings.shared_cache_local_seconds)
        counter = counter or RedisWindowCounter(redis)
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
    providers = HttpProviderRegistry.with_default_providers(catalog.resolve_api_key)
    model_access = ModelAccess(catalog)
    router = ModelRouter(providers)
    queue = SqlJobQueue(session_factory, clock)
    submit = SubmitJob(uow_factory, queue, clock, settings.job_max_attempts)
    workflow = SummaryWorkflow(
        uow_factory,
        model_access,
        MapReduceSummarizer(router, settings.summary_parallelism),
        clock,
        usage_sink or NoUsageSink(),
    )
    chat = ChatServices(
        complete=CompleteChat(model_access, router),
        stream_completion=StreamCompletion(model_access, router),
        stream_chat=StreamChat(
            uow_factory,
            model_access,
            router,
            clock,
            summaries=ScheduleSummary(submit, get_logger("parley.summaries")),
        ),
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
        list=ListConversations(uow_factory),
        get=GetConversation(uow_factory),
        update=UpdateConversation(uow_factory, clock),
        delete=DeleteConversation(uow_factory),
        list_messages=ListMessages(uow_factory),
        post_message=PostMessage(uow_factory, clock),
        get_message=GetMessage(uow_factory),
        update_message=UpdateMessage(uow_factory, clock),
        delete_message=DeleteMessage(uow_factory),
    )
    services = Services(
        identity=identity,
        models=models,
        chat=chat,
        conversations=conversations,
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
        worker=worker,
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

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[Services]:
        async with running(settings) as container:
            yield container.services

    return create_http_app(lifespan, settings)
