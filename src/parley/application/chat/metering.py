"""Accounting for one chat request: a usage record, metrics, and settling the limits
reservation — whatever way the request ends (success, provider error, broken stream,
client gone)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator

from parley.application.chat.cancellation import survive_cancellation
from parley.application.chat.routing import OpenedStream
from parley.application.limits.admission import Admission, ChatAdmission
from parley.application.ports.clock import Clock
from parley.application.ports.metrics import ChatMetrics
from parley.application.ports.usage import UsageSink
from parley.application.tokens import estimate_tokens
from parley.domain.chat import StreamEvent, TextDelta, ToolCallEvent, Usage, UsageEvent
from parley.domain.errors import ParleyError
from parley.domain.identity import Principal
from parley.domain.ids import uuid7
from parley.domain.models import ModelConfig
from parley.domain.usage import UsageRecord, UsageStatus


class Meter:
    """One request's meter. Call `first_token()` when the first byte of the answer is ready
    and `finish(...)` exactly once at the end (later calls are ignored)."""

    def __init__(
        self,
        owner: ChatMeter,
        principal: Principal,
        endpoint: str,
        requested: ModelConfig,
        admission: Admission,
        prompt_estimate: int,
        conversation_id: uuid.UUID | None,
    ) -> None:
        self._owner = owner
        self.principal = principal
        self.endpoint = endpoint
        self.requested = requested
        self.admission = admission
        self.prompt_estimate = prompt_estimate
        self.conversation_id = conversation_id
        self.started = time.monotonic()
        self.first_token_at: float | None = None
        self._finished = False

    def first_token(self) -> None:
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()

    async def finish(
        self,
        status: UsageStatus,
        *,
        served: ModelConfig | None = None,
        usage: Usage | None = None,
        completion_text: str = "",
        error: BaseException | None = None,
    ) -> None:
        if self._finished:
            return
        self._finished = True
        await self._owner.close(self, status, served, usage, completion_text, error)


class ChatMeter:
    def __init__(
        self, sink: UsageSink, metrics: ChatMetrics, admission: ChatAdmission, clock: Clock
    ) -> None:
        self._sink = sink
        self._metrics = metrics
        self._admission = admission
        self._clock = clock

    def start(
        self,
        principal: Principal,
        endpoint: str,
        requested: ModelConfig,
        admission: Admission,
        prompt_estimate: int,
        conversation_id: uuid.UUID | None = None,
    ) -> Meter:
        return Meter(
            self, principal, endpoint, requested, admission, prompt_estimate, conversation_id
        )

    async def close(
        self,
        meter: Meter,
        status: UsageStatus,
        served: ModelConfig | None,
        usage: Usage | None,
        completion_text: str,
        error: BaseException | None,
    ) -> None:
        if usage is None:
            # The provider reported nothing (failure, disconnect, or a provider without
            # usage): estimate, and say so.
            completion = estimate_tokens(completion_text) if completion_text else 0
            prompt = meter.prompt_estimate if (served is not None or completion) else 0
            usage = Usage(prompt, completion, estimated=True)
        priced = served or meter.requested
        cost = priced.cost(usage.prompt_tokens, usage.completion_tokens)
        now = time.monotonic()
        ttft = meter.first_token_at - meter.started if meter.first_token_at else None
        self._sink.record(
            UsageRecord(
                id=uuid7(),
                at=self._clock.now(),
                user_id=meter.principal.user_id,
                endpoint=meter.endpoint,
                requested_model=meter.requested.name,
                status=status,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                tokens_estimated=usage.estimated,
                cost=cost,
                api_key_id=meter.principal.api_key_id,
                conversation_id=meter.conversation_id,
                served_model=served.name if served else None,
                provider=served.provider if served else None,
                latency_ms=round((now - meter.started) * 1000, 3),
                ttft_ms=round(ttft * 1000, 3) if ttft is not None else None,
                error_type=type(error).__name__ if error is not None else None,
            )
        )
        self._metrics.chat_finished(
            priced.name,
            status.value,
            now - meter.started,
            ttft,
            usage.prompt_tokens,
            usage.completion_tokens,
            cost,
        )
        await self._admission.settle(meter.admission, usage.total_tokens, cost)


class MeteredStream:
    """An `OpenedStream` whose end — complete, broken, or abandoned — is accounted."""

    def __init__(self, stream: OpenedStream, meter: Meter, metrics: ChatMetrics) -> None:
        self.model = stream.model
        self.headers = meter.admission.headers
        self._stream = stream
        self._meter = meter
        self._metrics = metrics
        self._iterator: AsyncGenerator[StreamEvent, None] | None = None

    def __aiter__(self) -> AsyncIterator[StreamEvent]:
        if self._iterator is None:
            self._iterator = self._events()
        return self._iterator

    async def _events(self) -> AsyncGenerator[StreamEvent, None]:
        usage: Usage | None = None
        parts: list[str] = []
        status = UsageStatus.CANCELLED
        failure: BaseException | None = None
        self._metrics.stream_opened()
        try:
            async for event in self._stream:
                if isinstance(event, TextDelta):
                    self._meter.first_token()
                    parts.append(event.text)
                elif isinstance(event, ToolCallEvent):
                    self._meter.first_token()
                    parts.append(event.call.arguments)
                elif isinstance(event, UsageEvent):
                    usage = event.usage
                yield event
            status = UsageStatus.SUCCESS
        except ParleyError as error:
            status, failure = UsageStatus.INCOMPLETE, error
            raise
        finally:
            self._metrics.stream_closed()
            finish = self._meter.finish(
                status,
                served=self.model,
                usage=usage,
                completion_text="".join(parts),
                error=failure,
            )
            await survive_cancellation(finish)

    async def aclose(self) -> None:
        """Close the upstream call, and account the stream however far it got: a stream
        left mid-way is accounted by its iteration (what was said so far); one never
        iterated (the client left before the first chunk) here."""
        try:
            if self._iterator is not None:
                await self._iterator.aclose()
            await self._stream.aclose()
        finally:
            await survive_cancellation(self._meter.finish(UsageStatus.CANCELLED, served=self.model))
