"""Request-scoped dependencies: the services, the caller, and facts about the connection."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from parley.application.identity.context import ClientInfo
from parley.application.services import Services
from parley.domain.errors import AuthenticationRequired, PermissionDenied
from parley.domain.identity import Principal

_bearer = HTTPBearer(auto_error=False, description="A JWT access token or an API key (pk-…)")
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_info(request: Request) -> ClientInfo:
    address = request.client.host if request.client else None
    if request.app.state.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            address = forwarded.split(",")[0].strip()
    return ClientInfo(address, request.headers.get("user-agent"))


ClientDep = Annotated[ClientInfo, Depends(client_info)]


async def current_principal(
    services: ServicesDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    credential = bearer.credentials if bearer else api_key
    if not credential:
        raise AuthenticationRequired()
    return await services.identity.authenticate(credential)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


async def admin_principal(principal: PrincipalDep) -> Principal:
    if not principal.is_admin:
        raise PermissionDenied("This requires the admin role.")
    return principal


AdminDep = Annotated[Principal, Depends(admin_principal)]
