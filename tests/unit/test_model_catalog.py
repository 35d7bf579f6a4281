"""The model catalog: served from memory, refreshed on change, here and on other replicas."""

from __future__ import annotations

import pytest

from parley.adapters.memory.cache import MemoryCache
from parley.application.identity.context import ClientInfo
from parley.application.models.admin import CreateModelConfig, UpdateModelConfig
from parley.application.models.fields import ModelFields
from parley.domain.errors import ProviderAuthFailed
from parley.domain.models import ModelConfig
from tests.unit.model_fakes import (
    FakeMonotonic,
    FakeUnitOfWork,
    FixedClock,
    ReversibleBox,
    Store,
    make_catalog,
    principal,
)

ADMIN = principal()
CLIENT = ClientInfo()


async def _create(store: Store, catalog, name: str = "m1", **kwargs) -> ModelConfig:  # type: ignore[no-untyped-def]
    create = CreateModelConfig(
        lambda: FakeUnitOfWork(store), catalog, ReversibleBox(), FixedClock()
    )
    return await create(
        ADMIN, ModelFields(name=name, provider="openai", upstream_model="u", **kwargs), None, CLIENT
    )


async def test_reads_are_served_from_memory() -> None:
    store = Store()
    catalog = make_catalog(store)
    await _create(store, catalog)
    for _ in range(50):
        assert (await catalog.get("m1")) is not None
    assert await catalog.get("missing") is None
    assert store.loads == 2  # one for the create's fallback check, one catalog load


async def test_a_change_here_is_seen_at_once() -> None:
    store = Store()
    catalog = make_catalog(store)
    model = await _create(store, catalog)
    assert (await catalog.get("m1")).context_window == 8192  # type: ignore[union-attr]
    update = UpdateModelConfig(
        lambda: FakeUnitOfWork(store), catalog, ReversibleBox(), FixedClock()
    )
    await update(ADMIN, model.id, {"context_window": 1024}, CLIENT)
    assert (await catalog.get("m1")).context_window == 1024  # type: ignore[union-attr]


async def test_another_replica_sees_a_change_after_its_check_interval() -> None:
    store, shared = Store(), MemoryCache()
    clock_a, clock_b = FakeMonotonic(), FakeMonotonic()
    replica_a = make_catalog(store, shared, monotonic=clock_a, check_seconds=1.0)
    replica_b = make_catalog(store, shared, monotonic=clock_b, check_seconds=1.0)
    model = await _create(store, replica_a)
    assert (await replica_b.get("m1")).enabled  # type: ignore[union-attr]
    update = UpdateModelConfig(
        lambda: FakeUnitOfWork(store), replica_a, ReversibleBox(), FixedClock()
    )
    await update(ADMIN, model.id, {"enabled": False}, CLIENT)
    assert (await replica_b.get("m1")).enabled  # type: ignore[union-attr]  # within the interval
    clock_b.now += 1.5
    assert not (await replica_b.get("m1")).enabled  # type: ignore[union-attr]


async def test_no_reload_when_nothing_changed() -> None:
    store = Store()
    clock = FakeMonotonic()
    catalog = make_catalog(store, monotonic=clock, check_seconds=1.0, max_age_seconds=30.0)
    await _create(store, catalog)
    await catalog.get("m1")
    loads = store.loads
    clock.now += 5
    await catalog.get("m1")
    assert store.loads == loads
    clock.now += 30
    await catalog.get("m1")
    assert store.loads == loads + 1  # the max age forces a reload


def _model(**kwargs) -> ModelConfig:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime
    from decimal import Decimal
    from uuid import uuid4

    now = datetime.now(UTC)
    values = {
        "id": uuid4(),
        "name": "m",
        "provider": "openai",
        "upstream_model": "u",
        "context_window": 1,
        "input_price_per_mtok": Decimal(0),
        "output_price_per_mtok": Decimal(0),
        "tiers": [],
        "fallbacks": [],
        "enabled": True,
        "created_at": now,
        "updated_at": now,
    }
    values.update(kwargs)
    return ModelConfig(**values)


def test_resolve_api_key() -> None:
    catalog = make_catalog(Store(), environ={"MY_KEY": "sk-from-env"})
    assert catalog.resolve_api_key(_model()) is None
    assert catalog.resolve_api_key(_model(api_key_env="MY_KEY")) == "sk-from-env"
    sealed = ReversibleBox().seal("sk-stored")
    assert catalog.resolve_api_key(_model(api_key_encrypted=sealed)) == "sk-stored"
    with pytest.raises(ProviderAuthFailed) as caught:
        catalog.resolve_api_key(_model(api_key_env="UNSET_KEY"))
    assert "UNSET_KEY" in caught.value.detail
    with pytest.raises(ProviderAuthFailed):
        catalog.resolve_api_key(_model(api_key_encrypted="garbage"))
