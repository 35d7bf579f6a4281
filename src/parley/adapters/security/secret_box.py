"""Provider API keys encrypted at rest with a key derived from the instance secret."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Tokens kept opened (`FernetSecretBox.open`); past this many they are all dropped.
OPENED_MAX_ENTRIES = 1024


class FernetSecretBox:
    """Fernet (AES-128-CBC + HMAC-SHA256) under a key derived by HKDF-SHA256 from the instance
    secret. `purpose` separates keys, so a token sealed for one use cannot be opened by a box
    made for another, and the instance secret itself never becomes a cipher key."""

    def __init__(self, instance_secret: str, purpose: str = "parley/model-api-keys/v1") -> None:
        derived = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"parley-secret-box",
            info=purpose.encode("utf-8"),
        ).derive(instance_secret.encode("utf-8"))
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))
        self._opened: dict[str, str | None] = {}

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str | None:
        """The plaintext, or None when `token` was not sealed by this box. Each token is
        decrypted once: a model's stored key is opened on every request to it (~11 µs of
        HMAC and AES each time), and a changed key is a new token. The plaintexts stay in
        this process's memory, where each request put them anyway."""
        if token in self._opened:
            return self._opened[token]
        try:
            plaintext: str | None = self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            plaintext = None
        if len(self._opened) >= OPENED_MAX_ENTRIES:
            self._opened.clear()
        self._opened[token] = plaintext
        return plaintext
