"""Admin use cases for model configs, against in-memory fakes."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from parley.application.identity.context import ClientInfo
from parley.application.models.admin import (
    CreateModelConfig,
    DeleteModelConfig,
    UpdateModelConfig,
)
from parley.application.models.fields import ModelFields
from parley.application.models.queries import ListAvailableModels, ListModelConfigs
from parley.domain.errors import Conflict, ModelNameTaken, PermissionDenied, ValidationFailed
from parley.domain.models import ModelSource
from parley.domain.users import Role, Tier
from tests.unit.model_fakes import (
    FakeUnitOfWork,
    FixedClock,
    ReversibleBox,
    Store,
    make_catalog,
    principal,
)

CLIENT = ClientInfo("198.51.100.1", "tests")
ADMIN = principal()


def uow_factory(store: Store):  # type: ignore[no-untyped-def]
    return lambda: FakeUnitOfWork(store)


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
def use_cases(store: Store):  # type: ignore[no-untyped-def]
    catalog = make_catalog(store)
    factory = uow_factory(store)
    clock = FixedClock()
    box = ReversibleBox()
    return (
        CreateModelConfig(factory, catalog, box, clock),
        UpdateModelConfig(factory, catalog, box, clock),
        DeleteModelConfig(factory, catalog, clock),
        catalog,
    )


def fields(name: str = "m1", **overrides: object) -> ModelFields:
    return dataclasses.replace(
        ModelFields(name=name, provider="openai", upstream_model="gpt-x"),
        **overrides,  # type: ignore[arg-type]
    )


async def test_create_stores_the_key_sealed_and_audits_without_it(store, use_cases) -> None:
    create, *_ = use_cases
    model = await create(ADMIN, fields(), "sk-raw-secret", CLIENT)
    stored = store.models[model.id]
    assert stored.api_key_encrypted == ReversibleBox().seal("sk-raw-secret")
    assert stored.source is ModelSource.ADMIN
    assert [event.action for event in store.audit] == ["admin.model.created"]
    assert "sk-raw-secret" not in repr(store.audit)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"provider": "acme"}, "provider"),
        ({"name": "bad name!"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"context_window": 0}, "context_window"),
        ({"input_price_per_mtok": Decimal("-0.01")}, "input_price_per_mtok"),
        ({"output_price_per_mtok": Decimal("-1")}, "output_price_per_mtok"),
        ({"fallbacks": ("nope",)}, "fallbacks"),
        ({"fallbacks": ("m1",)}, "fallbacks"),
    ],
)
async def test_create_rejects_rule_breakers(store, use_cases, overrides, field) -> None:
    create, *_ = use_cases
    with pytest.raises(ValidationFailed) as caught:
        await create(ADMIN, fields(**overrides), None, CLIENT)
    assert field in [error.loc[-1] for error in caught.value.errors]
    assert store.models == {}


async def test_fallbacks_must_name_existing_models(store, use_cases) -> None:
    create, *_ = use_cases
    await create(ADMIN, fields("base"), None, CLIENT)
    model = await create(ADMIN, fields("m2", fallbacks=("base",)), None, CLIENT)
    assert model.fallbacks == ["base"]


async def test_both_secret_kinds_at_once_are_refused(use_cases) -> None:
    create, *_ = use_cases
    with pytest.raises(ValidationFailed):
        await create(ADMIN, fields(api_key_env="OPENAI_API_KEY"), "sk-x", CLIENT)


async def test_duplicate_name_is_a_conflict(use_cases) -> None:
    create, *_ = use_cases
    await create(ADMIN, fields(), None, CLIENT)
    with pytest.raises(ModelNameTaken):
        await create(ADMIN, fields(), None, CLIENT)


async def test_non_admins_are_refused_everywhere(store, use_cases) -> None:
    create, update, delete, _ = use_cases
    admin_made = await create(ADMIN, fields(), None, CLIENT)
    user = principal(Role.USER)
    with pytest.raises(PermissionDenied):
        await create(user, fields("m2"), None, CLIENT)
    with pytest.raises(PermissionDenied):
        await update(user, admin_made.id, {"enabled": False}, CLIENT)
    with pytest.raises(PermissionDenied):
        await delete(user, admin_made.id, CLIENT)
    with pytest.raises(PermissionDenied):
        await ListModelConfigs(uow_factory(store))(user)
    assert store.models[admin_made.id].enabled


async def test_update_applies_only_whitelisted_fields(store, use_cases) -> None:
    create, update, *_ = use_cases
    model = await create(ADMIN, fields(), None, CLIENT)
    changes = {
        "name": "renamed",
        "source": "env",
        "id": "x",
        "api_key_encrypted": "forged",
        "context_window": 4096,
    }
    updated = await update(ADMIN, model.id, changes, CLIENT)
    assert updated.name == "m1"
    assert updated.context_window == 4096
    assert updated.api_key_encrypted is None
    assert store.models[model.id].context_window == 4096


async def test_update_validates_like_create(use_cases) -> None:
    create, update, *_ = use_cases
    model = await create(ADMIN, fields(), None, CLIENT)
    with pytest.raises(ValidationFailed):
        await update(ADMIN, model.id, {"fallbacks": ["m1"]}, CLIENT)
    with pytest.raises(ValidationFailed):
        await update(ADMIN, model.id, {"provider": "acme"}, CLIENT)


async def test_an_edited_env_model_becomes_an_admin_model(store, use_cases) -> None:
    create, update, *_ = use_cases
    model = await create(ADMIN, fields(), None, CLIENT)
    store.models[model.id].source = ModelSource.ENV
    updated = await update(ADMIN, model.id, {"enabled": False}, CLIENT)
    assert updated.source is ModelSource.ADMIN


async def test_setting_a_key_replaces_the_env_reference_and_back(store, use_cases) -> None:
    create, update, *_ = use_cases
    model = await create(ADMIN, fields(api_key_env="OPENAI_API_KEY"), None, CLIENT)
    updated = await update(ADMIN, model.id, {}, CLIENT, api_key="sk-new")
    assert updated.api_key_env is None
    assert updated.api_key_encrypted == ReversibleBox().seal("sk-new")
    updated = await update(ADMIN, model.id, {"api_key_env": "OTHER_KEY"}, CLIENT)
    assert updated.api_key_encrypted is None
    assert updated.api_key_env == "OTHER_KEY"
    updated = await update(ADMIN, model.id, {"api_key_env": None}, CLIENT)
    assert not updated.has_api_key


async def test_a_model_named_as_a_fallback_cannot_be_deleted(store, use_cases) -> None:
    create, _, delete, _ = use_cases
    base = await create(ADMIN, fields("base"), None, CLIENT)
    dependent = await create(ADMIN, fields("m2", fallbacks=("base",)), None, CLIENT)
    with pytest.raises(Conflict):
        await delete(ADMIN, base.id, CLIENT)
    await delete(ADMIN, dependent.id, CLIENT)
    await delete(ADMIN, base.id, CLIENT)
    assert store.models == {}


async def test_available_models_follow_tier_and_enabled(use_cases) -> None:
    create, update, _, catalog = use_cases
    await create(ADMIN, fields("everyone"), None, CLIENT)
    await create(ADMIN, fields("paid", tiers=(Tier.PRO, Tier.ENTERPRISE)), None, CLIENT)
    off = await create(ADMIN, fields("off"), None, CLIENT)
    await update(ADMIN, off.id, {"enabled": False}, CLIENT)
    available = ListAvailableModels(catalog)
    assert [m.name for m in await available(principal(Role.USER, Tier.FREE))] == ["everyone"]
    assert [m.name for m in await available(principal(Role.USER, Tier.PRO))] == [
        "everyone",
        "paid",
    ]
