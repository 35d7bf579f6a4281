"""`parley serve | migrate | worker | create-admin`."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

from parley.settings import Settings

app = typer.Typer(help="Parley, a self-hosted multi-user LLM chat gateway.", no_args_is_help=True)


def _migrate(settings: Settings) -> None:
    from parley.adapters.sql.migrate import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(settings.effective_database_url)
    except Exception as error:  # a failed migration stops the start, with the reason
        typer.secho(f"Migration failed: {type(error).__name__}: {error}", err=True, fg="red")
        raise typer.Exit(code=1) from error


def _migrate_in_child() -> None:
    """`parley migrate` in a child process: Alembic and the migration scripts (~10 MB
    resident) are needed once, at start-up, and the server should not carry them."""
    import subprocess

    result = subprocess.run([sys.executable, "-m", "parley.cli", "migrate"], check=False)
    if result.returncode != 0:
        raise typer.Exit(code=1)


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (safe to run from several replicas at once)."""
    settings = Settings()
    _migrate(settings)
    typer.echo("Database is up to date.")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: PARLEY_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="Default: PARLEY_PORT")] = None,
    workers: Annotated[int | None, typer.Option(help="Default: PARLEY_WORKERS")] = None,
) -> None:
    """Run the HTTP server (migrating first when PARLEY_AUTO_MIGRATE is on)."""
    import uvicorn

    from parley.adapters.security.instance_secret import InsecureSecret, load_or_create_secret
    from parley.api.server import ParleyHttpProtocol

    settings = Settings()
    workers = workers or settings.workers
    if workers > 1 and not settings.redis_url:
        typer.secho(
            "More than one worker needs PARLEY_REDIS_URL: revocations and limits must be "
            "shared between processes.",
            err=True,
            fg="red",
        )
        raise typer.Exit(code=2)
    try:
        secret = settings.secret_key.get_secret_value() if settings.secret_key else None
        load_or_create_secret(secret, settings.data_dir)
    except InsecureSecret as error:
        typer.secho(str(error), err=True, fg="red")
        raise typer.Exit(code=2) from error
    if settings.auto_migrate:
        _migrate_in_child()
    uvicorn.run(
        "parley.container:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        loop="uvloop",
        http=ParleyHttpProtocol,
        ws="none",  # no WebSocket route: loading an implementation would cost ~5 MiB idle
        access_log=False,
        proxy_headers=settings.trust_proxy_headers,
        server_header=False,
    )


@app.command()
def worker() -> None:
    """Run background jobs (summaries, …) from the shared queue until SIGTERM or SIGINT.

    Run any number of these next to `parley serve` replicas started with
    PARLEY_INPROCESS_WORKER=false. On a signal it stops taking jobs, lets running ones
    finish for PARLEY_WORKER_SHUTDOWN_GRACE_SECONDS, and gives back the rest."""
    from parley.log import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.auto_migrate:
        _migrate(settings)
    asyncio.run(_run_worker(settings))


async def _run_worker(settings: Settings) -> None:
    import signal

    from parley.container import build_container

    container = build_container(settings.model_copy(update={"inprocess_worker": False}))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, container.worker.stop)
    try:
        await container.start_worker_process()
        await container.worker.run()
    finally:
        await container.aclose()


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's email address")],
    username: Annotated[str, typer.Option(help="The admin's username")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Create an admin account (works when open registration is closed)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    settings = Settings()
    _migrate(settings)
    asyncio.run(_create_admin(settings, email, username, password))


async def _create_admin(settings: Settings, email: str, username: str, password: str) -> None:
    from parley.application.identity.accounts import NewAccount
    from parley.application.identity.context import ClientInfo
    from parley.container import build_container
    from parley.domain.errors import ParleyError
    from parley.domain.users import Role

    container = build_container(settings)
    try:
        user = await container.services.identity.accounts.create(
            NewAccount(email, username, password),
            ClientInfo(user_agent="parley-cli"),
            actor_id=None,
            role=Role.ADMIN,
            action="admin.user.created",
        )
    except ParleyError as error:
        typer.secho(f"Could not create the admin: {error.detail}", err=True, fg="red")
        raise typer.Exit(code=1) from error
    finally:
        await container.aclose()
    typer.echo(f"Admin {user.username} <{user.email}> created (id {user.id}).")


if __name__ == "__main__":
    app()
