"""The offline token estimate: cheap, deterministic, and in the right range."""

from __future__ import annotations

import math
import random

from parley.application.tokens import (
    _DENSE_CHAR,
    _SYMBOL,
    _WORD,
    IMAGE_TOKENS,
    MESSAGE_OVERHEAD_TOKENS,
    REPLY_PRIMING_TOKENS,
    estimate_messages_tokens,
    estimate_tokens,
    estimate_tools_tokens,
)
from parley.domain.chat import ChatMessage, ImagePart, ToolCall, ToolSpec


def test_empty_text_costs_nothing() -> None:
    assert estimate_tokens("") == 0


def test_any_text_costs_at_least_one_token() -> None:
    assert estimate_tokens("a") == 1
    assert estimate_tokens(" ") == 1


def test_english_prose_is_about_four_chars_per_token() -> None:
    text = "The quick brown fox jumps over the lazy dog. " * 20
    # cl100k gives 10 tokens per sentence here: 200 in all.
    assert 180 <= estimate_tokens(text) <= 260


def test_short_words_are_at_least_one_token_each() -> None:
    assert estimate_tokens("a b c d e f g h") >= 8


def test_cjk_counts_about_one_token_per_character() -> None:
    assert estimate_tokens("你好世界你好世界") >= 8


def test_estimate_is_deterministic() -> None:
    assert estimate_tokens("déjà vu, again!") == estimate_tokens("déjà vu, again!")


def test_messages_add_overhead_per_message_and_reply_priming() -> None:
    messages = [ChatMessage(role="system", content="hi"), ChatMessage(role="user", content="yo")]
    expected = 2 * (MESSAGE_OVERHEAD_TOKENS + 1) + REPLY_PRIMING_TOKENS
    assert estimate_messages_tokens(messages) == expected


def test_no_messages_cost_nothing() -> None:
    assert estimate_messages_tokens([]) == 0


def test_tool_calls_and_images_are_counted() -> None:
    plain = ChatMessage(role="assistant", content="")
    with_call = ChatMessage(
        role="assistant",
        content="",
        tool_calls=(ToolCall(id="c1", name="get_weather", arguments='{"city": "Paris"}'),),
    )
    with_image = ChatMessage(
        role="user", content="", images=(ImagePart(media_type="image/png", data=b"x"),)
    )
    base = estimate_messages_tokens([plain])
    assert estimate_messages_tokens([with_call]) > base + MESSAGE_OVERHEAD_TOKENS
    assert estimate_messages_tokens([with_image]) == base + IMAGE_TOKENS


def test_tools_are_counted() -> None:
    tool = ToolSpec(
        name="get_weather",
        description="Current weather for a city",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    )
    assert estimate_tools_tokens([]) == 0
    assert estimate_tools_tokens([tool]) > 10


def _by_regular_expressions(text: str) -> int:
    """The estimate as the regular expressions define it (the path non-ASCII text takes)."""
    if not text:
        return 0
    dense = len(_DENSE_CHAR.findall(text))
    rest = _DENSE_CHAR.sub(" ", text) if dense else text
    by_chars = math.ceil(len(rest.strip()) / 4)
    by_words = len(_WORD.findall(rest)) + math.ceil(len(_SYMBOL.findall(rest)) / 2)
    return max(1, dense + max(by_chars, by_words))


def test_any_text_is_counted_exactly_as_the_regular_expressions_count_it() -> None:
    every_ascii = "".join(chr(code) for code in range(128))
    # Letters, digits, spaces, punctuation and dense characters beyond ASCII.
    beyond = "éüßдΩ٣²\xa0\u2028\x85\u3000—“”…€中あ한😀\U00020000\ud800"
    rng = random.Random(8)
    samples = [every_ascii, beyond, " x ", "a_b9", "\x1c\x1dword\x1f", "((x))", "  ", "café"]
    samples += ["".join(rng.choices(every_ascii, k=rng.randint(0, 80))) for _ in range(4000)]
    samples += ["".join(rng.choices("ab _.\n", k=rng.randint(0, 80))) for _ in range(1000)]
    mixed = every_ascii + beyond
    samples += ["".join(rng.choices(mixed, k=rng.randint(0, 80))) for _ in range(4000)]
    for text in samples:
        assert estimate_tokens(text) == _by_regular_expressions(text), repr(text)
