"""The body of `POST /v2/chat/stream`."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from parley.api.schemas.openai import ToolIn
from parley.application.chat.conversation_turn import TurnInput
from parley.application.chat.requests import GenerationOptions
from parley.domain.chat import ToolSpec


class ChatStreamIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: Annotated[str, Field(max_length=1_000_000)]
    conversation_id: UUID | None = None
    model: Annotated[str | None, Field(max_length=200)] = None
    file_ids: Annotated[list[UUID], Field(max_length=20)] = Field(default_factory=list)
    tools: list[ToolIn] | None = None
    max_tokens: Annotated[int | None, Field(ge=1)] = None
    temperature: Annotated[float | None, Field(ge=0, le=2)] = None

    def turn(self) -> TurnInput:
        tools = tuple(
            ToolSpec(t.function.name, t.function.description, t.function.parameters)
            for t in self.tools or ()
        )
        return TurnInput(
            message=self.message,
            conversation_id=self.conversation_id,
            model=self.model,
            file_ids=tuple(self.file_ids),
            options=GenerationOptions(
                max_tokens=self.max_tokens, temperature=self.temperature, tools=tools
            ),
        )
