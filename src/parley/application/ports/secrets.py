"""Keeping small secrets (provider API keys) encrypted at rest."""

from __future__ import annotations

from typing import Protocol


class SecretBox(Protocol):
    """Authenticated symmetric encryption under a key only this installation holds."""

    def seal(self, plaintext: str) -> str:
        """An opaque ASCII token that only `open` with the same instance secret can read."""
        ...

    def open(self, token: str) -> str | None:
        """The plaintext, or None when the token was not sealed by this box (tampered, or the
        instance secret changed since)."""
        ...
