from __future__ import annotations

import stat
from pathlib import Path

import pytest

from parley.adapters.security.instance_secret import InsecureSecret, load_or_create_secret


def test_secret_is_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = load_or_create_secret(None, tmp_path)
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode == 0o600
    assert len(first) >= 32
    assert load_or_create_secret(None, tmp_path) == first


@pytest.mark.parametrize("value", ["changeme", "please-change-me-now-please-change-me", "short"])
def test_placeholder_or_short_secrets_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(InsecureSecret):
        load_or_create_secret(value, tmp_path)


def test_a_configured_secret_is_used_as_given(tmp_path: Path) -> None:
    secret = "k" * 10 + "0123456789abcdefghijklmnopqrstuvwxyz"
    assert load_or_create_secret(secret, tmp_path) == secret
    assert not (tmp_path / "secret_key").exists()


def test_bcrypt_hashes_verify_and_are_upgraded_to_argon2id() -> None:
    import bcrypt

    from parley.adapters.security.passwords import Argon2PasswordHasher

    hasher = Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)
    legacy = bcrypt.hashpw(b"an imported password", bcrypt.gensalt(4)).decode()
    matches, upgraded = hasher.verify("an imported password", legacy)
    assert matches and upgraded is not None and upgraded.startswith("$argon2id$")
    assert hasher.verify("an imported password", upgraded) == (True, None)
    assert hasher.verify("wrong", legacy) == (False, None)
    assert hasher.verify("anything", "not-a-hash") == (False, None)
