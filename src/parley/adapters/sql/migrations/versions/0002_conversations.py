"""Conversations and messages, with full-text search over titles and message text.

PostgreSQL: GIN indexes on `to_tsvector('simple', ...)` of titles and message content. The
'simple' configuration lower-cases words without stemming or stop words, which suits
conversations in any language; pg_trgm would also find substrings inside words, but costs
a bigger index and gives no word semantics to share with SQLite.

SQLite: one contentless FTS5 table, `conversation_search`, indexes titles and message text.
FTS5 needs integer rowids and ours are UUIDs (a table's implicit rowid may be renumbered by
VACUUM), so `conversation_search_docs` gives each title and message a stable integer that is
the FTS row's rowid, and remembers its conversation. Triggers keep both in step with
`conversations` and `messages` (a contentless table is told the old text to forget it).
Tokenizer `unicode61 remove_diacritics 0`: words split at anything not a letter or digit,
case-folded, accents kept — as PostgreSQL's 'simple' does. NB: a future batch ("move and
copy") migration of these tables on SQLite drops their triggers and must recreate them.

Revision ID: 0002_conversations
Revises: 0001_identity
Create Date: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from parley.adapters.sql.types import UTCDateTime

revision: str = "0002_conversations"
down_revision: str | Sequence[str] | None = "0001_identity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# (table, searched column, column naming the conversation): one set of triggers each.
_SEARCHED = (("conversations", "title", "id"), ("messages", "content", "conversation_id"))


def _sqlite_search_objects() -> list[str]:
    statements = [
        """
        CREATE VIRTUAL TABLE conversation_search USING fts5(
            body, content='', tokenize='unicode61 remove_diacritics 0'
        )
        """,
        """
        CREATE TABLE conversation_search_docs (
            doc_id INTEGER PRIMARY KEY,
            source_id CHAR(32) NOT NULL UNIQUE,
            conversation_id CHAR(32) NOT NULL
        )
        """,
    ]
    for table, column, conversation in _SEARCHED:
        doc_of = "SELECT doc_id FROM conversation_search_docs WHERE source_id = {row}.id"
        forget = (
            "INSERT INTO conversation_search(conversation_search, rowid, body) "
            f"SELECT 'delete', ({doc_of.format(row='old')}), old.{column} "
            f"WHERE old.{column} IS NOT NULL;"
        )
        index = (
            "INSERT INTO conversation_search(rowid, body) "
            f"SELECT ({doc_of.format(row='new')}), new.{column} "
            f"WHERE new.{column} IS NOT NULL;"
        )
        statements += [
            f"""
            CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN
                INSERT INTO conversation_search_docs(source_id, conversation_id)
                VALUES (new.id, new.{conversation});
                {index}
            END
            """,
            f"""
            CREATE TRIGGER {table}_search_update AFTER UPDATE OF {column} ON {table}
            WHEN old.{column} IS NOT new.{column} BEGIN
                {forget}
                {index}
            END
            """,
            f"""
            CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN
                {forget}
                DELETE FROM conversation_search_docs WHERE source_id = old.id;
            END
            """,
        ]
    return statements


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("users.id", ondelete="CASCADE", name="fk_conversations_user_id_users"),
            nullable=False,
        ),
        sa.Column("title", sa.String(200)),
        sa.Column("model", sa.String(200)),
        sa.Column("system_prompt", sa.Text()),
        sa.Column("archived", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_conversations_user_id_updated_at_id",
        "conversations",
        ["user_id", "updated_at", "id"],
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Uuid(),
            sa.ForeignKey(
                "conversations.id",
                ondelete="CASCADE",
                name="fk_messages_conversation_id_conversations",
            ),
            nullable=False,
        ),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("model", sa.String(200)),
        sa.Column("tool_calls", JSON),
        sa.Column("tool_call_id", sa.String(200)),
        sa.Column("file_ids", JSON),
        sa.Column("prompt_tokens", sa.Integer()),
        sa.Column("completion_tokens", sa.Integer()),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_messages_conversation_id_created_at_id",
        "messages",
        ["conversation_id", "created_at", "id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.create_index(
            "ix_conversations_title_fts",
            "conversations",
            [sa.text("to_tsvector('simple', title)")],
            postgresql_using="gin",
        )
        op.create_index(
            "ix_messages_content_fts",
            "messages",
            [sa.text("to_tsvector('simple', content)")],
            postgresql_using="gin",
        )
    else:
        for statement in _sqlite_search_objects():
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        for table, _, _ in _SEARCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{event}")
        op.execute("DROP TABLE IF EXISTS conversation_search_docs")
        op.execute("DROP TABLE IF EXISTS conversation_search")
    op.drop_table("messages")
    op.drop_table("conversations")
