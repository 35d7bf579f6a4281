"""Opaque secrets: how they are made, shown and stored (only as hashes)."""

from __future__ import annotations

import hashlib
import secrets

API_KEY_PREFIX = "pk-"
REFRESH_TOKEN_PREFIX = "prt_"
VISIBLE_PREFIX_LENGTH = 11  # "pk-" and 8 characters: enough to recognise a key in a list


def hash_secret(secret: str) -> str:
    """SHA-256 hex. The secrets hashed here carry 256 random bits, so a fast hash is safe and
    keeps the per-request lookup cheap (unlike passwords, which get Argon2id)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> tuple[str, str, str]:
    """(key, visible prefix, hash)."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:VISIBLE_PREFIX_LENGTH], hash_secret(key)


def new_refresh_token() -> tuple[str, str]:
    """(token, hash)."""
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, hash_secret(token)


def looks_like_api_key(credential: str) -> bool:
    return credential.startswith(API_KEY_PREFIX)
