from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import pytest

from parley.application.audit.export_formats import (
    COLUMNS,
    csv_header,
    csv_rows,
    jsonl_rows,
    neutralise_formula,
)
from parley.application.pagination import Keyset, decode_cursor, encode_cursor
from parley.domain.audit import AuditEvent
from parley.domain.errors import ValidationFailed


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_are_quoted(start: str) -> None:
    assert neutralise_formula(f"{start}SUM(A1)") == f"'{start}SUM(A1)"


@pytest.mark.parametrize("cell", ["", "admin.user.updated", "203.0.113.7", "a=b", "{}", "'x"])
def test_ordinary_cells_are_unchanged(cell: str) -> None:
    assert neutralise_formula(cell) == cell


def test_csv_rows_quote_every_cell_and_keep_columns() -> None:
    event = AuditEvent(
        id=uuid.uuid4(),
        at=datetime(2030, 1, 1, tzinfo=UTC),
        action='=cmd,"x"\nnext',
        actor_ip="@evil",
        details={"a": "=1"},
    )
    text = csv_header() + csv_rows([event])
    assert text.startswith('"id","at"')
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(COLUMNS)
    record = dict(zip(COLUMNS, rows[1], strict=True))
    assert record["action"] == '\'=cmd,"x"\nnext'
    assert record["actor_ip"] == "'@evil"
    assert record["actor_id"] == ""
    assert record["details"] == '{"a":"=1"}'


def test_jsonl_is_one_object_per_line() -> None:
    events = [
        AuditEvent(id=uuid.uuid4(), at=datetime(2030, 1, 1, tzinfo=UTC), action="a\nb")
        for _ in range(3)
    ]
    lines = jsonl_rows(events).splitlines()
    assert len(lines) == 3


def test_cursor_round_trip_and_rejects_garbage() -> None:
    position = Keyset(datetime(2030, 1, 1, 12, 0, 0, 123456, tzinfo=UTC), uuid.uuid4())
    assert decode_cursor(encode_cursor(position)) == position
    assert decode_cursor(None) is None
    for garbage in ("nope", "e30", "!!!", encode_cursor(position)[:-3]):
        with pytest.raises(ValidationFailed):
            decode_cursor(garbage)
