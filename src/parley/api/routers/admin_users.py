"""`/v1/admin/users`: user administration, admins only."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from parley.api.deps import AdminDep, ClientDep, ServicesDep
from parley.api.errors import responses
from parley.api.schemas.admin import AdminUserCreateIn, AdminUserUpdateIn, UserListOut
from parley.api.schemas.identity import UserOut
from parley.application.admin.user_changes import UserChange
from parley.application.identity.accounts import NewAccount
from parley.application.ports.identity import UserQuery
from parley.domain.users import Role, Tier, UserStatus

Limit = Annotated[int, Query(ge=1, le=200, description="Page size.")]

router = APIRouter(prefix="/v1/admin/users", tags=["admin"])


@router.get("", responses=responses(401, 403, 422))
async def list_users(
    admin: AdminDep,
    services: ServicesDep,
    client: ClientDep,
    q: Annotated[
        str | None, Query(max_length=320, description="Part of an email or username")
    ] = None,
    role: Role | None = None,
    tier: Tier | None = None,
    status: UserStatus | None = None,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> UserListOut:
    query = UserQuery(text=q, role=role, tier=tier, status=status)
    page = await services.admin.list_users(admin, query, cursor, limit, client)
    return UserListOut(
        items=[UserOut.of(user) for user in page.items], next_cursor=page.next_cursor
    )


@router.post("", status_code=201, responses=responses(401, 403, 409, 422))
async def create_user(
    body: AdminUserCreateIn, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> UserOut:
    account = NewAccount(email=body.email, username=body.username, password=body.password)
    user = await services.admin.create_user(admin, account, client, role=body.role, tier=body.tier)
    return UserOut.of(user)


@router.get("/{user_id}", responses=responses(401, 403, 404))
async def get_user(
    user_id: UUID, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> UserOut:
    return UserOut.of(await services.admin.get_user(admin, user_id, client))


@router.patch("/{user_id}", responses=responses(401, 403, 404, 409, 422))
async def update_user(
    user_id: UUID,
    body: AdminUserUpdateIn,
    admin: AdminDep,
    services: ServicesDep,
    client: ClientDep,
) -> UserOut:
    change = UserChange(role=body.role, tier=body.tier, status=body.status)
    return UserOut.of(await services.admin.update_user(admin, user_id, change, client))


@router.delete(
    "/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 404, 409)
)
async def delete_user(
    user_id: UUID, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> Response:
    await services.admin.delete_user(admin, user_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{user_id}/revoke-sessions",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 403, 404),
)
async def revoke_user_sessions(
    user_id: UUID, admin: AdminDep, services: ServicesDep, client: ClientDep
) -> Response:
    await services.admin.revoke_user_sessions(admin, user_id, client)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
