"""Paths to this site's pages for code that has no request: links written into notification rows,
mail bodies and feeds.

Views, redirects and templates reverse route names themselves (``request.app.route_reverse``,
Jinja's ``url_for``). Domain services import nothing from Litestar and often run with no app at
all (periodic jobs, the CLI, tests calling them directly), so each domain keeps the few paths it
stores in one ``links.py``: small functions, each marked with the name of the route it mirrors
and taking that route's path parameters by name. ``tests/test_named_routes.py`` reverses every
marked route through the app and compares, so a route that moves fails a test instead of leaving
dead links in people's inboxes."""

from __future__ import annotations

from collections.abc import Callable

LinkFunction = Callable[..., str]

#: Every link function, with the name of the route whose path it returns.
MIRRORED_ROUTES: dict[LinkFunction, str] = {}


def mirrors(route_name: str) -> Callable[[LinkFunction], LinkFunction]:
    """Mark a link function as returning the path of the route named ``route_name``."""

    def mark(function: LinkFunction) -> LinkFunction:
        MIRRORED_ROUTES[function] = route_name
        return function

    return mark
