"""The instance secret: from the environment, or generated on first run and kept on disk."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE_NAME = "secret_key"
MIN_LENGTH = 32
PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "your-secret-key",
        "your_secret_key",
        "please-change-me",
        "replace-me",
        "insecure",
        "development",
        "test",
        "parley",
    }
)


class InsecureSecret(ValueError):
    """The configured secret is a placeholder or too short to sign tokens safely."""


def check_secret(value: str) -> str:
    stripped = value.strip()
    if stripped.lower() in PLACEHOLDERS or (
        "change" in stripped.lower() and "me" in stripped.lower()
    ):
        raise InsecureSecret("PARLEY_SECRET_KEY is a placeholder value; set a random secret.")
    if len(stripped) < MIN_LENGTH:
        raise InsecureSecret(f"PARLEY_SECRET_KEY must be at least {MIN_LENGTH} characters.")
    return stripped


def load_or_create_secret(configured: str | None, data_dir: Path) -> str:
    """The configured secret if given (refused when it is a placeholder), else the one in
    `data_dir/secret_key`, created with 0600 permissions on first run."""
    if configured:
        return check_secret(configured)
    path = data_dir / SECRET_FILE_NAME
    if path.exists():
        return check_secret(path.read_text("utf-8"))
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return check_secret(path.read_text("utf-8"))
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value)
    return value
