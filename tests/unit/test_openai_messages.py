"""OpenAI request messages into Parley's chat messages."""

from __future__ import annotations

import base64

from parley.api.schemas.openai import ChatCompletionIn
from parley.domain.chat import ChatMessage, ImagePart, ToolCall


def messages(*items: dict[str, object]) -> list[ChatMessage]:
    body = ChatCompletionIn.model_validate({"model": "m", "messages": list(items)})
    return body.chat_messages()


def test_plain_text_messages_keep_role_content_name_and_tool_call_id() -> None:
    assert messages(
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hi", "name": "ada"},
        {"role": "tool", "content": "42", "tool_call_id": "call_1"},
    ) == [
        ChatMessage("system", "be brief"),
        ChatMessage("user", "hi", name="ada"),
        ChatMessage("tool", "42", tool_call_id="call_1"),
    ]


def test_a_developer_message_is_a_system_message() -> None:
    assert messages({"role": "developer", "content": "rules"}) == [ChatMessage("system", "rules")]


def test_content_parts_are_joined_and_images_decoded() -> None:
    png = base64.b64encode(b"\x89PNG").decode()
    parts = [
        {"type": "text", "text": "look "},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}},
        {"type": "text", "text": "here"},
    ]

    assert messages({"role": "user", "content": parts}) == [
        ChatMessage("user", "look here", images=(ImagePart("image/png", b"\x89PNG"),))
    ]


def test_assistant_tool_calls_are_kept_with_or_without_content() -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}

    assert messages(
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "assistant", "content": "using f", "tool_calls": [call]},
    ) == [
        ChatMessage("assistant", "", tool_calls=(ToolCall("call_1", "f", "{}"),)),
        ChatMessage("assistant", "using f", tool_calls=(ToolCall("call_1", "f", "{}"),)),
    ]
