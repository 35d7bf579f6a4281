"""Full-text matching of conversations, one clause per database.

Terms arrive as plain words (letters and digits, see `search_terms`) and are quoted here
as well, so no input can become query syntax. Every term must match the start of a word in
the same title, or in the same message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Uuid,
    bindparam,
    column,
    func,
    literal_column,
    select,
    text,
    union,
)

from parley.adapters.sql.tables import conversations, messages

_SIMPLE: ColumnElement[str] = literal_column("'simple'")


def postgres_tsquery(terms: Sequence[str]) -> str:
    # 'term':* is a prefix match on a quoted lexeme; inside it, \ and ' are escaped.
    quoted = (term.replace("\\", "\\\\").replace("'", "''") for term in terms)
    return " & ".join(f"'{lexeme}':*" for lexeme in quoted)


def fts5_query(terms: Sequence[str]) -> str:
    # "term"* is a prefix match on a quoted string; juxtaposed phrases are ANDed.
    return " ".join('"' + term.replace('"', '""') + '"*' for term in terms)


def _tsvector(text_column: ColumnElement[Any]) -> ColumnElement[Any]:
    # Must read exactly like the GIN index expressions (migration 0002) to use them.
    return func.to_tsvector(_SIMPLE, text_column)


def matches_terms(dialect: str, terms: Sequence[str]) -> ColumnElement[bool]:
    """A WHERE clause on `conversations`: true when its title or one message matches."""
    if dialect == "postgresql":
        # A UNION rather than an OR, so that the planner can answer each side from its own
        # GIN index (an OR with a sub-select forces a scan of the user's conversations).
        tsquery = func.to_tsquery(_SIMPLE, bindparam("search_query", postgres_tsquery(terms)))
        by_title = select(conversations.c.id.label("conversation_id")).where(
            _tsvector(conversations.c.title).bool_op("@@")(tsquery)
        )
        by_message = select(messages.c.conversation_id).where(
            _tsvector(messages.c.content).bool_op("@@")(tsquery)
        )
        return conversations.c.id.in_(union(by_title, by_message))
    matching = text(
        "SELECT docs.conversation_id FROM conversation_search_docs AS docs "
        "WHERE docs.doc_id IN (SELECT rowid FROM conversation_search "
        "WHERE conversation_search MATCH :search_query)"
    ).bindparams(search_query=fts5_query(terms))
    return conversations.c.id.in_(matching.columns(column("conversation_id", Uuid())))
