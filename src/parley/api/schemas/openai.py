"""OpenAI Chat Completions request bodies, and their translation to Parley's chat types.

Fields Parley does not interpret are kept (`extra="allow"`) and passed through to
OpenAI-compatible providers — except those that would redirect the call or its credentials,
which are refused."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from parley.application.chat.requests import GenerationOptions
from parley.domain.chat import ChatMessage, ImagePart, ToolCall, ToolSpec
from parley.domain.errors import FieldError, ValidationFailed

REDIRECTING_FIELDS = frozenset(
    {
        "api_base",
        "base_url",
        "api_key",
        "api_version",
        "extra_headers",
        "headers",
        "custom_llm_provider",
        "organization",
        "aws_access_key_id",
        "aws_secret_access_key",
        "vertex_credentials",
    }
)
# Options Parley itself handles and must not be forwarded blindly.
_CONSUMED = frozenset({"stream", "stream_options", "n"})


class FunctionCall(BaseModel):
    name: str
    arguments: str = ""


class ToolCallIn(BaseModel):
    id: str
    type: Literal["function"] = "function"
    function: FunctionCall


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None
    image_url: dict[str, Any] | None = None


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCallIn] | None = None
    tool_call_id: str | None = None


class FunctionSpec(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=64)]
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class ToolIn(BaseModel):
    type: Literal["function"] = "function"
    function: FunctionSpec


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: Annotated[str, Field(min_length=1, max_length=200)]
    messages: Annotated[list[MessageIn], Field(min_length=1, max_length=10_000)]
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: Annotated[int | None, Field(ge=1)] = None
    max_completion_tokens: Annotated[int | None, Field(ge=1)] = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None
    top_p: Annotated[float | None, Field(ge=0, le=1)] = None
    stop: str | list[str] | None = None
    tools: list[ToolIn] | None = None
    tool_choice: Any = None
    n: Annotated[int | None, Field(ge=1, le=1)] = None

    @model_validator(mode="before")
    @classmethod
    def _refuse_redirects(cls, data: Any) -> Any:
        if isinstance(data, dict):
            refused = sorted(REDIRECTING_FIELDS & data.keys())
            if refused:
                raise ValueError(f"these fields are not accepted: {', '.join(refused)}")
        return data

    def passthrough(self) -> dict[str, Any]:
        extra = self.model_extra
        return {k: v for k, v in extra.items() if k not in _CONSUMED} if extra else {}

    def options(self) -> GenerationOptions:
        stop = (self.stop,) if isinstance(self.stop, str) else tuple(self.stop or ())
        tools = (
            tuple(
                ToolSpec(t.function.name, t.function.description, t.function.parameters)
                for t in self.tools
            )
            if self.tools
            else ()
        )
        return GenerationOptions(
            max_tokens=self.max_completion_tokens or self.max_tokens,
            temperature=self.temperature,
            top_p=self.top_p,
            stop=stop,
            tools=tools,
            tool_choice=self.tool_choice,
            extra=self.passthrough(),
        )

    def chat_messages(self) -> list[ChatMessage]:
        return [_message(index, message) for index, message in enumerate(self.messages)]


def _message(index: int, message: MessageIn) -> ChatMessage:
    content = message.content
    role = "system" if message.role == "developer" else message.role
    if isinstance(content, str) and not message.tool_calls:  # most messages: plain text
        return ChatMessage(role, content, (), message.tool_call_id, message.name)
    text_parts: list[str] = []
    images: list[ImagePart] = []
    if isinstance(message.content, str):
        text_parts.append(message.content)
    for part in message.content if isinstance(message.content, list) else ():
        if part.type == "text" and part.text is not None:
            text_parts.append(part.text)
        elif part.type == "image_url" and part.image_url:
            images.append(_image(index, str(part.image_url.get("url", ""))))
    return ChatMessage(
        role=role,
        content="".join(text_parts),
        tool_calls=tuple(
            ToolCall(call.id, call.function.name, call.function.arguments)
            for call in message.tool_calls or ()
        ),
        tool_call_id=message.tool_call_id,
        name=message.name,
        images=tuple(images),
    )


def _image(index: int, url: str) -> ImagePart:
    """Only inline data URLs: fetching remote images on a caller's behalf is a server-side
    request forgery risk."""
    if url.startswith("data:") and ";base64," in url:
        header, _, payload = url.partition(";base64,")
        try:
            return ImagePart(header.removeprefix("data:"), base64.b64decode(payload, validate=True))
        except (binascii.Error, ValueError):
            pass
    message = "image_url must be a base64 data: URL."
    raise ValidationFailed([FieldError(("body", "messages", index, "content"), message)], message)
