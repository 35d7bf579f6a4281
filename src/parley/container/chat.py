"""The chat path: providers, routing with retries and breakers, admission against quotas,
metering into usage records, and the chat and usage services built on them."""

from __future__ import annotations

from dataclasses import dataclass

from parley.adapters.llm.registry import HttpProviderRegistry
from parley.adapters.sql.repositories.usage import SqlUsageStore
from parley.application.chat.access import ModelAccess
from parley.application.chat.completions import ChatGate, CompleteChat, StreamCompletion
from parley.application.chat.conversation_turn import StreamChat
from parley.application.chat.metering import ChatMeter
from parley.application.chat.routing import ModelRouter, RetryPolicy
from parley.application.chat.tool_loop import ToolLoop
from parley.application.files.context import LoadAttachments
from parley.application.incidents.recent_outcomes import OutcomeTap, RecentOutcomes
from parley.application.limits.admission import ChatAdmission
from parley.application.limits.manage import SetLimitOverride
from parley.application.limits.overrides import CachedLimitOverrides
from parley.application.models.catalog import ModelCatalog
from parley.application.services import ChatServices, UsageServices
from parley.application.summaries.use_cases import ScheduleSummary
from parley.application.usage.recorder import BatchingUsageSink
from parley.application.usage.reports import MyUsage, PruneUsage, UsageReport
from parley.container.infrastructure import Infrastructure
from parley.domain.limits import DEFAULT_TIER_POLICIES, LimitOverride, LimitPolicy
from parley.domain.users import Tier
from parley.log import get_logger
from parley.settings import Settings


@dataclass(frozen=True)
class ChatPath:
    """What every way of talking to a model shares, from the stateless completions to
    conversation turns and summaries."""

    providers: HttpProviderRegistry
    access: ModelAccess
    router: ModelRouter
    usage_store: SqlUsageStore
    usage_sink: BatchingUsageSink
    overrides: CachedLimitOverrides
    admission: ChatAdmission
    meter: ChatMeter


def chat_path(infra: Infrastructure, catalog: ModelCatalog, outcomes: RecentOutcomes) -> ChatPath:
    settings = infra.settings
    providers = HttpProviderRegistry.with_default_providers(catalog.resolve_api_key)
    router = ModelRouter(
        providers, catalog, infra.breaker, retry_policy(settings), get_logger("parley.routing")
    )
    usage_store = SqlUsageStore(infra.session_factory)
    usage_sink = BatchingUsageSink(
        usage_store, get_logger("parley.usage"), interval_seconds=settings.usage_flush_seconds
    )
    overrides = CachedLimitOverrides(infra.uow_factory, infra.cache)
    admission = ChatAdmission(tier_policies(settings), overrides, infra.quota, infra.metrics)
    meter = ChatMeter(usage_sink, OutcomeTap(infra.metrics, outcomes), admission, infra.clock)
    return ChatPath(
        providers=providers,
        access=ModelAccess(catalog),
        router=router,
        usage_store=usage_store,
        usage_sink=usage_sink,
        overrides=overrides,
        admission=admission,
        meter=meter,
    )


def chat_services(
    infra: Infrastructure,
    path: ChatPath,
    *,
    tools: ToolLoop,
    attachments: LoadAttachments,
    summaries: ScheduleSummary,
) -> ChatServices:
    gate = ChatGate(path.access, path.admission, path.meter)
    return ChatServices(
        complete=CompleteChat(gate, path.router),
        stream_completion=StreamCompletion(gate, path.router, infra.metrics),
        stream_chat=StreamChat(
            infra.uow_factory,
            path.access,
            path.router,
            path.admission,
            path.meter,
            infra.clock,
            tools=tools,
            attachments=attachments,
            summaries=summaries,
        ),
    )


def usage_services(infra: Infrastructure, path: ChatPath) -> UsageServices:
    return UsageServices(
        report=UsageReport(path.usage_store),
        mine=MyUsage(path.usage_store),
        set_limits=SetLimitOverride(infra.uow_factory, path.overrides, infra.clock),
    )


def usage_pruning(settings: Settings, path: ChatPath) -> PruneUsage | None:
    """Deletes usage records older than PARLEY_USAGE_RETENTION_DAYS; None (keep them all)
    when that is unset or 0."""
    if not settings.usage_retention_days:
        return None
    return PruneUsage(path.usage_store, settings.usage_retention_days)


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        base_delay_seconds=settings.retry_base_delay_seconds,
        max_delay_seconds=settings.retry_max_delay_seconds,
        deadline_seconds=settings.routing_deadline_seconds,
    )


def tier_policies(settings: Settings) -> dict[Tier, LimitPolicy]:
    """The built-in tier policies, changed by PARLEY_TIER_LIMITS where it says so."""
    policies = dict(DEFAULT_TIER_POLICIES)
    for tier_name, changes in settings.tier_limits.items():
        tier = Tier(tier_name)
        policies[tier] = policies[tier].overridden_by(LimitOverride.from_mapping(changes))
    return policies
