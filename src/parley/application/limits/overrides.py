"""Per-user and per-key limit overrides: stored in the database, read through the cache."""

from __future__ import annotations

from uuid import UUID

from parley.application.ports.cache import Cache
from parley.application.ports.unit_of_work import UnitOfWorkFactory
from parley.application.singleflight import SingleFlight
from parley.domain.limits import LimitOverride

OVERRIDE_TTL_SECONDS = 5.0


class CachedLimitOverrides:
    """Overrides change rarely and are read on every chat request: each is cached for a few
    seconds (and dropped from the cache at once when an operator changes it)."""

    def __init__(self, uow_factory: UnitOfWorkFactory, cache: Cache) -> None:
        self._uow_factory = uow_factory
        self._cache = cache
        self._loads: SingleFlight[str, dict[str, object]] = SingleFlight()

    async def for_user(self, user_id: UUID) -> LimitOverride | None:
        return await self._load("user", user_id)

    async def for_api_key(self, api_key_id: UUID) -> LimitOverride | None:
        return await self._load("api_key", api_key_id)

    async def _load(self, subject_type: str, subject_id: UUID) -> LimitOverride | None:
        key = f"limits:{subject_type}:{subject_id}"
        cached = await self._cache.get(key)
        if cached is None:

            async def load() -> dict[str, object]:
                async with self._uow_factory() as uow:
                    found = await uow.limit_overrides.get(subject_type, subject_id) or {}
                await self._cache.set(key, found, OVERRIDE_TTL_SECONDS)
                return found

            cached = await self._loads.do(key, load)
        return LimitOverride.from_mapping(cached) if cached else None

    async def forget(self, subject_type: str, subject_id: UUID) -> None:
        await self._cache.delete(f"limits:{subject_type}:{subject_id}")
