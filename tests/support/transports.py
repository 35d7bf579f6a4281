"""A test module that imports `app_and_client` from here runs every test twice: in-process
over ASGI, and over TCP through `parley serve`'s HTTP protocol (api/server.py), which serves
the hot path without the ASGI cycle."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from parley.container import Container
from parley.settings import Settings
from tests.conftest import serve_app


@pytest.fixture(params=["asgi", "served"])
async def app_and_client(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, Container]]:
    async with serve_app(settings, over_http=request.param == "served") as pair:
        yield pair
