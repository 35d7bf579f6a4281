"""`/v1/me`: the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter

from parley.api.deps import PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.identity import MeUpdateIn, UserOut

router = APIRouter(prefix="/v1/me", tags=["me"])


@router.get("", responses=responses(401))
async def get_me(principal: PrincipalDep, services: ServicesDep) -> UserOut:
    return UserOut.of(await services.identity.get_me(principal))


@router.patch("", responses=responses(401, 409, 422))
async def update_me(body: MeUpdateIn, principal: PrincipalDep, services: ServicesDep) -> UserOut:
    return UserOut.of(await services.identity.update_me(principal, body.username))
