"""The FastAPI app factory. The services come from a lifespan the caller supplies (the
composition root in production, a test's own container in tests)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from parley import __version__
from parley.api.errors import install_error_handlers
from parley.api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from parley.api.raw import HotRoute, RawRoute
from parley.api.routers import (
    admin_models,
    admin_tools,
    admin_users,
    api_keys,
    audit,
    auth,
    chat,
    conversations,
    files,
    health,
    incidents,
    jobs,
    me,
    models,
    openai,
    summaries,
    tools,
    usage,
)
from parley.application.services import Services
from parley.settings import Settings

#: Paths that enforce their own body limits (streamed uploads).
EXEMPT = ("/v1/files",)

ServicesLifespan = Callable[[], AbstractAsyncContextManager[Services]]


class ParleyApp(FastAPI):
    """FastAPI, plus a dispatch of the hot paths (exact method and path) ahead of
    Starlette's middleware stack: they go through Parley's own middleware and their
    `HotRoute` only (see api/raw.py; measured in bench/). `parley serve`'s HTTP protocol
    (api/server.py) serves `hot_routes` without the ASGI cycle at all."""

    hot_routes: dict[tuple[str, str], HotRoute]
    hot_paths: dict[tuple[str, str], ASGIApp]
    max_body_bytes: int
    #: Also in `state.services`; read from here on the hot path (`services_of`).
    services: Services | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            hot = self.hot_paths.get((scope["method"], scope["path"]))
            if hot is not None:
                scope["app"] = self
                await hot(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def create_app(services_lifespan: ServicesLifespan, settings: Settings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with services_lifespan() as services:
            app.state.services = services
            if isinstance(app, ParleyApp):
                app.services = services
            yield

    app = ParleyApp(
        title="Parley",
        version=__version__,
        summary="A self-hosted, multi-user LLM chat gateway",
        lifespan=lifespan,
    )
    app.state.trust_proxy_headers = settings.trust_proxy_headers
    install_error_handlers(app)
    routers = (
        health,
        auth,
        me,
        api_keys,
        conversations,
        files,
        summaries,
        jobs,
        models,
        admin_models,
        openai,
        chat,
        usage,
        admin_users,
        audit,
        tools,
        admin_tools,
        incidents,
    )
    # The hot paths: bare ASGI endpoints, dispatched ahead of the framework's stack; in the
    # router too (first), for a request the exact dispatch does not match.
    hot: dict[str, ASGIApp] = {
        openai.PATH: openai.ChatCompletionsEndpoint(),
        chat.PATH: chat.ChatStreamEndpoint(),
    }
    for path, endpoint in hot.items():
        app.router.routes.insert(0, RawRoute(path, endpoint, methods=["POST"]))
    app.hot_routes = {("POST", path): HotRoute(path, endpoint) for path, endpoint in hot.items()}
    app.hot_paths = {key: _hot(route, settings) for key, route in app.hot_routes.items()}
    app.max_body_bytes = settings.max_request_body_bytes
    for module in routers:
        app.include_router(module.router)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes, exempt_prefixes=EXEMPT
    )
    app.add_middleware(RequestIdMiddleware)
    return app


def _hot(route: ASGIApp, settings: Settings) -> ASGIApp:
    """A hot route behind the same middleware as every other route."""
    limited = BodySizeLimitMiddleware(
        route, max_bytes=settings.max_request_body_bytes, exempt_prefixes=EXEMPT
    )
    return RequestIdMiddleware(limited)
