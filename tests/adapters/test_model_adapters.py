"""The SQL model repository (both databases), the secret box and the models file."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from parley.adapters.config.models_file import ModelsFileError, load_models_file
from parley.adapters.security import secret_box
from parley.adapters.security.secret_box import FernetSecretBox
from parley.adapters.sql.engine import create_engine
from parley.adapters.sql.uow import SqlUnitOfWork
from parley.domain.errors import ModelNameTaken
from parley.domain.models import ModelConfig, ModelSource, Timeouts
from parley.domain.users import Tier

SECRET = "an-instance-secret-that-is-long-enough-0123456789"


def a_model(name: str = "m1") -> ModelConfig:
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return ModelConfig(
        id=uuid.uuid4(),
        name=name,
        provider="openai",
        upstream_model="gpt-x",
        context_window=128_000,
        input_price_per_mtok=Decimal("0.15"),
        output_price_per_mtok=Decimal("123456.000001"),
        tiers=[Tier.PRO, Tier.ENTERPRISE],
        fallbacks=["echo"],
        enabled=True,
        created_at=now,
        updated_at=now,
        base_url="https://api.example/v1",
        api_key_env="OPENAI_API_KEY",
        params={"temperature": 0.2, "nested": {"a": [1, 2]}},
        timeouts=Timeouts(connect=1.5, first_token=2, idle=3, total=4),
        owned_by="openai",
        source=ModelSource.FILE,
    )


async def test_repository_round_trips_every_field(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        model = a_model()
        async with SqlUnitOfWork(engine) as uow:
            await uow.models.add(model)
            await uow.commit()
        async with SqlUnitOfWork(engine) as uow:
            assert await uow.models.get(model.id) == model
            assert await uow.models.get_by_name("m1") == model
            assert await uow.models.get_by_name("M1") is None
        model.enabled = False
        model.input_price_per_mtok = Decimal("2.5")
        async with SqlUnitOfWork(engine) as uow:
            await uow.models.update(model)
            await uow.commit()
        async with SqlUnitOfWork(engine) as uow:
            loaded = await uow.models.get(model.id)
            assert loaded is not None
            assert not loaded.enabled
            assert loaded.input_price_per_mtok == Decimal("2.5")
            with pytest.raises(ModelNameTaken):
                await uow.models.add(a_model())
        async with SqlUnitOfWork(engine) as uow:
            await uow.models.delete(model.id)
            await uow.commit()
        async with SqlUnitOfWork(engine) as uow:
            assert await uow.models.list_all() == []
    finally:
        await engine.dispose()


def test_secret_box_round_trip_and_refusals() -> None:
    box = FernetSecretBox(SECRET)
    token = box.seal("sk-very-secret")
    assert "sk-very-secret" not in token
    assert box.open(token) == "sk-very-secret"
    assert FernetSecretBox(SECRET).open(token) == "sk-very-secret"
    assert FernetSecretBox(SECRET + "x").open(token) is None
    assert FernetSecretBox(SECRET, purpose="other").open(token) is None
    assert box.open(token[:-4] + "AAAA") is None
    assert box.open("not a token") is None


def test_a_stored_key_is_decrypted_once_per_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opened on every request to its model: decrypted once, then from memory; a new token
    (a changed key) is decrypted afresh; a token that does not open stays refused."""
    box = FernetSecretBox(SECRET)
    first, second = box.seal("sk-one"), box.seal("sk-two")
    decrypts: list[bytes] = []
    fernet = box._fernet
    decrypt = fernet.decrypt
    monkeypatch.setattr(fernet, "decrypt", lambda token: decrypts.append(token) or decrypt(token))
    assert [box.open(first) for _ in range(3)] == ["sk-one"] * 3
    assert box.open(second) == "sk-two"
    assert [box.open("not a token") for _ in range(2)] == [None, None]
    assert len(decrypts) == 3
    monkeypatch.setattr(secret_box, "OPENED_MAX_ENTRIES", 2)
    box.open(box.seal("sk-three"))  # past the bound: the kept tokens are dropped
    assert box.open(first) == "sk-one"
    assert len(decrypts) == 5


YAML = """
models:
  - name: local/llama
    provider: ollama
    upstream_model: llama3.2
    base_url: http://127.0.0.1:11434
    tiers: [free]
    fallbacks: [echo]
    input_price_per_mtok: 0.1
    timeouts: {total: 30}
  - name: second
    provider: openai-compatible
    upstream_model: x
"""

TOML = """
[[models]]
name = "local/llama"
provider = "ollama"
upstream_model = "llama3.2"
base_url = "http://127.0.0.1:11434"
tiers = ["free"]
fallbacks = ["echo"]
input_price_per_mtok = 0.1
timeouts = { total = 30 }

[[models]]
name = "second"
provider = "openai-compatible"
upstream_model = "x"
"""


@pytest.mark.parametrize(("suffix", "text"), [(".yaml", YAML), (".toml", TOML)])
def test_models_file_yaml_and_toml(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"models{suffix}"
    path.write_text(text)
    declared = load_models_file(path)
    assert [item.fields.name for item in declared] == ["local/llama", "second"]
    first = declared[0]
    assert first.source is ModelSource.FILE
    assert first.fields.tiers == (Tier.FREE,)
    assert first.fields.fallbacks == ("echo",)
    assert first.fields.input_price_per_mtok == Decimal("0.1")
    assert first.fields.timeouts.total == 30
    assert first.fields.timeouts.connect == Timeouts().connect
    assert str(path) in first.origin


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models:\n  - name: a\n    provider: echo\n", ["entry 1", "'a'", "upstream_model"]),
        (
            "models:\n  - {name: a, provider: echo, upstream_model: e}\n"
            "  - {name: b, provider: echo, upstream_model: e, tiers: [gold]}\n",
            ["entry 2", "'b'", "tiers"],
        ),
        (
            "models:\n  - {name: a, provider: echo, upstream_model: e, colour: red}\n",
            ["entry 1", "colour"],
        ),
        (
            "models:\n  - {name: a, provider: echo, upstream_model: e}\n" * 1
            + "  - {name: a, provider: echo, upstream_model: e}\n",
            ["'a'", "twice"],
        ),
        ("nothing: here\n", ["models"]),
        ("models: [\n", ["not valid"]),
    ],
)
def test_bad_models_file_names_file_and_entry(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    path = tmp_path / "models.yml"
    path.write_text(text)
    with pytest.raises(ModelsFileError) as caught:
        load_models_file(path)
    message = str(caught.value)
    assert str(path) in message
    for fragment in expected:
        assert fragment in message


def test_models_file_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelsFileError, match="yaml"):
        (tmp_path / "m.json").write_text("{}")
        load_models_file(tmp_path / "m.json")
    with pytest.raises(ModelsFileError, match="cannot be read"):
        load_models_file(tmp_path / "absent.yaml")
