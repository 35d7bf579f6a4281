"""Settings from the environment (prefix `PARLEY_`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARLEY_", extra="ignore")

    data_dir: Path = Path("./data")
    database_url: str | None = Field(
        default=None, description="Default: a SQLite file under the data dir."
    )
    redis_url: str | None = Field(default=None, description="Unset: in-process state.")
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1

    secret_key: SecretStr | None = None
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    jwt_algorithm: str = "HS256"
    jwt_issuer: str = "parley"
    jwt_audience: str = "parley"

    allow_registration: bool = True
    auto_migrate: bool = True

    login_failures_per_account: int = 10
    login_failures_per_address: int = 50
    login_window_seconds: int = 300

    auth_cache_ttl_seconds: float = 300.0
    shared_cache_local_seconds: float = Field(
        default=0.5, description="How long a replica may keep a copy of a shared cache entry."
    )
    api_key_use_flush_seconds: float = 30.0
    trust_proxy_headers: bool = Field(
        default=False, description="Take the client address from X-Forwarded-For."
    )
    max_request_body_bytes: int = 2 * 1024 * 1024

    models_file: Path | None = Field(
        default=None, description="A YAML or TOML file of model configs, registered at startup."
    )
    discover_provider_env: bool = Field(
        default=True,
        description="Register well-known models for OPENAI_API_KEY, ANTHROPIC_API_KEY and "
        "OLLAMA_BASE_URL found in the environment.",
    )
    ollama_models: str = Field(
        default="llama3.2", description="Comma-separated Ollama models to register."
    )
    model_catalog_check_seconds: float = Field(
        default=1.0, description="How often a replica checks whether model configs changed."
    )

    # Routing and provider failures
    retry_max_attempts: int = 3
    retry_base_delay_seconds: float = 0.25
    retry_max_delay_seconds: float = 8.0
    routing_deadline_seconds: float = 30.0
    breaker_consecutive_failures: int = 5
    breaker_failure_ratio: float = 0.5
    breaker_min_requests: int = 20
    breaker_window_seconds: float = 60.0
    breaker_cooldown_seconds: float = 30.0

    # Limits and usage
    tier_limits: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='JSON: per-tier limit changes, e.g. {"free": {"requests_per_minute": 20}}',
    )
    replicas: int = Field(
        default=1, description="How many replicas share the limits (sets the local share)."
    )
    limits_local_share: float | None = Field(
        default=None,
        description="Share of each limit a replica enforces alone while Redis is down "
        "(default 1/replicas).",
    )
    limits_settle_delay_seconds: float = Field(
        default=0.1,
        ge=0,
        description="With Redis: how long a replica may hold a finished request's limit "
        "counter corrections before sending them (they ride on its next admission first); "
        "0 sends each on its own.",
    )
    usage_flush_seconds: float = 1.0
    usage_retention_days: int | None = None

    tools_allowed_hosts: str = Field(
        default="",
        description="Comma-separated hosts that tool webhooks and MCP servers may reach even "
        "though they resolve to private, loopback or link-local addresses.",
    )
    tool_max_steps: int = Field(
        default=5, ge=1, le=50, description="Model calls one /v2 chat turn may make with tools."
    )
    tool_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time limit of one built-in tool call."
    )
    tool_max_output_chars: int = Field(
        default=20_000, ge=100, description="Longer tool output is cut before the model sees it."
    )
    mcp_tools_cache_seconds: float = Field(
        default=60.0, ge=0, description="How long an MCP server's tool list is reused."
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024, description="The largest file one upload may store."
    )
    storage_quota_free_bytes: int = 100 * 1024 * 1024
    storage_quota_pro_bytes: int = 2 * 1024 * 1024 * 1024
    storage_quota_enterprise_bytes: int = 20 * 1024 * 1024 * 1024
    storage: Literal["local", "s3"] = Field(
        default="local",
        description="Where file bytes live: a directory under the data dir, or S3-compatible "
        "object storage (credentials from the standard AWS environment variables).",
    )
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = Field(
        default=None, description="For S3-compatible servers other than AWS (MinIO, ...)."
    )
    s3_region: str | None = None
    s3_prefix: str = "files/"
    inprocess_worker: bool = Field(
        default=True,
        description="Run background jobs inside `parley serve`. Scale-out deployments turn "
        "this off and run `parley worker` processes instead.",
    )
    worker_concurrency: int = Field(default=4, description="Jobs one worker runs at once.")
    job_poll_seconds: float = Field(
        default=1.0, description="How often an idle worker looks for jobs queued elsewhere."
    )
    job_lease_seconds: float = Field(
        default=30.0,
        description="How long a worker may go silent before its job is given to another.",
    )
    job_max_attempts: int = 3
    job_retry_base_seconds: float = Field(
        default=2.0, description="First retry delay; doubled for each further attempt."
    )
    job_retry_max_seconds: float = 300.0
    worker_shutdown_grace_seconds: float = Field(
        default=10.0, description="How long a stopping worker lets running jobs finish."
    )
    summary_parallelism: int = Field(
        default=4, description="Chunks of one long conversation summarised at once."
    )
    enable_test_jobs: bool = Field(
        default=False, description="Register the `test.*` job kinds (for Parley's own tests)."
    )

    # Incidents and the status page
    incident_resolve_after_seconds: float = Field(
        default=60.0,
        description="How long a model's breaker must stay closed before its automatic "
        "incident is resolved.",
    )
    incident_webhook_url: str | None = Field(
        default=None, description="POSTed signed JSON on incident open, update and resolve."
    )
    incident_webhook_secret: SecretStr | None = Field(
        default=None,
        description="HMAC key of X-Parley-Signature; unset: a key derived (HKDF) from the "
        "instance secret.",
    )
    incident_webhook_timeout_seconds: float = 5.0
    incident_webhook_retries: int = 3
    incident_webhook_backoff_seconds: float = 1.0
    status_cache_seconds: float = Field(
        default=2.0, description="How long /v1/status answers from one computed report."
    )
    status_degraded_error_ratio: float = Field(
        default=0.2, description="Recent error ratio at which a model counts as degraded."
    )
    status_min_requests: int = Field(
        default=5, description="Recent requests needed before the error ratio counts."
    )

    log_level: str = "info"
    log_json: bool = True

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'parley.db').resolve()}"
