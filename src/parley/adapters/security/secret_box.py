"""Provider API keys encrypted at rest with a key derived from the instance secret."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


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

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def open(self, token: str) -> str | None:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError, ValueError):
            return None
