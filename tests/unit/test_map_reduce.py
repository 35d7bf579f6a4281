"""The map-reduce summarizer with a fake model: levels, bounds and usage."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from parley.application.chat.routing import RoutedCompletion
from parley.application.summaries.map_reduce import MapReduceSummarizer, prompt_budget
from parley.application.tokens import estimate_messages_tokens
from parley.domain.chat import ChatCompletion, ChatRequest
from parley.domain.models import ModelConfig
from tests.unit.model_fakes import model_config


def model(window: int) -> ModelConfig:
    return model_config(
        "tiny",
        provider="echo",
        context_window=window,
        input_price_per_mtok=Decimal(1),
        output_price_per_mtok=Decimal(2),
    )


class FakeModel:
    """Answers with a fixed-length text, reports no usage, and tracks concurrency."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.requests: list[ChatRequest] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def complete(self, config: ModelConfig, request: ChatRequest) -> RoutedCompletion:
        self.requests.append(request)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return RoutedCompletion(config, ChatCompletion(self.answer, (), None, "stop"))


async def test_long_answers_need_several_merge_levels_and_every_request_fits() -> None:
    config = model(600)
    fake = FakeModel(" ".join(["detail"] * 60))
    lines = [f"User: message {i} " + "lorem ipsum " * 40 for i in range(40)]
    draft = await MapReduceSummarizer(fake, parallelism=3).summarize(config, None, lines)
    assert all(estimate_messages_tokens(r.messages) <= prompt_budget(config) for r in fake.requests)
    assert fake.most_in_flight <= 3
    merges = [r for r in fake.requests if "combine partial summaries" in r.messages[0].content]
    assert len(merges) >= 2, "60-token answers cannot all be merged in one go"
    assert draft.calls == len(fake.requests)
    assert draft.usage.estimated and draft.usage.prompt_tokens > 0


async def test_one_message_longer_than_the_window_is_cut_into_parts() -> None:
    config = model(400)
    fake = FakeModel("short")
    huge = "User: " + "word " * 2000
    await MapReduceSummarizer(fake).summarize(config, None, [huge])
    assert len(fake.requests) > 3
    assert all(estimate_messages_tokens(r.messages) <= prompt_budget(config) for r in fake.requests)


async def test_a_short_transcript_is_one_call_that_includes_the_previous_summary() -> None:
    fake = FakeModel("updated")
    draft = await MapReduceSummarizer(fake).summarize(model(8192), "Earlier: hello.", ["User: hi"])
    assert draft.text == "updated" and draft.calls == 1
    assert "Earlier: hello." in fake.requests[0].messages[1].content
