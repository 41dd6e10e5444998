"""Small helpers shared by HTML controllers: reading forms, safe redirects, the actor."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urlsplit

from litestar import Request
from litestar.response import Redirect

from marketplace.core.audit import Actor


class ActingUser(Protocol):
    """What the authentication middleware puts in ``request.user`` (signed in or anonymous)."""

    def actor(self, ip_address: str = "") -> Actor: ...


async def read_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The submitted form as plain strings (the last value wins for repeated names)."""
    form = await request.form()
    return {key: value if isinstance(value, str) else "" for key, value in form.items()}


def client_address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else ""


def actor_of(request: Request[Any, Any, Any]) -> Actor:
    user: ActingUser = request.user
    return user.actor(client_address(request))


def local_path(target: str | None, default: str) -> str:
    """``target`` if it is a path on this site (no scheme, host or '//'), else ``default``."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


def see_other(url: str) -> Redirect:
    return Redirect(url, status_code=303)
