"""`/v1/auth`: registration, sign-in, token refresh, sign-out, sessions, password."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from parley.api.deps import ClientDep, PrincipalDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.identity import (
    LoginIn,
    PasswordChangeIn,
    RefreshIn,
    RegisterIn,
    SessionListOut,
    SessionOut,
    TokenPairOut,
    UserOut,
)
from parley.application.identity.accounts import NewAccount
from parley.application.identity.login import TokenPair

router = APIRouter(prefix="/v1/auth", tags=["auth"])


def _pair(pair: TokenPair) -> TokenPairOut:
    return TokenPairOut(
        access_token=pair.access_token,
        refresh_token=pair.refresh_token,
        expires_in=pair.expires_in,
        user=UserOut.of(pair.user),
    )


@router.post("/register", status_code=status.HTTP_201_CREATED, responses=responses(403, 409, 422))
async def register(body: RegisterIn, services: ServicesDep, client: ClientDep) -> UserOut:
    user = await services.identity.register(
        NewAccount(body.email, body.username, body.password), client
    )
    return UserOut.of(user)


@router.post("/login", responses=responses(401, 422, 429))
async def login(body: LoginIn, services: ServicesDep, client: ClientDep) -> TokenPairOut:
    return _pair(await services.identity.login(body.login, body.password, client))


@router.post("/refresh", responses=responses(401, 422))
async def refresh(body: RefreshIn, services: ServicesDep, client: ClientDep) -> TokenPairOut:
    return _pair(await services.identity.refresh(body.refresh_token, client))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403))
async def logout(principal: PrincipalDep, services: ServicesDep, client: ClientDep) -> Response:
    await services.identity.logout(principal, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/logout-all", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401))
async def logout_all(principal: PrincipalDep, services: ServicesDep, client: ClientDep) -> Response:
    await services.identity.logout_all(principal, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/sessions", responses=responses(401))
async def list_sessions(principal: PrincipalDep, services: ServicesDep) -> SessionListOut:
    views = await services.identity.list_sessions(principal)
    return SessionListOut(items=[SessionOut.of(view.session, view.current) for view in views])


@router.delete(
    "/sessions/{session_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 404)
)
async def revoke_session(
    session_id: UUID, principal: PrincipalDep, services: ServicesDep, client: ClientDep
) -> Response:
    await services.identity.revoke_session(principal, session_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 422))
async def change_password(
    body: PasswordChangeIn, principal: PrincipalDep, services: ServicesDep, client: ClientDep
) -> Response:
    await services.identity.change_password(
        principal, body.current_password, body.new_password, client
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
