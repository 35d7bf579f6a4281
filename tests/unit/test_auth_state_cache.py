"""The auth state cache decodes a cached entry once, and afresh whenever it changes."""

from __future__ import annotations

import copy
import uuid
from typing import Any, cast

import pytest

from parley.adapters.memory.cache import MemoryCache
from parley.application.identity import auth_state
from parley.application.identity.auth_state import AuthStateCache
from parley.domain.users import Role, Tier, UserStatus

ACTIVE = {"role": "user", "tier": "free", "status": "active"}


class CopyingCache(MemoryCache):
    """A cache that hands back copies (as a shared cache, which deserializes every read)."""

    async def get(self, key: str) -> Any | None:
        return copy.deepcopy(await super().get(key))


def _no_database() -> Any:
    raise AssertionError("every state here is in the cache")


def states(cache: MemoryCache) -> AuthStateCache:
    return AuthStateCache(cache, cast(Any, _no_database), ttl_seconds=60)


async def test_an_unchanged_entry_is_decoded_once() -> None:
    cache = MemoryCache()
    user_id = uuid.uuid4()
    await cache.set(f"auth:user:{user_id}", dict(ACTIVE), 60)
    cached = states(cache)
    first = await cached.user(user_id)
    assert first is await cached.user(user_id)
    assert first is not None and (first.role, first.tier) == (Role.USER, Tier.FREE)


async def test_a_changed_entry_is_decoded_again_at_once() -> None:
    cache = MemoryCache()
    user_id = uuid.uuid4()
    key = f"auth:user:{user_id}"
    await cache.set(key, dict(ACTIVE), 60)
    cached = states(cache)
    assert (await cached.user(user_id)) is not None
    await cache.set(key, {**ACTIVE, "status": "suspended"}, 60)  # what a suspension writes
    after = await cached.user(user_id)
    assert after is not None and after.status is UserStatus.SUSPENDED


async def test_a_revoked_api_key_is_seen_at_once() -> None:
    cache = MemoryCache()
    key_id, user_id = uuid.uuid4(), uuid.uuid4()
    entry = {"id": str(key_id), "user_id": str(user_id), "active": True, "expires_at": None}
    await cache.set("auth:apikey:h", entry, 60)
    cached = states(cache)
    before = await cached.api_key("h")
    assert before is not None and before.active and before.user_id == user_id
    await cache.set("auth:apikey:h", {**entry, "active": False}, 60)
    after = await cached.api_key("h")
    assert after is not None and not after.active


async def test_copies_from_a_shared_cache_are_decoded_each_time_and_still_right() -> None:
    cache = CopyingCache()
    user_id = uuid.uuid4()
    await cache.set(f"auth:user:{user_id}", dict(ACTIVE), 60)
    cached = states(cache)
    first, second = await cached.user(user_id), await cached.user(user_id)
    assert first == second and first is not second


async def test_decoded_states_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth_state, "DECODED_MAX_ENTRIES", 3)
    cache = MemoryCache()
    cached = states(cache)
    for _ in range(10):
        user_id = uuid.uuid4()
        await cache.set(f"auth:user:{user_id}", dict(ACTIVE), 60)
        assert await cached.user(user_id) is not None
        assert len(cached._decoded) <= 3
