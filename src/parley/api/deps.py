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


async def get_services(request: Request) -> Services:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a thread
    # hop on every request for one attribute read.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def client_info(request: Request) -> ClientInfo:
    address = request.client.host if request.client else None
    if request.app.state.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            address = forwarded.split(",")[0].strip()
    return ClientInfo(address, request.headers.get("user-agent"))


ClientDep = Annotated[ClientInfo, Depends(client_info)]


def credential_of(authorization: str | None, api_key: str | None) -> str | None:
    """The caller's credential, by the rules of `HTTPBearer(auto_error=False)` then
    `APIKeyHeader`: a well-formed `Authorization: Bearer <token>` wins, else `X-API-Key`.
    For the hot endpoints, which read the headers themselves (`api.raw.read_request`)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme and token and scheme.lower() == "bearer":
            return token
    return api_key or None


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
