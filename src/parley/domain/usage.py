"""One chat request's accounting: who, which model, how many tokens, what it cost, how it went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID


class UsageStatus(StrEnum):
    SUCCESS = "success"
    ERROR = "error"
    INCOMPLETE = "incomplete"
    CANCELLED = "cancelled"


class UsageRecord(NamedTuple):
    """What one model call used: written for every request, read once, by the usage store.
    A named tuple (immutable, like the frozen dataclasses beside it) because one is built
    per request, and a frozen dataclass of 17 fields costs ~15k instructions to build."""

    id: UUID
    at: datetime
    user_id: UUID
    endpoint: str
    requested_model: str
    status: UsageStatus
    prompt_tokens: int = 0
    completion_tokens: int = 0
    tokens_estimated: bool = False
    cost: Decimal = Decimal(0)
    api_key_id: UUID | None = None
    conversation_id: UUID | None = None
    served_model: str | None = None
    provider: str | None = None
    latency_ms: float | None = None
    ttft_ms: float | None = None
    error_type: str | None = None


@dataclass(frozen=True, slots=True)
class UsageRow:
    """One line of a usage report: `key` is a user id, a model name or a day."""

    key: str
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost: Decimal


@dataclass(frozen=True, slots=True)
class UsageQuery:
    group_by: str  # "user" | "model" | "day"
    start: date | None = None
    end: date | None = None
    user_id: UUID | None = None
