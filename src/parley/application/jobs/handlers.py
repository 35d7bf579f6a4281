"""What a job kind does, and which failures are worth another attempt."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from parley.domain.errors import NotFound, ParleyError, PermissionDenied, ValidationFailed
from parley.domain.jobs import Job


class JobHandler(Protocol):
    """Runs one job of its kind and returns the result to store (JSON-serialisable).

    Raising fails this attempt: the job is retried with backoff unless the error is
    permanent (see `is_permanent`). A handler may run more than once for one job (its
    worker died mid-run), so it must be safe to repeat."""

    async def __call__(self, job: Job) -> Mapping[str, Any]: ...


class JobAbandoned(ParleyError):
    """A job that can never succeed (its input is gone or invalid): no retry."""

    detail = "The job cannot be completed."


def is_permanent(error: BaseException) -> bool:
    """Retrying cannot help: the thing is gone, forbidden or malformed."""
    return isinstance(error, JobAbandoned | NotFound | PermissionDenied | ValidationFailed)


def describe(error: BaseException) -> str:
    """The error as stored on the job: the domain message, or the exception's type and text."""
    if isinstance(error, ParleyError):
        return f"{type(error).__name__}: {error.detail}"
    return f"{type(error).__name__}: {error}"
