"""The container: what `build_container` wires, and its lifecycle (startup, the background
loops, and an orderly close)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncEngine

from parley.adapters.llm.registry import HttpProviderRegistry
from parley.adapters.notifications.incident_webhook import WebhookIncidentNotifier
from parley.application.identity.key_usage import FlushApiKeyUse
from parley.application.incidents.automatic import ResolveRecoveredIncidents
from parley.application.incidents.circuit_watch import IncidentCircuitWatch
from parley.application.jobs.worker import JobWorker
from parley.application.models.configured import ConfiguredModel, SyncConfiguredModels
from parley.application.ports.limits import QuotaStore
from parley.application.services import Services
from parley.application.usage.recorder import BatchingUsageSink
from parley.application.usage.reports import PruneUsage
from parley.log import get_logger
from parley.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

# The package's name, not this module's: log consumers already filter on it.
log = get_logger("parley.container")


@dataclass
class Container:
    """Everything the API and the worker run on. Whoever builds it owns it: `startup()` (or
    `start()`) once inside the event loop, `aclose()` at the end."""

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
    incident_watch: IncidentCircuitWatch
    resolve_incidents: ResolveRecoveredIncidents
    quota: QuotaStore | None = None
    incident_webhook: WebhookIncidentNotifier | None = None
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
        self._tasks.append(asyncio.create_task(self.incident_watch.run(), name="incident-watch"))
        self._tasks.append(asyncio.create_task(self._resolve_loop(), name="incident-resolver"))
        if self.incident_webhook is not None:
            self._tasks.append(
                asyncio.create_task(self.incident_webhook.run(), name="incident-webhook")
            )
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

    async def _resolve_loop(self) -> None:
        interval = min(max(self.settings.incident_resolve_after_seconds / 4, 0.05), 5.0)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.resolve_incidents()
            except Exception:
                log.exception("incident_resolve_failed")

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
        with contextlib.suppress(Exception):
            await self.incident_watch.drain()
        if self.incident_webhook is not None:
            await self.incident_webhook.aclose()
        try:
            stored = await self.usage_sink.flush()
            log.info("usage_flushed_at_shutdown", records=stored)
        except Exception:
            log.exception("usage_flush_at_shutdown_failed", pending=self.usage_sink.pending)
        await self.providers.aclose()
        if self.quota is not None:
            # Deferred limit corrections, before the connection they go over is closed.
            with contextlib.suppress(Exception):
                await self.quota.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.engine.dispose()
