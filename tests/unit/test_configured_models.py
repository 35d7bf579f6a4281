"""Startup registration of the echo model, environment providers and models-file entries."""

from __future__ import annotations

import dataclasses

import pytest

from parley.application.models.configured import (
    ECHO_MODEL,
    ConfiguredModel,
    SyncConfiguredModels,
    merge_declarations,
    models_from_environment,
)
from parley.application.models.fields import ModelFields
from parley.domain.errors import ValidationFailed
from parley.domain.models import ModelSource
from parley.domain.users import Tier
from tests.unit.model_fakes import FakeUnitOfWork, FixedClock, Store, make_catalog


def names(declared: list[ConfiguredModel]) -> list[str]:
    return [item.fields.name for item in declared]


def test_echo_alone_without_provider_environment() -> None:
    assert names(models_from_environment({}, ["llama3.2"])) == ["echo"]
    echo = ECHO_MODEL.fields
    assert (echo.provider, echo.upstream_model, echo.context_window) == ("echo", "echo", 8192)
    assert set(echo.tiers) == set(Tier)
    assert echo.input_price_per_mtok == echo.output_price_per_mtok == 0


def test_environment_providers() -> None:
    environ = {
        "OPENAI_API_KEY": "sk-o",
        "OPENAI_BASE_URL": "http://proxy.example/v1",
        "ANTHROPIC_API_KEY": "sk-a",
        "OLLAMA_BASE_URL": "http://127.0.0.1:11434",
    }
    declared = models_from_environment(environ, ["llama3.2", "qwen2.5"])
    assert names(declared) == [
        "echo",
        "gpt-4o-mini",
        "gpt-4o",
        "claude-sonnet-4",
        "ollama/llama3.2",
        "ollama/qwen2.5",
    ]
    by_name = {item.fields.name: item.fields for item in declared}
    assert by_name["gpt-4o"].base_url == "http://proxy.example/v1"
    assert by_name["gpt-4o"].api_key_env == "OPENAI_API_KEY"
    assert by_name["claude-sonnet-4"].api_key_env == "ANTHROPIC_API_KEY"
    assert by_name["ollama/qwen2.5"].upstream_model == "qwen2.5"
    assert all("sk-" not in repr(fields) for fields in by_name.values())


def test_the_file_overrides_the_environment_by_name() -> None:
    mine = ConfiguredModel(
        ModelFields(name="echo", provider="echo", upstream_model="echo", context_window=99),
        ModelSource.FILE,
        "file",
    )
    merged = merge_declarations([ECHO_MODEL], [mine])
    assert [item.fields.context_window for item in merged] == [99]


def declared(name: str, source: ModelSource = ModelSource.FILE, **kw: object) -> ConfiguredModel:
    fields = ModelFields(name=name, provider="ollama", upstream_model=name)
    return ConfiguredModel(dataclasses.replace(fields, **kw), source, f"entry {name}")  # type: ignore[arg-type]


@pytest.fixture
def store() -> Store:
    return Store()


def syncer(store: Store) -> SyncConfiguredModels:
    return SyncConfiguredModels(lambda: FakeUnitOfWork(store), make_catalog(store), FixedClock())  # type: ignore[arg-type,return-value]


def stored(store: Store) -> dict[str, object]:
    return {model.name: model for model in store.models.values()}


async def test_creates_then_updates_env_and_file_models(store: Store) -> None:
    sync = syncer(store)
    report = await sync([ECHO_MODEL, declared("a")])
    assert sorted(report.created) == ["a", "echo"]
    assert stored(store)["a"].source is ModelSource.FILE  # type: ignore[attr-defined]
    report = await sync([ECHO_MODEL, declared("a", context_window=2048)])
    assert report.updated == ["a"]
    assert stored(store)["a"].context_window == 2048  # type: ignore[attr-defined]
    report = await sync([ECHO_MODEL, declared("a", context_window=2048)])
    assert report.created == report.updated == []


async def test_never_overwrites_admin_models(store: Store) -> None:
    sync = syncer(store)
    await sync([declared("a")])
    model = next(iter(store.models.values()))
    model.source = ModelSource.ADMIN
    model.context_window = 1
    report = await sync([declared("a", context_window=2048)])
    assert report.kept_admin == ["a"]
    assert stored(store)["a"].context_window == 1  # type: ignore[attr-defined]


async def test_disables_models_no_longer_declared(store: Store) -> None:
    sync = syncer(store)
    await sync([ECHO_MODEL, declared("a")])
    report = await sync([ECHO_MODEL])
    assert report.disabled == ["a"]
    assert not stored(store)["a"].enabled  # type: ignore[attr-defined]
    await sync([ECHO_MODEL, declared("a")])
    assert stored(store)["a"].enabled  # type: ignore[attr-defined]


async def test_fallbacks_may_name_other_declared_models(store: Store) -> None:
    await syncer(store)([declared("a", fallbacks=("echo",)), ECHO_MODEL])
    assert stored(store)["a"].fallbacks == ["echo"]  # type: ignore[attr-defined]


async def test_a_bad_declaration_names_its_origin(store: Store) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await syncer(store)([ECHO_MODEL, declared("a", fallbacks=("ghost",))])
    assert "entry a" in caught.value.detail
    assert "ghost" in caught.value.detail
    assert store.models == {}
