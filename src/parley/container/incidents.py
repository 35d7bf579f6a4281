"""Incidents: opened and resolved automatically from circuit changes, managed by admins,
announced through the signed webhook, and summed up on the status page."""

from __future__ import annotations

from dataclasses import dataclass

from parley.adapters.notifications.incident_webhook import (
    WebhookIncidentNotifier,
    derived_signing_key,
)
from parley.application.incidents.automatic import AutomaticIncidents, ResolveRecoveredIncidents
from parley.application.incidents.circuit_watch import IncidentCircuitWatch
from parley.application.incidents.manage import ChangeIncident, CreateIncident, PostIncidentUpdate
from parley.application.incidents.queries import GetIncident, ListIncidents
from parley.application.incidents.recent_outcomes import RecentOutcomes
from parley.application.incidents.status import GetStatus, HealthRules
from parley.application.models.catalog import ModelCatalog
from parley.application.ports.clock import Clock
from parley.application.ports.incidents import IncidentNotifier, SilentNotifier
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.application.services import IncidentServices
from parley.container.infrastructure import Infrastructure
from parley.log import get_logger
from parley.settings import Settings


@dataclass(frozen=True)
class IncidentWatch:
    """Built before the circuit breakers, because `watch` and `outcomes` listen to them."""

    notifier: IncidentNotifier
    webhook: WebhookIncidentNotifier | None
    watch: IncidentCircuitWatch
    outcomes: RecentOutcomes


def watch_incidents(
    settings: Settings, uow_factory: UnitOfWorkFactory, clock: Clock, secret: str
) -> IncidentWatch:
    webhook = build_incident_webhook(settings, secret)
    notifier: IncidentNotifier = webhook or SilentNotifier()
    watch = IncidentCircuitWatch(
        AutomaticIncidents(
            uow_factory,
            notifier,
            clock,
            resolve_after_seconds=settings.incident_resolve_after_seconds,
        ),
        get_logger("parley.incidents"),
    )
    return IncidentWatch(notifier, webhook, watch, RecentOutcomes())


def incident_services(
    infra: Infrastructure, incidents: IncidentWatch, catalog: ModelCatalog
) -> IncidentServices:
    settings, uow_factory, clock = infra.settings, infra.uow_factory, infra.clock
    notifier = incidents.notifier
    return IncidentServices(
        list=ListIncidents(uow_factory),
        get=GetIncident(uow_factory),
        create=CreateIncident(uow_factory, catalog, notifier, clock),
        change=ChangeIncident(uow_factory, notifier, clock),
        post_update=PostIncidentUpdate(uow_factory, notifier, clock),
        status=GetStatus(
            catalog,
            infra.breaker,
            incidents.outcomes,
            uow_factory,
            HealthRules(settings.status_degraded_error_ratio, settings.status_min_requests),
            cache_seconds=settings.status_cache_seconds,
        ),
    )


def incident_resolver(infra: Infrastructure, incidents: IncidentWatch) -> ResolveRecoveredIncidents:
    return ResolveRecoveredIncidents(
        infra.uow_factory,
        infra.breaker,
        incidents.notifier,
        infra.clock,
        resolve_after_seconds=infra.settings.incident_resolve_after_seconds,
    )


def build_incident_webhook(settings: Settings, secret: str) -> WebhookIncidentNotifier | None:
    """The signed incident webhook, when PARLEY_INCIDENT_WEBHOOK_URL is set. Its key is
    PARLEY_INCIDENT_WEBHOOK_SECRET, or else one derived from the instance secret."""
    if not settings.incident_webhook_url:
        return None
    configured = settings.incident_webhook_secret
    key = (
        configured.get_secret_value().encode("utf-8") if configured else derived_signing_key(secret)
    )
    return WebhookIncidentNotifier(
        settings.incident_webhook_url,
        key,
        get_logger("parley.incidents.webhook"),
        timeout_seconds=settings.incident_webhook_timeout_seconds,
        retries=settings.incident_webhook_retries,
        backoff_seconds=settings.incident_webhook_backoff_seconds,
    )
