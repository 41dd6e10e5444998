"""Security headers on every response: a CSP without inline scripts, no framing, no referrer
leaks to other sites, no MIME sniffing, and HSTS when the site is served over HTTPS.

They are added by an app-level ``before_send`` hook (``security_headers``), which sees every
message the app sends, including the 404/405 answers of the router for paths and methods no
route matches (route middleware never runs for those)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The API docs page (Swagger UI, served from our own npm install) starts itself with an inline
# script; it gets that one allowance and nothing else.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


# One year; no includeSubDomains or preload: other hosts of the domain are not ours to pin.
HSTS = "max-age=31536000"


def _add_headers(message: Message, path: str, hsts: bool) -> None:
    headers = MutableScopeHeaders.from_message(message)
    headers.setdefault("Content-Security-Policy", DOCS_CSP if path.startswith("/schema") else CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if hsts:
        headers.setdefault("Strict-Transport-Security", HSTS)


def security_headers(*, hsts: bool) -> BeforeMessageSendHookHandler:
    """The app's ``before_send`` hook. ``hsts``: the site is served over HTTPS (secure cookies),
    so browsers are told to use nothing else."""

    async def add_security_headers(message: Message, scope: Scope) -> None:
        if scope["type"] == ScopeType.HTTP and message["type"] == "http.response.start":
            _add_headers(message, scope["path"], hsts)

    return add_security_headers
