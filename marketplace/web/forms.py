"""Small helpers shared by HTML controllers: reading forms, safe redirects, the actor."""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import quote, urlsplit

from litestar import Request, Response
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


def file_download(content: bytes, filename: str, media_type: str, headers: dict[str, str]) -> Response[bytes]:
    """A stored file as an attachment download: ``Content-Disposition`` with the display name
    (RFC 6266 / 5987, so a Chinese name survives), ``nosniff`` and the caller's cache headers."""
    quoted = quote(filename)
    disposition = (
        f'attachment; filename="{filename}"'
        if quoted == filename
        else f"attachment; filename*=utf-8''{quoted}"
    )
    return Response(
        content,
        media_type=media_type,
        headers={**headers, "Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )
