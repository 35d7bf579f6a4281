"""Usage reports and limit overrides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from parley.domain.usage import UsageRow


class UsageRowOut(BaseModel):
    requests: int
    prompt_tokens: int
    completion_tokens: int
    cost: float

    @classmethod
    def of(cls, group_by: str, row: UsageRow) -> dict[str, Any]:
        body = cls(
            requests=row.requests,
            prompt_tokens=row.prompt_tokens,
            completion_tokens=row.completion_tokens,
            cost=float(row.cost.quantize(Decimal("0.000001"))),
        ).model_dump()
        return {group_by: row.key, **body}


class UsageReportOut(BaseModel):
    group_by: str
    start: date | None = Field(default=None, serialization_alias="from")
    end: date | None = Field(default=None, serialization_alias="to")
    items: list[dict[str, Any]]
