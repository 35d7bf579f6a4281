"""`build_container`: wires every area from settings, in dependency order. Each area's
wiring lives in its own module; this one only decides what feeds what."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from parley.adapters.clock import SystemClock
from parley.adapters.observability.prometheus import PrometheusMetrics
from parley.adapters.readiness import InfrastructureReadiness
from parley.adapters.security.instance_secret import load_or_create_secret
from parley.adapters.security.passwords import Argon2PasswordHasher
from parley.application.chat.circuit_events import CircuitFanout, CircuitGaugeListener
from parley.application.files.context import LoadAttachments
from parley.application.models.configured import SyncConfiguredModels
from parley.application.ports.cache import Cache, WindowCounter
from parley.application.ports.clock import Clock
from parley.application.ports.files import BlobStore
from parley.application.ports.security import PasswordHasher
from parley.application.ports.usage_sink import ModelUsageSink
from parley.application.services import OperationsServices, Services
from parley.container.chat import chat_path, chat_services, usage_pruning, usage_services
from parley.container.conversations import conversation_services
from parley.container.core import Container
from parley.container.files import build_blob_store, file_services
from parley.container.identity import admin_services, audit_services, wire_identity
from parley.container.incidents import incident_resolver, incident_services, watch_incidents
from parley.container.infrastructure import build_infrastructure, open_database
from parley.container.jobs import wire_jobs
from parley.container.models import declared_models, model_services
from parley.container.tools import tool_loop, tool_services
from parley.settings import Settings


def build_container(
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
    database = open_database(settings)
    metrics = PrometheusMetrics()
    # The incident watch listens to the circuit breakers, so it comes before them.
    incidents = watch_incidents(settings, database.uow_factory, clock, secret)
    circuit_listeners = CircuitFanout(
        [CircuitGaugeListener(metrics), incidents.outcomes, incidents.watch]
    )
    infra = build_infrastructure(
        settings, clock, secret, database, metrics, circuit_listeners, cache=cache, counter=counter
    )

    identity = wire_identity(infra, hasher)
    models = model_services(infra)
    blobs = blobs or build_blob_store(settings)
    conversations = conversation_services(infra)
    tools = tool_services(infra, conversations.list)
    path = chat_path(infra, models.catalog, incidents.outcomes)
    jobs = wire_jobs(infra, path, model_usage)
    services = Services(
        identity=identity.services,
        models=models,
        chat=chat_services(
            infra,
            path,
            tools=tool_loop(infra, tools),
            attachments=LoadAttachments(infra.uow_factory, blobs),
            summaries=jobs.schedule_summary,
        ),
        conversations=conversations,
        usage=usage_services(infra, path),
        operations=OperationsServices(http_metrics=metrics, exporter=metrics),
        admin=admin_services(infra, identity),
        audit=audit_services(infra),
        tools=tools,
        files=file_services(infra, blobs),
        readiness=InfrastructureReadiness(infra.engine, infra.redis),
        jobs=jobs.services,
        incidents=incident_services(infra, incidents, models.catalog),
    )
    return Container(
        settings=settings,
        services=services,
        engine=infra.engine,
        redis=infra.redis,
        flush_api_key_use=identity.flush_api_key_use,
        sync_models=SyncConfiguredModels(infra.uow_factory, models.catalog, clock),
        declared_models=declared_models(settings),
        providers=path.providers,
        usage_sink=path.usage_sink,
        prune_usage=usage_pruning(settings, path),
        worker=jobs.worker,
        incident_watch=incidents.watch,
        resolve_incidents=incident_resolver(infra, incidents),
        incident_webhook=incidents.webhook,
        quota=infra.quota,
    )


@contextlib.asynccontextmanager
async def running(settings: Settings, **overrides: Any) -> AsyncIterator[Container]:
    """A started container, closed on exit (also when startup fails)."""
    container = build_container(settings, **overrides)
    try:
        await container.startup()
        yield container
    finally:
        await container.aclose()
