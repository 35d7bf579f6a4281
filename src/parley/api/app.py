"""The FastAPI app factory. The services come from a lifespan the caller supplies (the
composition root in production, a test's own container in tests)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from parley import __version__
from parley.api.errors import install_error_handlers
from parley.api.middleware import BodySizeLimitMiddleware, RequestIdMiddleware
from parley.api.raw import RawRoute
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

ServicesLifespan = Callable[[], AbstractAsyncContextManager[Services]]


def create_app(services_lifespan: ServicesLifespan, settings: Settings) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with services_lifespan() as services:
            app.state.services = services
            yield

    app = FastAPI(
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
    # The hot path first: a bare ASGI endpoint, matched before any FastAPI route.
    app.router.routes.insert(
        0, RawRoute(openai.PATH, openai.ChatCompletionsEndpoint(), methods=["POST"])
    )
    for module in routers:
        app.include_router(module.router)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_request_body_bytes,
        exempt_prefixes=("/v1/files",),
    )
    app.add_middleware(RequestIdMiddleware)
    return app
