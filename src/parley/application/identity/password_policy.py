"""What a password must be."""

from __future__ import annotations

from parley.domain.errors import FieldError, ValidationFailed

MIN_LENGTH = 8
MAX_LENGTH = 128


class PasswordPolicy:
    """8 to 128 characters, and not one of the commonly used passwords it was given."""

    def __init__(self, common_passwords: frozenset[str]) -> None:
        self._common = common_passwords

    def check(self, password: str, field: str = "password") -> None:
        """Raises `ValidationFailed` naming `field` when the password is not acceptable."""
        problem: str | None = None
        if len(password) < MIN_LENGTH:
            problem = f"Password must be at least {MIN_LENGTH} characters."
        elif len(password) > MAX_LENGTH:
            problem = f"Password must be at most {MAX_LENGTH} characters."
        elif password.lower() in self._common:
            problem = "This password is too common; choose another."
        if problem:
            raise ValidationFailed([FieldError(("body", field), problem)], problem)
