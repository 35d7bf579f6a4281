"""The model catalog the chat path reads on every request: configs from memory, refreshed
when any replica changes them."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Mapping, Sequence

from parley.application.ports.cache import Cache
from parley.application.ports.secrets import SecretBox
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.domain.errors import ProviderAuthFailed
from parley.domain.models import ModelConfig
from parley.domain.users import Tier

VERSION_KEY = "models:version"
VERSION_TTL_SECONDS = 7 * 24 * 3600.0


class ModelCatalog:
    """Every model config, held in process.

    A change made through this process (`invalidate()`, called by the use cases after they
    commit) is seen at once. Other replicas learn of it through a version token in the shared
    cache, read at most every `check_seconds`; `max_age_seconds` bounds staleness even if the
    shared cache lost the token. Returned configs are shared: treat them as read-only.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        cache: Cache,
        box: SecretBox,
        environ: Mapping[str, str],
        *,
        check_seconds: float = 1.0,
        max_age_seconds: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._uow_factory = uow_factory
        self._cache = cache
        self._box = box
        self._environ = environ
        self._check_seconds = check_seconds
        self._max_age = max_age_seconds
        self._monotonic = monotonic
        self._lock = asyncio.Lock()
        self._by_name: dict[str, ModelConfig] | None = None
        self._version: object = None
        self._loaded_at = 0.0
        self._checked_at = 0.0
        self._generation = 0

    async def get(self, name: str) -> ModelConfig | None:
        """The config named `name`, enabled or not; None when there is none."""
        return (await self._snapshot()).get(name)

    async def all(self) -> Sequence[ModelConfig]:
        """Every config, ordered by name."""
        snapshot = await self._snapshot()
        return [snapshot[name] for name in sorted(snapshot)]

    async def available_to(self, tier: Tier) -> list[ModelConfig]:
        """The enabled configs `tier` may use, ordered by name."""
        return [model for model in await self.all() if model.allows(tier)]

    async def invalidate(self) -> None:
        """Forget the snapshot here and tell every replica to reload. Call after committing a
        change to the configs."""
        self._generation += 1
        self._by_name = None
        with contextlib.suppress(Exception):  # the max age still bounds other replicas' lag
            await self._cache.set(VERSION_KEY, uuid.uuid4().hex, VERSION_TTL_SECONDS)

    def resolve_api_key(self, model: ModelConfig) -> str | None:
        """The provider secret for `model`: the stored one, else the named environment
        variable's value; None when the config names no secret. Raises `ProviderAuthFailed`
        when a named secret cannot be had (variable unset, or a stored key that no longer
        opens, e.g. after the instance secret changed)."""
        if model.api_key_encrypted is not None:
            secret = self._box.open(model.api_key_encrypted)
            if secret is None:
                raise ProviderAuthFailed(
                    f"The stored API key of model {model.name!r} cannot be read; an "
                    "administrator must set it again."
                )
            return secret
        if model.api_key_env is not None:
            value = self._environ.get(model.api_key_env, "").strip()
            if not value:
                raise ProviderAuthFailed(
                    f"Model {model.name!r} needs the environment variable "
                    f"{model.api_key_env}, which is not set."
                )
            return value
        return None

    async def _snapshot(self) -> dict[str, ModelConfig]:
        snapshot = self._by_name
        if snapshot is not None and self._monotonic() - self._checked_at < self._check_seconds:
            return snapshot
        async with self._lock:
            if self._by_name is None or await self._stale():
                return await self._load()
            return self._by_name

    async def _stale(self) -> bool:
        now = self._monotonic()
        if now - self._checked_at < self._check_seconds:
            return False  # another task checked while this one waited for the lock
        self._checked_at = now
        if now - self._loaded_at >= self._max_age:
            return True
        return await self._shared_version() != self._version

    async def _shared_version(self) -> object:
        try:
            return await self._cache.get(VERSION_KEY)
        except Exception:
            return self._version  # shared cache down: keep serving; the max age still applies

    async def _load(self) -> dict[str, ModelConfig]:
        # Read the version first: a change committed during the load bumps it afterwards,
        # so the next check reloads instead of keeping a snapshot that missed it.
        version = await self._shared_version()
        generation = self._generation
        async with self._uow_factory() as uow:
            models = await uow.models.list_all()
        by_name = {model.name: model for model in models}
        if generation == self._generation:  # keep it only if no invalidate() raced the load
            self._by_name = by_name
            self._version = version
            self._loaded_at = self._checked_at = self._monotonic()
        return by_name
