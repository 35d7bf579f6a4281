"""The body of `POST /v2/chat/stream`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from parley.api.schemas.openai import ToolIn
from parley.application.chat.requests import GenerationOptions
from parley.application.chat.turn import TurnInput


class ChatStreamIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: Annotated[str, Field(max_length=1_000_000)]
    conversation_id: UUID | None = None
    model: Annotated[str | None, Field(max_length=200)] = None
    file_ids: Annotated[list[UUID], Field(max_length=20)] = Field(default_factory=list)
    tools: Annotated[
        list[Annotated[str, Field(max_length=64)] | ToolIn] | None,
        Field(
            max_length=64,
            description="Registry tools to offer the model, by name (see GET /v1/tools); "
            "Parley runs the calls. An OpenAI-style definition names a registry tool by its "
            "function name (its description and parameters are not used): /v2 runs only "
            "server-side tools.",
        ),
    ] = None
    max_tokens: Annotated[int | None, Field(ge=1)] = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None

    def turn(self) -> TurnInput:
        tool_names = tuple(
            tool if isinstance(tool, str) else tool.function.name for tool in self.tools or ()
        )
        return TurnInput(
            message=self.message,
            conversation_id=self.conversation_id,
            model=self.model,
            file_ids=tuple(self.file_ids),
            options=GenerationOptions(max_tokens=self.max_tokens, temperature=self.temperature),
            tool_names=tool_names,
        )
