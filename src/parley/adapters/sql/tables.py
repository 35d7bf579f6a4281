"""The schema, as SQLAlchemy Core tables. Alembic migrations are written against it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
    func,
    true,
)

from parley.adapters.sql.types import ExactDecimal, JSONType, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

instance_flags = Table(
    "instance_flags",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("set_at", UTCDateTime(), nullable=False, server_default=func.current_timestamp()),
)

users = Table(
    "users",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("username", String(64), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("last_login_at", UTCDateTime()),
)
Index("uq_users_username_lower", func.lower(users.c.username), unique=True)

auth_sessions = Table(
    "auth_sessions",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_activity_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("revoked_at", UTCDateTime()),
    Column("ip_address", String(64)),
    Column("user_agent", String(512)),
    Index("ix_auth_sessions_user_id_revoked_at", "user_id", "revoked_at"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column(
        "session_id", Uuid(), ForeignKey("auth_sessions.id", ondelete="CASCADE"), nullable=False
    ),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    Index("ix_refresh_tokens_session_id", "session_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime()),
    Column("last_used_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
    Index("ix_api_keys_user_id", "user_id"),
)

audit_logs = Table(
    "audit_logs",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor_id", Uuid()),
    Column("actor_ip", String(64)),
    Column("action", String(100), nullable=False),
    Column("target_type", String(50)),
    Column("target_id", String(100)),
    Column("outcome", String(16), nullable=False),
    Column("details", JSONType, nullable=False),
    Index("ix_audit_logs_at_id", "at", "id"),
    Index("ix_audit_logs_actor_id_at", "actor_id", "at"),
    Index("ix_audit_logs_action_at", "action", "at"),
)

model_configs = Table(
    "model_configs",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("provider", String(32), nullable=False),
    Column("upstream_model", String(200), nullable=False),
    Column("base_url", String(500)),
    Column("api_key_env", String(100)),
    Column("api_key_encrypted", Text()),
    Column("context_window", Integer(), nullable=False),
    Column("input_price_per_mtok", ExactDecimal(), nullable=False),
    Column("output_price_per_mtok", ExactDecimal(), nullable=False),
    Column("tiers", JSONType, nullable=False),
    Column("fallbacks", JSONType, nullable=False),
    Column("enabled", Boolean(), nullable=False),
    Column("params", JSONType, nullable=False),
    Column("timeout_connect_seconds", Float(), nullable=False),
    Column("timeout_first_token_seconds", Float(), nullable=False),
    Column("timeout_idle_seconds", Float(), nullable=False),
    Column("timeout_total_seconds", Float(), nullable=False),
    Column("owned_by", String(100), nullable=False),
    Column("source", String(16), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

tool_definitions = Table(
    "tool_definitions",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("description", Text(), nullable=False),
    Column("parameters", JSONType, nullable=False),
    Column("tiers", JSONType, nullable=False),
    Column("enabled", Boolean(), nullable=False),
    Column("url", String(2000)),
    Column("method", String(10), nullable=False),
    Column("headers", JSONType, nullable=False),
    Column("header_envs", JSONType, nullable=False),
    Column("secret_headers_encrypted", Text()),
    Column("timeout_seconds", Float(), nullable=False),
    Column("max_response_bytes", Integer(), nullable=False),
    Column("allowed_hosts", JSONType, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Full-text search lives outside these tables and only in the migration (0002): GIN indexes
# on PostgreSQL, an FTS5 index kept by triggers on SQLite. See repositories/search.py.
conversations = Table(
    "conversations",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200)),
    Column("model", String(200)),
    Column("system_prompt", Text()),
    Column("archived", Boolean(), nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_conversations_user_id_updated_at_id", "user_id", "updated_at", "id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column(
        "conversation_id",
        Uuid(),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("role", String(16), nullable=False),
    Column("content", Text(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("model", String(200)),
    Column("tool_calls", JSONType),
    Column("tool_call_id", String(200)),
    Column("file_ids", JSONType),
    Column("prompt_tokens", Integer()),
    Column("completion_tokens", Integer()),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_messages_conversation_id_created_at_id", "conversation_id", "created_at", "id"),
)

usage_logs = Table(
    "usage_logs",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("user_id", Uuid(), nullable=False),
    Column("api_key_id", Uuid()),
    Column("conversation_id", Uuid()),
    Column("endpoint", String(32), nullable=False),
    Column("requested_model", String(200), nullable=False),
    Column("served_model", String(200)),
    Column("provider", String(32)),
    Column("prompt_tokens", Integer(), nullable=False),
    Column("completion_tokens", Integer(), nullable=False),
    Column("tokens_estimated", Boolean(), nullable=False),
    Column("cost_micros", BigInteger(), nullable=False),
    Column("latency_ms", Float()),
    Column("ttft_ms", Float()),
    Column("status", String(16), nullable=False),
    Column("error_type", String(64)),
    Index("ix_usage_logs_at", "at"),
    Index("ix_usage_logs_user_id_at", "user_id", "at"),
)

usage_daily = Table(
    "usage_daily",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("user_id", Uuid(), primary_key=True),
    Column("model", String(200), primary_key=True),
    Column("requests", BigInteger(), nullable=False),
    Column("prompt_tokens", BigInteger(), nullable=False),
    Column("completion_tokens", BigInteger(), nullable=False),
    Column("cost_micros", BigInteger(), nullable=False),
)

limit_overrides = Table(
    "limit_overrides",
    metadata,
    Column("subject_type", String(16), primary_key=True),
    Column("subject_id", Uuid(), primary_key=True),
    Column("limits", JSONType, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# A file's bytes live in the blob store under `id.hex`; the name is only ever displayed.
files = Table(
    "files",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger(), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_files_user_id_created_at_id", "user_id", "created_at", "id"),
)

# Apart from `files` so that listings never drag up to a megabyte of text along.
file_texts = Table(
    "file_texts",
    metadata,
    Column("file_id", Uuid(), ForeignKey("files.id", ondelete="CASCADE"), primary_key=True),
    Column("text", Text(), nullable=False),
    Column("truncated", Boolean(), nullable=False),
)

# The jobs table is the queue: workers claim rows with FOR UPDATE SKIP LOCKED (PostgreSQL)
# or under SQLite's single write lock. See adapters/sql/job_queue.py.
jobs = Table(
    "jobs",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("user_id", Uuid(), ForeignKey("users.id", ondelete="CASCADE")),
    Column("dedupe_key", String(200)),
    Column("payload", JSONType, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("max_attempts", Integer(), nullable=False),
    Column("run_at", UTCDateTime(), nullable=False),
    Column("locked_by", String(100)),
    Column("locked_until", UTCDateTime()),
    Column("result", JSONType),
    Column("error", Text()),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("finished_at", UTCDateTime()),
    Index("ix_jobs_status_run_at", "status", "run_at"),
    Index("ix_jobs_status_locked_until", "status", "locked_until"),
    Index("ix_jobs_kind_dedupe_key_status", "kind", "dedupe_key", "status"),
)

summaries = Table(
    "summaries",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column(
        "conversation_id",
        Uuid(),
        ForeignKey("conversations.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("text", Text(), nullable=False),
    Column("covers_until_message_id", Uuid(), nullable=False),
    Column("covers_until_at", UTCDateTime(), nullable=False),
    Column("model", String(200), nullable=False),
    Column("prompt_tokens", Integer(), nullable=False),
    Column("completion_tokens", Integer(), nullable=False),
    Column("usage_estimated", Boolean(), nullable=False),
    Column("cost", ExactDecimal(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_summaries_conversation_id_created_at", "conversation_id", "created_at"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("affected_models", JSONType, nullable=False),
    Column("auto", Boolean(), nullable=False),
    Column("source_model", String(100)),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("resolved_at", UTCDateTime()),
    Index("ix_incidents_created_at_id", "created_at", "id"),
    Index("ix_incidents_resolved_at", "resolved_at"),
)
# One open automatic incident per model: the guard that makes "one incident per outage"
# hold when two replicas see the same breaker open.
Index(
    "uq_incidents_open_auto_source_model",
    incidents.c.source_model,
    unique=True,
    sqlite_where=(incidents.c.auto == true()) & incidents.c.resolved_at.is_(None),
    postgresql_where=(incidents.c.auto == true()) & incidents.c.resolved_at.is_(None),
)

incident_updates = Table(
    "incident_updates",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("incident_id", Uuid(), ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message", Text(), nullable=False),
    Column("author_id", Uuid()),
    Index("ix_incident_updates_incident_id_at", "incident_id", "at"),
)
