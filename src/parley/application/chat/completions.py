"""OpenAI-style chat completions: the caller sends the whole message list; nothing is stored
in conversations, and every request is admitted against limits and accounted."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from parley.application.chat.access import ModelAccess
from parley.application.chat.cancellation import survive_cancellation
from parley.application.chat.metering import ChatMeter, Meter, MeteredStream
from parley.application.chat.requests import GenerationOptions, build_request
from parley.application.chat.routing import ModelRouter
from parley.application.limits.admission import ChatAdmission
from parley.application.ports.metrics import ChatMetrics
from parley.application.tokens import estimate_messages_tokens, estimate_tools_tokens
from parley.domain.chat import ChatCompletion, ChatMessage
from parley.domain.errors import FieldError, ParleyError, ValidationFailed
from parley.domain.identity import Principal
from parley.domain.models import ModelConfig
from parley.domain.usage import UsageStatus
from parley.domain.values import cheap_init

ENDPOINT = "chat.completions"


@cheap_init
@dataclass(frozen=True, slots=True)
class CompletionInput:
    model: str
    messages: Sequence[ChatMessage]
    options: GenerationOptions


@cheap_init
@dataclass(frozen=True, slots=True)
class CompletionResult:
    model: ModelConfig
    completion: ChatCompletion
    headers: dict[str, str]


Deliver = Callable[[CompletionResult], Awaitable[None]]


class ChatGate:
    """What every chat request passes first: validation, the model and the caller's right to
    it, limits admission, and the start of its meter."""

    def __init__(self, access: ModelAccess, admission: ChatAdmission, meter: ChatMeter) -> None:
        self.access = access
        self.admission = admission
        self.meter = meter

    async def start(
        self, principal: Principal, data: CompletionInput, *, streaming: bool
    ) -> tuple[ModelConfig, GenerationOptions, Meter]:
        if not data.messages:
            message = "messages must contain at least one message."
            raise ValidationFailed([FieldError(("body", "messages"), message)], message)
        model = await self.access.resolve(principal, data.model)
        prompt = estimate_messages_tokens(data.messages) + estimate_tools_tokens(data.options.tools)
        admission = await self.admission.admit(
            principal, model, prompt, data.options.max_tokens, streaming=streaming
        )
        options = data.options
        if options.max_tokens != admission.max_output_tokens:
            options = options.with_max_tokens(admission.max_output_tokens)
        return model, options, self.meter.start(principal, ENDPOINT, model, admission, prompt)


class CompleteChat:
    """Answers a chat completion in one piece. Raises `ModelNotFound`, `PermissionDenied`,
    `ValidationFailed`, `RateLimited`, and `ProviderError` subclasses.

    The answer goes to `deliver` (the caller sends it) before the request is accounted: the
    usage record, the settlement of the limits and the metrics come after it, in the same
    task, so they add nothing to the caller's latency and are never skipped — a delivery
    that fails still accounts the answer the model gave."""

    def __init__(self, gate: ChatGate, router: ModelRouter) -> None:
        self._gate = gate
        self._router = router

    async def __call__(self, principal: Principal, data: CompletionInput, deliver: Deliver) -> None:
        model, options, meter = await self._gate.start(principal, data, streaming=False)
        try:
            routed = await self._router.complete(
                model, build_request(model, data.messages, options), principal.tier
            )
        except BaseException as error:
            status = UsageStatus.ERROR if isinstance(error, ParleyError) else UsageStatus.CANCELLED
            await survive_cancellation(meter.finish(status, error=error))
            raise
        meter.first_token()
        finish = meter.finish(
            UsageStatus.SUCCESS,
            served=routed.model,
            usage=routed.completion.usage,
            completion_text=routed.completion.text,
        )
        try:
            await deliver(
                CompletionResult(routed.model, routed.completion, meter.admission.headers)
            )
        except BaseException:
            await survive_cancellation(finish)
            raise
        await finish


class StreamCompletion:
    """Opens a streamed chat completion: returns once the provider's first event arrived, so
    failures before the first byte surface as errors (after retries and fallbacks), never as
    a broken stream. The stream's end is accounted whichever way it comes."""

    def __init__(self, gate: ChatGate, router: ModelRouter, metrics: ChatMetrics) -> None:
        self._gate = gate
        self._router = router
        self._metrics = metrics

    async def __call__(self, principal: Principal, data: CompletionInput) -> MeteredStream:
        model, options, meter = await self._gate.start(principal, data, streaming=True)
        try:
            stream = await self._router.open_stream(
                model, build_request(model, data.messages, options), principal.tier
            )
        except BaseException as error:
            status = UsageStatus.ERROR if isinstance(error, ParleyError) else UsageStatus.CANCELLED
            await survive_cancellation(meter.finish(status, error=error))
            raise
        return MeteredStream(stream, meter, self._metrics)
