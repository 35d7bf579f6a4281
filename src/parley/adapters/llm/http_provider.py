"""What the HTTP provider adapters share: the pooled client, the call shapes, and folding a
server-sent-event stream into Parley's stream events. Each dialect (OpenAI's, Anthropic's)
supplies only its URL, headers, wire format and a stream state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from parley.adapters.llm.http import PooledHttpClient
from parley.adapters.llm.sse import SseDecoder, SseProtocolError
from parley.application.ports.chat_provider import ProviderEndpoint
from parley.domain.chat import ChatCompletion, ChatRequest, StreamEvent
from parley.domain.errors import ProviderStreamBroken


class StreamState(Protocol):
    """Folds one provider's stream events (`data:` payloads) into Parley's."""

    done: bool

    def on_data(self, data: str) -> list[StreamEvent]: ...

    def final_events(self) -> list[StreamEvent]:
        """The closing events; raises `ProviderStreamBroken` if the stream was cut short."""
        ...


class HttpChatProvider:
    """Base of the HTTP adapters. `start()` before use and `aclose()` at shutdown open and
    close the adapter's pooled HTTP session. Subclasses define the dialect hooks."""

    def __init__(self, *, user_agent: str = "parley") -> None:
        self._http = PooledHttpClient(user_agent=user_agent)

    async def start(self) -> None:
        await self._http.start()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def complete(self, request: ChatRequest, endpoint: ProviderEndpoint) -> ChatCompletion:
        async with self._http.post(
            self._url(endpoint),
            body=self._render(request, stream=False),
            headers=self._headers(endpoint, stream=False),
            timeouts=endpoint.timeouts,
        ) as call:
            payload = await call.read_json()
        return self._parse(payload)

    async def stream(
        self, request: ChatRequest, endpoint: ProviderEndpoint
    ) -> AsyncIterator[StreamEvent]:
        async with self._http.post(
            self._url(endpoint),
            body=self._render(request, stream=True),
            headers=self._headers(endpoint, stream=True),
            timeouts=endpoint.timeouts,
        ) as call:
            # The body's server-sent events folded into Parley's, in this generator (not one
            # of its own: every event of every stream would pass through both).
            state = self._stream_state()
            decoder = SseDecoder()
            while not state.done:
                chunk = await call.read_chunk()
                try:
                    sse_events = decoder.feed(chunk) if chunk else decoder.close()
                except SseProtocolError:
                    raise ProviderStreamBroken(
                        "The model provider sent a malformed stream."
                    ) from None
                for sse in sse_events:
                    if state.done:
                        break
                    for event in state.on_data(sse.data):
                        yield event
                if not chunk:
                    break
            final = state.final_events()  # raises ProviderStreamBroken if cut short
            if state.done:
                await call.drain()  # finish reading before the last yield: back to the pool
            for event in final:
                yield event

    # --- the dialect ---------------------------------------------------------------------

    def _url(self, endpoint: ProviderEndpoint) -> str:
        raise NotImplementedError

    def _headers(self, endpoint: ProviderEndpoint, *, stream: bool) -> dict[str, str]:
        raise NotImplementedError

    def _render(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        raise NotImplementedError

    def _parse(self, payload: Any) -> ChatCompletion:
        raise NotImplementedError

    def _stream_state(self) -> StreamState:
        raise NotImplementedError
