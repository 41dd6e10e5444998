"""The ``Allow`` header: every method a path supports, on ``OPTIONS`` answers and 405s alike.

Litestar keeps one route object per group of handlers; when a path has several (``GET`` in one
handler, ``PATCH`` in another), its automatic ``OPTIONS`` answer lists only the methods of the
route that registered ``OPTIONS`` last (litestar issue 4169): ``OPTIONS /api/v1/proposals/1``
said ``GET, OPTIONS`` and left out ``PATCH``. The app's ``before_send`` hook here rewrites the
header from a table of path template -> methods built from every route of the app.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope

_TABLE_KEY = "_allowed_methods"


def allowed_methods(app: Any) -> dict[str, str]:
    """{path template (as the router reports it, ``/api/v1/proposals/{proposal_id}``): the
    ``Allow`` value, methods sorted} for every HTTP path of ``app``."""
    methods: dict[str, set[str]] = defaultdict(set)
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            methods[route.path_format].update(str(m) for m in route.methods)
    return {path: ", ".join(sorted(found)) for path, found in methods.items()}


def _table(app: Any) -> dict[str, str]:
    table: dict[str, str] | None = app.state.get(_TABLE_KEY)
    if table is None:  # built on first use: the routes are all registered by then
        table = app.state[_TABLE_KEY] = allowed_methods(app)
    return table


async def allow_every_method(message: Message, scope: Scope) -> None:
    """The app's ``before_send`` hook: on an ``OPTIONS`` answer or a 405, the ``Allow`` header
    lists every method of the path, sorted (the router's own 405 has them all already)."""
    if scope["type"] != ScopeType.HTTP or message["type"] != "http.response.start":
        return
    if message["status"] != 405 and not (scope["method"] == "OPTIONS" and message["status"] < 300):
        return
    headers = MutableScopeHeaders.from_message(message)
    template = scope.get("path_template")  # absent when the router itself answered 405
    allow = _table(scope["app"]).get(template) if template else None
    if allow:
        headers["Allow"] = allow
    elif found := headers.get("Allow"):  # the router's 405 lists every method: sort them alike
        headers["Allow"] = ", ".join(sorted(m.strip() for m in found.split(",")))
