"""Settings from the environment (prefix `PARLEY_`)."""

from __future__ import annotations

from pathlib import Path

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
    log_level: str = "info"
    log_json: bool = True

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'parley.db').resolve()}"
