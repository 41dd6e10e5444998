"""Routes have names; templates and redirects use them, never literal paths (``../shared/DESIGN.md``).

Fails when a route handler has no name, when a template holds a literal internal path in a
link, form, image, script or htmx attribute (``//host`` and ``http(s)://`` links are fine, and so
is a query string or ``#fragment`` after a ``url_for``), when Python code under ``marketplace/``
passes a string starting with "/" to ``see_other(...)`` or ``Redirect(...)``, or when a domain's
link function (``marketplace.web.links``, for services without a request) no longer returns the
path of the route it names."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

from litestar import Litestar

from marketplace.app import create_app
from marketplace.web.links import MIRRORED_ROUTES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "marketplace"
TEMPLATES = ROOT / "templates"

# An attribute whose value starts with one "/" (not "//", a protocol-relative external link).
LITERAL_PATH = re.compile(
    r"""\b(href|action|src|formaction|hx-(?:get|post|put|patch|delete))\s*=\s*["']/(?!/)"""
)


def _app() -> Litestar:
    return create_app(use_pool=False)


def _handlers(app: Litestar) -> list:
    """Every route handler of the app's own code (not the OpenAPI plugin's or Litestar's)."""
    seen: dict[int, object] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            fn = handler.fn
            module = getattr(fn, "__module__", "") or ""
            if module.startswith(("marketplace", "litestar.static_files")):
                seen.setdefault(id(handler), handler)
    return list(seen.values())


def test_every_route_handler_has_a_unique_name():
    app = _app()
    handlers = _handlers(app)
    assert len(handlers) > 150, "the app's handlers were not found"
    unnamed = sorted(f"{h.fn.__module__}.{h.fn.__qualname__}" for h in handlers if not h.name)
    assert not unnamed, f"route handlers without name=: {unnamed}"
    names = [h.name for h in handlers]
    assert len(names) == len(set(names)), sorted({n for n in names if names.count(n) > 1})


def test_static_files_have_names():
    app = _app()
    assert app.route_reverse("static", file_path="/css/site.css") == "/static/css/site.css"
    assert app.route_reverse("vendor-htmx.org", file_path="/dist/htmx.min.js") == (
        "/static/vendor/htmx.org/dist/htmx.min.js"
    )


def test_templates_have_no_literal_internal_paths():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LITERAL_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "use url_for('route:name', ...) instead of:\n" + "\n".join(found)


def test_the_template_check_catches_literal_paths():
    assert LITERAL_PATH.search('<a href="/scenarios">')
    assert LITERAL_PATH.search("<form method=post action='/login'>")
    assert LITERAL_PATH.search('<div hx-get="/scenarios?page=2">')
    assert LITERAL_PATH.search('<img src="/static/img/logo.svg">')
    assert not LITERAL_PATH.search('<a href="//example.org/x">')
    assert not LITERAL_PATH.search('<a href="https://www.sipac.gov.cn/">')
    assert not LITERAL_PATH.search('<a href="#sec-qa">')
    assert not LITERAL_PATH.search("""<a href="{{ url_for('scenarios:list') }}?status=open">""")


def _literal_redirects(source: str) -> list[int]:
    """Lines where ``see_other(...)``/``Redirect(...)`` gets a str or f-string starting with "/"."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name not in {"see_other", "Redirect"} or not node.args:
            continue
        first = node.args[0]
        for part in ast.walk(first):
            if isinstance(part, ast.JoinedStr) and part.values:
                part = part.values[0]
            if isinstance(part, ast.Constant) and isinstance(part.value, str) and part.value.startswith("/"):
                lines.append(node.lineno)
                break
    return lines


def test_redirects_use_route_names():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for line in _literal_redirects(path.read_text(encoding="utf-8")):
            found.append(f"{path.relative_to(ROOT)}:{line}")
    assert not found, "redirect to request.app.route_reverse('route:name', ...) instead:\n" + "\n".join(found)


def test_the_redirect_check_catches_literal_paths():
    assert _literal_redirects('see_other("/login")')
    assert _literal_redirects('see_other(f"/scenarios/{scenario_id}?done=x")')
    assert _literal_redirects('Redirect("/" + target, status_code=303)')
    assert not _literal_redirects('see_other(request.app.route_reverse("login") + "?done=password")')
    assert not _literal_redirects("see_other(local_path(target, default))")


def test_link_functions_return_their_routes_path():
    """Each domain's ``links.py`` (paths that services store without a request) agrees with the
    app's route of the name it is marked with."""
    for path in sorted(PACKAGE.glob("*/links.py")):
        importlib.import_module(f"marketplace.{path.parent.name}.links")
    assert len(MIRRORED_ROUTES) >= 10, "the link functions were not found"
    app = _app()
    samples = {"int": 7, "str": "abc123"}  # annotations are strings (postponed evaluation)
    for function, route_name in MIRRORED_ROUTES.items():
        params = {
            name: samples[parameter.annotation]
            for name, parameter in inspect.signature(function).parameters.items()
        }
        assert function(**params) == app.route_reverse(route_name, **params), (function, route_name)
