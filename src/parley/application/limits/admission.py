"""Admitting a chat request against its limits: reserve an estimate up front, settle with
the real usage at the end (also when the stream fails or the client leaves)."""

from __future__ import annotations

import calendar
import functools
import math
import time
from dataclasses import dataclass, field
from decimal import Decimal

from parley.application.ports.limits import Claim, LimitOverrides, QuotaStore, Settlement
from parley.application.ports.metrics import ChatMetrics
from parley.domain.errors import RateLimited
from parley.domain.identity import Principal
from parley.domain.ids import uuid7
from parley.domain.limits import LimitPolicy
from parley.domain.models import ModelConfig
from parley.domain.users import Tier
from parley.domain.values import cheap_init

MINUTE, DAY = 60, 86_400
MICROS = Decimal(1_000_000)
UNLIMITED = LimitPolicy()


@cheap_init
@dataclass(frozen=True, slots=True)
class Subject:
    """Whose counters a policy is enforced on: the user, or one of their keys."""

    key: str
    policy: LimitPolicy


@dataclass
class Admission:
    """What was reserved for one request; `settle` gives back the difference."""

    max_output_tokens: int | None
    headers: dict[str, str]
    reserved_tokens: int = 0
    reserved_micros: int = 0
    token_keys: list[tuple[str, float]] = field(default_factory=list)
    budget_keys: list[tuple[str, float]] = field(default_factory=list)
    slots: list[tuple[str, str]] = field(default_factory=list)
    settled: bool = False


#: Why a claim exists: the limit it enforces (named in the refusal) and the seconds until it
#: resets. A plain tuple: one is made per claim of every request, and only a refusal reads it.
_Limit = tuple[str, float]


def _windows(now: float) -> tuple[int, int, str, float, float, float]:
    """Window ids (minute, day, calendar month, all UTC) and the seconds until each ends."""
    minute, day = int(now // MINUTE), int(now // DAY)
    month, next_month = _month_of(day)
    to_minute, to_day = (minute + 1) * MINUTE - now, (day + 1) * DAY - now
    return minute, day, month, to_minute, to_day, next_month - now


@functools.lru_cache(maxsize=4)
def _month_of(day: int) -> tuple[str, int]:
    """The UTC calendar month of a day number ("YYYYMM") and the Unix time it ends at
    (computed once a day, not once a request)."""
    today = time.gmtime(day * DAY)
    year, month = today.tm_year, today.tm_mon
    return f"{year}{month:02d}", calendar.timegm((year + month // 12, month % 12 + 1, 1, 0, 0, 0))


class ChatAdmission:
    """Raises `RateLimited` (with `Retry-After` and X-RateLimit-* headers) when a request
    would exceed requests/minute, tokens/minute, tokens/day, concurrent streams or the
    monthly budget of the caller's policy (tier, then user override, then key override)."""

    def __init__(
        self,
        tier_policies: dict[Tier, LimitPolicy],
        overrides: LimitOverrides,
        store: QuotaStore,
        metrics: ChatMetrics,
        stream_lease_seconds: float = 3600.0,
    ) -> None:
        self._tiers = tier_policies
        self._overrides = overrides
        self._store = store
        self._metrics = metrics
        self._lease = stream_lease_seconds

    async def subjects(self, principal: Principal) -> list[Subject]:
        user_policy = self._tiers.get(principal.tier, UNLIMITED).overridden_by(
            await self._overrides.for_user(principal.user_id)
        )
        subjects = [Subject(f"user:{principal.user_id}", user_policy)]
        if principal.api_key_id is not None:
            key_override = await self._overrides.for_api_key(principal.api_key_id)
            if key_override is not None:
                subjects.append(
                    Subject(f"key:{principal.api_key_id}", user_policy.overridden_by(key_override))
                )
        return subjects

    async def admit(
        self,
        principal: Principal,
        model: ModelConfig,
        prompt_tokens: int,
        max_tokens: int | None,
        *,
        streaming: bool,
    ) -> Admission:
        """Reserve everything the request may use, in one atomic step of the store: every
        limit of every subject, or, when one does not fit, nothing but the request's count
        toward requests/minute (a refused request still counts there)."""
        subjects = await self.subjects(principal)
        max_output = _max_output(subjects, model, max_tokens)
        expected_output = max_output or min(1024, max(model.context_window // 4, 1))
        tokens = prompt_tokens + expected_output
        micros = int(model.cost(prompt_tokens, expected_output) * MICROS)
        admission = Admission(max_output, {}, tokens, micros)
        claims: list[Claim] = []
        limits: list[_Limit] = []
        minute, day, month, to_minute, to_day, to_month = _windows(time.time())
        for subject in subjects:
            policy = subject.policy
            if policy.requests_per_minute is not None:
                key = f"rpm:{subject.key}:{minute}"
                claims.append(Claim(key, 1, policy.requests_per_minute, MINUTE * 2, sticky=True))
                limits.append(("requests_per_minute", to_minute))
            if streaming and policy.concurrent_streams is not None:
                key = f"streams:{subject.key}"
                slot = uuid7().hex
                claims.append(Claim(key, 1, policy.concurrent_streams, self._lease, slot))
                limits.append(("concurrent_streams", 1.0))
                admission.slots.append((key, slot))
            if policy.tokens_per_minute is not None:
                key = f"tpm:{subject.key}:{minute}"
                claims.append(Claim(key, tokens, policy.tokens_per_minute, MINUTE * 2))
                limits.append(("tokens", to_minute))
                admission.token_keys.append((key, MINUTE * 2))
            if policy.tokens_per_day is not None:
                key = f"tpd:{subject.key}:{day}"
                claims.append(Claim(key, tokens, policy.tokens_per_day, DAY * 2))
                limits.append(("tokens", to_day))
                admission.token_keys.append((key, DAY * 2))
            if policy.monthly_budget is not None and micros > 0:
                key, budget = f"budget:{subject.key}:{month}", int(policy.monthly_budget * MICROS)
                claims.append(Claim(key, micros, budget, DAY * 40))
                limits.append(("monthly_budget", to_month))
                admission.budget_keys.append((key, DAY * 40))
        held = await self._store.reserve(claims)
        first = subjects[0].policy.requests_per_minute
        if first is not None:  # the caller's own requests/minute: claim 0
            admission.headers = {
                "X-RateLimit-Limit": str(first),
                "X-RateLimit-Remaining": str(max(first - held.used[0], 0)),
                "X-RateLimit-Reset": str(math.ceil(to_minute)),
            }
        if held.refused is not None:  # nothing to give back: the admission is dropped
            name, retry_after = limits[held.refused]
            self._refuse(name, retry_after, admission.headers)
        return admission

    async def settle(self, admission: Admission, used_tokens: int, cost: Decimal) -> None:
        """Replace the reservation with what was really used, and free the stream slot, in
        one step of the store. Safe to call more than once (only the first call counts)."""
        if admission.settled:
            return
        admission.settled = True
        token_delta = used_tokens - admission.reserved_tokens
        micros_delta = int(cost * MICROS) - admission.reserved_micros
        adjustments = [(key, token_delta, ttl) for key, ttl in admission.token_keys]
        adjustments += [(key, micros_delta, ttl) for key, ttl in admission.budget_keys]
        await self._store.settle(Settlement(tuple(adjustments), tuple(admission.slots)))

    def _refuse(self, limit: str, retry_after: float, headers: dict[str, str]) -> None:
        self._metrics.limited(limit)
        raise RateLimited(
            retry_after,
            f"Rate limit reached ({limit.replace('_', ' ')}).",
            headers={**headers, "X-RateLimit-Reset": str(math.ceil(retry_after))},
        )


def _max_output(subjects: list[Subject], model: ModelConfig, requested: int | None) -> int | None:
    """The caller's max_tokens clamped to every cap; with none asked, the tightest cap (but
    never more than half the model's window)."""
    caps = [s.policy.max_output_tokens for s in subjects if s.policy.max_output_tokens]
    if requested is not None:
        return min([*caps, requested])
    if caps:
        return min(*caps, max(model.context_window // 2, 1))
    return None
