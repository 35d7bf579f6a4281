"""In-memory fakes of the ports the model use cases need."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Any, Self

from parley.adapters.memory.cache import MemoryCache
from parley.application.models.catalog import ModelCatalog
from parley.domain.audit import AuditEvent
from parley.domain.errors import ModelNameTaken
from parley.domain.identity import CredentialKind, Principal
from parley.domain.models import ModelConfig
from parley.domain.users import Role, Tier, UserStatus


@dataclass
class Store:
    """What the fake database holds; shared by every unit of work made from it."""

    models: dict[uuid.UUID, ModelConfig] = field(default_factory=dict)
    audit: list[AuditEvent] = field(default_factory=list)
    loads: int = 0


class FakeModelRepository:
    def __init__(self, staged: dict[uuid.UUID, ModelConfig], store: Store) -> None:
        self._staged = staged
        self._store = store

    async def add(self, model: ModelConfig) -> None:
        if any(other.name == model.name for other in self._staged.values()):
            raise ModelNameTaken()
        self._staged[model.id] = copy.deepcopy(model)

    async def get(self, model_id: uuid.UUID) -> ModelConfig | None:
        found = self._staged.get(model_id)
        return copy.deepcopy(found) if found else None

    async def get_by_name(self, name: str) -> ModelConfig | None:
        for model in self._staged.values():
            if model.name == name:
                return copy.deepcopy(model)
        return None

    async def list_all(self) -> Sequence[ModelConfig]:
        self._store.loads += 1
        return [copy.deepcopy(m) for m in sorted(self._staged.values(), key=lambda m: m.name)]

    async def update(self, model: ModelConfig) -> None:
        self._staged[model.id] = copy.deepcopy(model)

    async def delete(self, model_id: uuid.UUID) -> None:
        self._staged.pop(model_id, None)


class FakeAuditLog:
    def __init__(self, staged: list[AuditEvent]) -> None:
        self._staged = staged

    async def append(self, event: AuditEvent) -> None:
        self._staged.append(event)


class FakeUnitOfWork:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def __aenter__(self) -> Self:
        self._models = copy.deepcopy(self._store.models)
        self._audit: list[AuditEvent] = []
        self.models = FakeModelRepository(self._models, self._store)
        self.audit = FakeAuditLog(self._audit)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def commit(self) -> None:
        self._store.models = copy.deepcopy(self._models)
        self._store.audit.extend(self._audit)


class FixedClock:
    def __init__(self) -> None:
        self.at = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


class ReversibleBox:
    """Not encryption: enough to see that the use cases store what the box sealed."""

    def seal(self, plaintext: str) -> str:
        return "sealed:" + plaintext[::-1]

    def open(self, token: str) -> str | None:
        return token.removeprefix("sealed:")[::-1] if token.startswith("sealed:") else None


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def principal(role: Role = Role.ADMIN, tier: Tier = Tier.FREE) -> Principal:
    return Principal(uuid.uuid4(), role, tier, UserStatus.ACTIVE, CredentialKind.SESSION)


def make_catalog(
    store: Store,
    cache: MemoryCache | None = None,
    environ: dict[str, str] | None = None,
    monotonic: FakeMonotonic | None = None,
    **options: Any,
) -> ModelCatalog:
    return ModelCatalog(
        lambda: FakeUnitOfWork(store),  # type: ignore[arg-type,return-value]
        cache or MemoryCache(),
        ReversibleBox(),
        environ or {},
        monotonic=monotonic or FakeMonotonic(),
        **options,
    )


def model_config(name: str = "team-model", **fields: Any) -> ModelConfig:
    """A working model config (OpenAI-compatible, free tier, priced at zero); `fields`
    override any of it."""
    now = datetime.now(UTC)
    defaults: dict[str, Any] = {
        "id": uuid.uuid4(),
        "name": name,
        "provider": "openai",
        "upstream_model": name,
        "context_window": 8192,
        "input_price_per_mtok": Decimal(0),
        "output_price_per_mtok": Decimal(0),
        "tiers": [Tier.FREE],
        "fallbacks": [],
        "enabled": True,
        "created_at": now,
        "updated_at": now,
    }
    return ModelConfig(**{**defaults, **fields})
