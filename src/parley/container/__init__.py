"""The composition root: the one place that knows every concrete class.

`build_container(settings, **overrides)` wires adapters into use cases; the app's lifespan
(or a test) owns the result and closes it. Nothing here runs at import time. One module per
area (identity, models, chat, tools, files, jobs, incidents) builds that area's services on
the shared `Infrastructure`; `build` decides what feeds what."""

from parley.container.app import create_app
from parley.container.build import build_container, running
from parley.container.chat import tier_policies
from parley.container.core import Container
from parley.container.models import declared_models

__all__ = [
    "Container",
    "build_container",
    "create_app",
    "declared_models",
    "running",
    "tier_policies",
]
