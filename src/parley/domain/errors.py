"""Domain and application errors. They know nothing of HTTP: `parley.api.errors` maps them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class ParleyError(Exception):
    """Base of every error Parley raises on purpose. `detail` is safe to show to the caller."""

    detail: str = "An error occurred."

    def __init__(self, detail: str | None = None) -> None:
        if detail is not None:
            self.detail = detail
        super().__init__(self.detail)


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid input field: where (`loc`, e.g. ("body", "password")) and why."""

    loc: Sequence[str | int]
    message: str
    kind: str = "value_error"


class ValidationFailed(ParleyError):
    detail = "The request is not valid."

    def __init__(self, errors: Sequence[FieldError], detail: str | None = None) -> None:
        super().__init__(detail)
        self.errors = list(errors)


class NotFound(ParleyError):
    """The resource does not exist, or belongs to someone else (never say which)."""

    detail = "Not found."


class Conflict(ParleyError):
    detail = "The request conflicts with the current state."


class EmailTaken(Conflict):
    detail = "That email address is already registered."


class UsernameTaken(Conflict):
    detail = "That username is already taken."


class ModelNameTaken(Conflict):
    detail = "A model with that name already exists."


class LastActiveAdmin(Conflict):
    """The change would leave the installation without an active admin."""

    detail = (
        "This is the last active admin: promote another user to admin before demoting, "
        "suspending or deleting this one."
    )


class ToolNameTaken(Conflict):
    detail = "A tool with that name already exists."


class AuthenticationRequired(ParleyError):
    """No credentials, or credentials that are invalid, expired, revoked or of a blocked user."""

    detail = "Valid credentials are required."


class InvalidCredentials(AuthenticationRequired):
    """Login failed. One message whether the account exists or not."""

    detail = "Invalid login or password."


class RefreshTokenReused(AuthenticationRequired):
    detail = "This refresh token was already used; the session has been revoked."


class PermissionDenied(ParleyError):
    detail = "You do not have permission to do this."


class RegistrationClosed(PermissionDenied):
    detail = "Open registration is closed on this server; ask an administrator for an account."


class OutboundAddressRefused(PermissionDenied):
    """An outbound call (tool webhook, MCP server) named a private, loopback, link-local or
    metadata address, and no administrator allowed that host."""

    detail = "That address is not reachable from Parley."


class RateLimited(ParleyError):
    detail = "Too many requests."

    def __init__(
        self,
        retry_after: float,
        detail: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.retry_after = max(retry_after, 0.0)
        self.headers = dict(headers or {})


class PayloadTooLarge(ParleyError):
    detail = "The request body is too large."


class StorageQuotaExceeded(PayloadTooLarge):
    detail = "This upload would exceed your storage quota."


class UnsupportedMediaType(ParleyError):
    detail = "This type of file is not accepted."


class ServiceUnavailable(ParleyError):
    detail = "The service is temporarily unavailable."

    def __init__(self, detail: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


# --- model providers -----------------------------------------------------------------------


class ProviderError(ParleyError):
    """A model provider failed. `retryable` says whether trying again (before any byte was
    sent to the client) may help; `retry_after` is the provider's hint in seconds."""

    detail = "The model provider failed."
    retryable: bool = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """Connect error, 429 or 5xx from the provider, or an open circuit."""

    detail = "The model provider is unavailable."
    retryable = True


class ProviderTimeout(ProviderError):
    detail = "The model provider did not answer in time."
    retryable = True


class ProviderRejected(ProviderError):
    """The provider refused the request as invalid (a 400-class answer other than auth/429)."""

    detail = "The model provider rejected the request."


class ProviderAuthFailed(ProviderError):
    """The provider refused Parley's credentials: an operator problem, never retried."""

    detail = "The model provider refused the configured credentials."


class ProviderStreamBroken(ProviderError):
    """The provider's stream ended or broke before it said it was finished."""

    detail = "The model provider's stream broke off."
