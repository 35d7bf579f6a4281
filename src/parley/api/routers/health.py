"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from parley.api.deps import ServicesDep

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers (no database involved)")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(services: ServicesDep) -> Response:
    body, content_type = services.operations.exporter.render()
    return Response(body, media_type=content_type)


@router.get("/readyz", summary="Readiness: the database (and Redis, when configured) answer")
async def readyz(services: ServicesDep) -> JSONResponse:
    checks = await services.readiness.check()
    if any(state == "down" for state in checks.values()):
        return JSONResponse({"status": "unavailable", "checks": checks}, status_code=503)
    degraded = any(state != "ok" for state in checks.values())
    return JSONResponse({"status": "degraded" if degraded else "ok", "checks": checks})
