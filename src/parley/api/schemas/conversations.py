"""Bodies of the conversation and message routes. Unknown fields are ignored (no mass
assignment): only the fields named here can ever be set."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from parley.application.conversations.conversations import UNSET, ConversationChanges
from parley.domain.conversations import Conversation, Message, MessageRole, MessageStatus

Title = Annotated[str, Field(max_length=200)]
ModelName = Annotated[str, Field(max_length=200)]
SystemPrompt = Annotated[str, Field(max_length=100_000)]
Content = Annotated[str, Field(max_length=1_000_000)]
FileIds = Annotated[list[UUID], Field(max_length=32)]


class Input(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ConversationIn(Input):
    title: Title | None = None
    model: ModelName | None = None
    system_prompt: SystemPrompt | None = None


class ConversationPatchIn(Input):
    """Fields left out stay as they are; `null` clears title, model or system prompt."""

    title: Title | None = None
    model: ModelName | None = None
    system_prompt: SystemPrompt | None = None
    archived: bool | None = None

    def changes(self) -> ConversationChanges:
        given = self.model_fields_set
        return ConversationChanges(
            title=self.title if "title" in given else UNSET,
            model=self.model if "model" in given else UNSET,
            system_prompt=self.system_prompt if "system_prompt" in given else UNSET,
            archived=self.archived if self.archived is not None else UNSET,
        )


class MessageIn(Input):
    role: Literal["user"] = Field(
        default="user", description="Only user messages can be posted; models answer via chat."
    )
    content: Content
    file_ids: FileIds = Field(default_factory=list)


class MessagePatchIn(Input):
    content: Content


class ConversationOut(BaseModel):
    id: UUID
    title: str | None
    model: str | None
    system_prompt: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationOut:
        return cls(
            id=conversation.id,
            title=conversation.title,
            model=conversation.model,
            system_prompt=conversation.system_prompt,
            archived=conversation.archived,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
        )


class ConversationListOut(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class ToolCallOut(BaseModel):
    id: str
    name: str
    arguments: str = Field(description="JSON text, as the model wrote it.")


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int


class MessageOut(BaseModel):
    """Optional fields are null when they do not apply (no tool calls, no files, ...)."""

    id: UUID
    conversation_id: UUID
    role: MessageRole
    content: str
    status: MessageStatus
    model: str | None = None
    tool_calls: list[ToolCallOut] | None = None
    tool_call_id: str | None = None
    file_ids: list[UUID] | None = None
    usage: UsageOut | None = None
    created_at: datetime

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        return cls(
            id=message.id,
            conversation_id=message.conversation_id,
            role=message.role,
            content=message.content,
            status=message.status,
            model=message.model,
            tool_calls=[
                ToolCallOut(id=call.id, name=call.name, arguments=call.arguments)
                for call in message.tool_calls
            ]
            or None,
            tool_call_id=message.tool_call_id,
            file_ids=list(message.file_ids) or None,
            usage=UsageOut(
                prompt_tokens=message.usage.prompt_tokens,
                completion_tokens=message.usage.completion_tokens,
            )
            if message.usage
            else None,
            created_at=message.created_at,
        )


class MessageListOut(BaseModel):
    items: list[MessageOut]
    next_cursor: str | None
