"""The hot path reads the app's services from a plain attribute, set by the lifespan."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

from starlette.applications import Starlette

from parley.api.app import ParleyApp, create_app
from parley.api.middleware import services_of
from tests.conftest import make_settings


async def test_the_lifespan_sets_the_services_where_the_hot_path_reads_them(
    tmp_path: Any, sqlite_url: str
) -> None:
    services = object()

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[Any]:
        yield services

    app = create_app(lifespan, make_settings(tmp_path, sqlite_url))
    assert isinstance(app, ParleyApp)
    assert services_of(app) is None  # not started
    async with app.router.lifespan_context(app):
        assert services_of(app) is services
        assert app.state.services is services


def test_another_app_is_read_through_its_state() -> None:
    app = Starlette()
    assert services_of(app) is None
    app.state.services = sentinel = object()
    assert services_of(app) is cast(Any, sentinel)
