"""How audit events are written out for export: CSV that a spreadsheet will not run, and JSON
lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from parley.domain.audit import AuditEvent

COLUMNS = (
    "id",
    "at",
    "actor_id",
    "actor_ip",
    "action",
    "target_type",
    "target_id",
    "outcome",
    "details",
)

# OWASP "CSV Injection": a cell starting with one of these may be run as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"

    @property
    def media_type(self) -> str:
        return "text/csv; charset=utf-8" if self is ExportFormat.CSV else "application/x-ndjson"


def event_record(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "at": event.at.isoformat(),
        "actor_id": str(event.actor_id) if event.actor_id else None,
        "actor_ip": event.actor_ip,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "outcome": event.outcome.value,
        "details": event.details,
    }


def neutralise_formula(cell: str) -> str:
    """Prefix a cell a spreadsheet would read as a formula with a single quote."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return neutralise_formula(text)


def csv_header() -> str:
    return _csv_text([list(COLUMNS)])


def csv_rows(events: Sequence[AuditEvent]) -> str:
    rows = []
    for event in events:
        record = event_record(event)
        rows.append([_csv_cell(record[column]) for column in COLUMNS])
    return _csv_text(rows)


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    # Every cell quoted: embedded separators, quotes and newlines cannot shift columns.
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def jsonl_rows(events: Sequence[AuditEvent]) -> str:
    return "".join(
        json.dumps(event_record(event), separators=(",", ":"), ensure_ascii=False) + "\n"
        for event in events
    )
