"""Argon2id password hashes (bcrypt hashes still verify, and are upgraded)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pwdlib.hashers.bcrypt import BcryptHasher


class Argon2PasswordHasher:
    """Argon2id with the library's recommended parameters; bcrypt only verifies."""

    def __init__(self, *, time_cost: int | None = None, memory_cost_kib: int | None = None) -> None:
        # `Any`: mypy checks a `**dict` against every keyword, `type` (an enum) included.
        argon2_options: dict[str, Any] = {}
        if time_cost is not None:
            argon2_options["time_cost"] = time_cost
        if memory_cost_kib is not None:
            argon2_options["memory_cost"] = memory_cost_kib
        self._hash = PasswordHash((Argon2Hasher(**argon2_options), BcryptHasher()))
        self._dummy = self._hash.hash("parley-dummy-password-for-timing")

    def hash(self, password: str) -> str:
        return self._hash.hash(password)

    def verify(self, password: str, password_hash: str) -> tuple[bool, str | None]:
        try:
            return self._hash.verify_and_update(password, password_hash)
        except Exception:  # an unrecognised or corrupt stored hash never matches
            return False, None

    def verify_dummy(self, password: str) -> None:
        self._hash.verify(password, self._dummy)


def load_common_passwords() -> frozenset[str]:
    """The shipped list of commonly used passwords, lower-cased."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())
