"""Who is calling: resolves the session cookie or the bearer token into ``scope["user"]``.

Cookies authenticate pages, and API reads. An API request that changes something must carry a
bearer token: a cookie alone is ignored there, which is what lets the API skip CSRF tokens
without opening a CSRF hole.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from marketplace.accounts.credentials import resolve_api_token, resolve_session
from marketplace.core.principal import ANONYMOUS

SESSION_COOKIE = "sy_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_ip(connection: ASGIConnection) -> str:
    return connection.client.host if connection.client else ""


def authentication_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        user = None
        authorization = connection.headers.get("authorization", "")
        if authorization[:7].lower() == "bearer ":
            user = await resolve_api_token(authorization[7:].strip())
            scope["auth"] = "token" if user else "invalid-token"
        else:
            is_api = scope["path"].startswith("/api/")
            if not is_api or scope["method"] in SAFE_METHODS:
                user = await resolve_session(connection.cookies.get(SESSION_COOKIE))
            scope["auth"] = "session" if user else None
        scope["user"] = user or ANONYMOUS
        await app(scope, receive, send)

    return middleware
