"""The ASGI app factory that `parley serve` hands to uvicorn."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from parley.application.services import Services
from parley.container.build import running
from parley.settings import Settings


def create_app() -> Any:
    """The ASGI app for `uvicorn --factory` and `parley serve`, configured from the environment."""
    from parley.api.app import create_app as create_http_app
    from parley.log import configure_logging
    from parley.runtime import settle_heap

    settings = Settings()
    configure_logging(settings.log_level, settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[Services]:
        async with running(settings) as container:
            settle_heap()
            yield container.services

    return create_http_app(lifespan, settings)
