"""Puts the signed-in user's unread notification count in ``scope["unread_notifications"]`` for
the header's bell. Pages only: the API, static files and feeds skip the query."""

from __future__ import annotations

from typing import Any, cast

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from marketplace.notifications.services import unread_count

SKIPPED_PREFIXES = ("/api/", "/static/", "/feeds/", "/schema", "/healthz")


def unread_notifications_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == ScopeType.HTTP and not scope["path"].startswith(SKIPPED_PREFIXES):
            user = scope.get("user")
            if user is not None and user.is_authenticated:
                # An ASGI scope is a plain dict; Litestar's TypedDict names only the standard keys.
                cast(dict[str, Any], scope)["unread_notifications"] = await unread_count(user.id)
        await app(scope, receive, send)

    return middleware
