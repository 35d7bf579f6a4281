"""The `search_conversations` tool: the caller's own conversations matching words.

It goes through the `ListConversations` use case with the caller's principal, so it sees
exactly what `GET /v1/conversations?q=` would show that caller, and nothing of anyone else."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from parley.application.conversations.conversations import ListConversations
from parley.application.ports.tools import ToolContext
from parley.domain.tools import Tool, ToolKind, ToolResult

MAX_RESULTS = 20


class SearchConversationsTool:
    spec = Tool(
        name="search_conversations",
        description="Search the user's own past conversations (titles and message text).",
        parameters={
            "type": "object",
            "properties": {
                "query": {"type": "string", "minLength": 1, "maxLength": 200},
                "limit": {"type": "integer", "minimum": 1, "maximum": MAX_RESULTS},
            },
            "required": ["query"],
            "additionalProperties": False,
        },
        kind=ToolKind.BUILTIN,
    )

    def __init__(self, list_conversations: ListConversations) -> None:
        self._list = list_conversations

    async def run(self, arguments: Mapping[str, Any], context: ToolContext) -> ToolResult:
        page = await self._list(
            context.principal,
            q=str(arguments["query"]),
            limit=int(arguments.get("limit", 10)),
        )
        found = [
            {
                "id": str(conversation.id),
                "title": conversation.title,
                "updated_at": conversation.updated_at.isoformat(),
            }
            for conversation in page.items
        ]
        return ToolResult(json.dumps({"conversations": found}))
