"""Accounts over JSON: exchange credentials for a token, who am I, list and revoke tokens."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.params import Body, PathParameter

from marketplace.accounts import services
from marketplace.accounts.schemas import ApiTokenOut, Me, TokenRequest, TokenResponse
from marketplace.core.errors import ValidationFailed, documented
from marketplace.web.api import ApiLink
from marketplace.web.forms import actor_of, client_address
from marketplace.web.guards import requires_login

TokenId = Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
LINKS = [ApiLink("listTokens", "revokeToken", {"token_id": "$response.body#/0/id"})]


class AccountApiController(Controller):
    path = "/api/v1"
    tags = ["accounts"]

    @post(
        "/auth/token",
        name="api:auth:token",
        operation_id="issueToken",
        status_code=201,
        raises=documented(ValidationFailed, NotAuthorizedException, services.LoginLocked),
    )
    async def issue_token(
        self,
        request: Request,
        data: Annotated[TokenRequest, Body(media_type=RequestEncodingType.JSON)],
    ) -> TokenResponse:
        """Exchange an email and password for a personal API token (shown once).

        Send it as ``Authorization: Bearer <token>``. Wrong credentials answer 401; the tenth
        wrong password in a row locks the account and the address for 15 minutes (429).
        """
        token = await services.issue_api_token_for_credentials(
            data.email, data.password, client_address(request), data.name
        )
        return TokenResponse(token=token)

    @get("/me", name="api:me", operation_id="getMe", guards=[requires_login], raises=[NotAuthorizedException])
    async def me(self, request: Request) -> Me:
        """The signed-in user (session or bearer token) and their role."""
        user = request.user
        return Me(**{f: getattr(user, f) for f in Me.__struct_fields__})

    @get(
        "/me/tokens",
        name="api:me:tokens",
        operation_id="listTokens",
        guards=[requires_login],
        raises=[NotAuthorizedException],
    )
    async def list_tokens(self, request: Request) -> list[ApiTokenOut]:
        return msgspec.convert(await services.list_api_tokens(request.user.id), list[ApiTokenOut])

    @delete(
        "/me/tokens/{token_id:int}",
        name="api:me:tokens:revoke",
        operation_id="revokeToken",
        guards=[requires_login],
        raises=[NotAuthorizedException, NotFoundException, PermissionDeniedException],
    )
    async def revoke_token(self, request: Request, token_id: TokenId) -> None:
        """Revoke one of your own tokens; it stops working at once."""
        await services.revoke_api_token(request.user.id, token_id, actor_of(request))
