"""The page walker behind tests/e2e/test_a11y_every_page.py: which pages exist, how to reach them, and
how to check one with axe-core.

Which pages exist comes from the app's named routes (every GET route that answers an HTML page);
which URLs fill their ids comes from the demo data, by following the links a signed-in user of
each role sees, starting from the role's home. A page is one route name plus the names of its
query parameters, so ``/scenarios`` and ``/scenarios?page=2`` are two pages while the 47 scenario
pages are one (the first ``PER_ROUTE`` URLs of a route are walked).

axe-core comes from ``node_modules/axe-core`` (pinned in package.json and package-lock.json) and is
added to each page by an init script, before the site's own scripts and outside its CSP; nothing
is fetched at run time.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
AXE_SCRIPT = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"

DESKTOP = {"width": 1366, "height": 900}
MOBILE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = ("serious", "critical")
MAX_MOBILE_HEADER = 80  # px: the brand and the 菜单 button on one line

# How many URLs of one route a walk takes: a route with ids in its path gives several (two
# scenario pages differ in their status panels more than in layout), a route without gives its
# query variants (/scenarios, ?page=, ?q=, ...). The URLs a page offers for one route are taken
# spread over its list (first, last, between), since lists are sorted by status or date. A public
# scenario or company page is taken once per page, so its URLs come from different lists (the
# catalog filtered by each status gives one scenario per status).
PER_ROUTE = 3
QUERY_VARIANTS = 4
ONE_PER_PAGE = {"scenarios:detail", "companies:detail"}


def default_limit(route: Route) -> int:
    return PER_ROUTE if "{" in route.path else QUERY_VARIANTS


# GET routes that answer something other than an HTML page for people: the JSON API, feeds,
# downloads and exports (checked by their own tests), and the health probe.
NOT_PAGES = re.compile(r"^(/api/|/feeds/|/healthz$|/metrics$|/schema)|\.(csv|xlsx|ics|atom)$|/attachments/")


@dataclass(frozen=True)
class Route:
    name: str
    path: str  # as Litestar declares it: /scenarios/{scenario_id:int}
    pattern: re.Pattern[str]

    @classmethod
    def of(cls, name: str, path: str) -> Route:
        regex = re.sub(r"\{[^}:]+:int\}", r"[0-9]+", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
        regex = re.sub(r"\{[^}:]+:str\}", r"[^/]+", regex)
        return cls(name=name, path=path, pattern=re.compile(f"^{regex}$"))


def page_routes(app) -> list[Route]:
    """Every named GET route of the app's own code that renders an HTML page."""
    routes: dict[str, Route] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            module = getattr(handler.fn, "__module__", "") or ""
            if not module.startswith("marketplace") or "GET" not in handler.http_methods:
                continue
            if NOT_PAGES.search(route.path):
                continue
            routes.setdefault(handler.name, Route.of(handler.name, route.path))
    return sorted(routes.values(), key=lambda r: r.path)


def route_of(routes: Iterable[Route], path: str) -> Route | None:
    for route in routes:
        if route.pattern.match(path):
            return route
    return None


@dataclass
class Finding:
    url: str
    width: int
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:3]) + (" …" if len(self.targets) > 3 else "")
        return f"{self.url} @ {self.width}px: [{self.impact}] {self.rule} ({self.help}) on {shown}"


@dataclass
class Walk:
    """What one role's walk saw."""

    visited: dict[str, str] = field(default_factory=dict)  # url -> route name
    findings: list[Finding] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # layout problems a user would notice

    @property
    def route_names(self) -> set[str]:
        return set(self.visited.values())


AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(" ")),
  }));
}"""

# Layout at phone width: the page must not scroll sideways (wide tables scroll inside their own
# region), and the header must stay folded.
MOBILE_LAYOUT = """async () => {
  // Let the resize settle first (charts redraw on the next animation frames).
  for (let i = 0; i < 3; i++) await new Promise(done => requestAnimationFrame(done));
  const header = document.querySelector(".site-header");
  return {
    scrollWidth: document.documentElement.scrollWidth,
    header: header ? Math.round(header.getBoundingClientRect().height) : 0,
  };
}"""


def run_axe(page, url: str, width: int) -> list[Finding]:
    found = page.evaluate(AXE_RUN)
    return [
        Finding(url=url, width=width, rule=v["id"], impact=v["impact"], help=v["help"], targets=v["targets"])
        for v in found
        if v["impact"] in BLOCKING_IMPACTS
    ]


def page_key(route: Route, url: str) -> tuple[str, ...]:
    """A route with ids: each URL is its own page. Without: one page per set of query names."""
    parts = urlsplit(url)
    if "{" in route.path:
        return route.name, parts.path
    return route.name, *sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})


LINKS = """() => Array.from(document.querySelectorAll("a[href]"))
  .filter(a => !a.hasAttribute("download"))
  .map(a => a.href)"""


def walk(
    page,
    base_url: str,
    routes: list[Route],
    starts: list[str],
    on_problem: Callable[[object, str, int], None] | None = None,
    limit: Callable[[Route], int] = default_limit,
) -> Walk:
    """Visit ``starts`` and every page reachable from them by links (one URL per page key,
    ``PER_ROUTE`` per route), checking each with axe at desktop and phone width. At phone width
    the page must not scroll sideways, the header must stay folded, and axe runs with the menu
    opened, so its links are checked too. ``on_problem(page, url, width)`` is called while a
    page with a finding or problem is still showing (to keep a screenshot)."""
    result = Walk()
    seen_keys: set[tuple[str, ...]] = set()
    per_route: dict[str, int] = {}
    queued: set[str] = set()
    queue: deque[str] = deque()

    def local(url: str) -> str | None:
        parts = urlsplit(url.split("#", 1)[0])
        if parts.scheme and f"{parts.scheme}://{parts.netloc}" != base_url:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def enqueue(url: str, route: Route | None) -> None:
        if route is not None:
            seen_keys.add(page_key(route, url))
            per_route[route.name] = per_route.get(route.name, 0) + 1
        queued.add(url)
        queue.append(url)

    def offer_links(links: list[str]) -> None:
        by_route: dict[str, tuple[Route, list[str]]] = {}
        for link in links:
            url = local(link)
            route = route_of(routes, urlsplit(url).path) if url else None
            if url is None or route is None or url in queued:
                continue  # elsewhere, or not a page (a download, the API, a feed)
            key = page_key(route, url)
            if key in seen_keys or any(
                page_key(route, u) == key for u in by_route.get(route.name, (route, []))[1]
            ):
                continue
            by_route.setdefault(route.name, (route, []))[1].append(url)
        for name, (route, urls) in by_route.items():
            room = min(limit(route) - per_route.get(name, 0), 1 if name in ONE_PER_PAGE else len(urls))
            for url in spread(urls, room):
                enqueue(url, route)

    for start in starts:  # always walked, even an address no route answers (the 404 page)
        url = local(start)
        if url is not None and url not in queued:
            enqueue(url, route_of(routes, urlsplit(url).path))

    while queue:
        url = queue.popleft()
        page.set_viewport_size(DESKTOP)
        response = page.goto(url)
        route = route_of(routes, urlsplit(page.url).path)
        result.visited[url] = route.name if route else f"(HTTP {response.status if response else '?'})"
        before = len(result.findings) + len(result.problems)
        if response is not None and response.status >= 500:
            result.problems.append(f"{url}: HTTP {response.status}")
        result.findings.extend(run_axe(page, url, DESKTOP["width"]))
        if on_problem and len(result.findings) + len(result.problems) > before:
            on_problem(page, url, DESKTOP["width"])
        offer_links(page.evaluate(LINKS))

        before = len(result.findings) + len(result.problems)
        page.set_viewport_size(MOBILE)
        layout = page.evaluate(MOBILE_LAYOUT)
        if layout["scrollWidth"] > MOBILE["width"]:
            result.problems.append(
                f"{url}: the page scrolls sideways at 390 px ({layout['scrollWidth']} px wide)"
            )
        if layout["header"] > MAX_MOBILE_HEADER:
            result.problems.append(f"{url}: the header is {layout['header']} px tall at 390 px")
        menu = page.locator(".menu-toggle")
        if menu.count() and menu.is_visible():
            menu.click()
            if menu.get_attribute("aria-expanded") != "true" or not page.locator("#site-menu").is_visible():
                result.problems.append(f"{url}: the 菜单 button does not open the menu at 390 px")
        else:
            result.problems.append(f"{url}: no 菜单 button at 390 px")
        result.findings.extend(run_axe(page, url, MOBILE["width"]))
        if on_problem and len(result.findings) + len(result.problems) > before:
            on_problem(page, url, MOBILE["width"])
    return result


def spread(items: list[str], count: int) -> list[str]:
    """``count`` of ``items`` evenly spaced from the first to the last."""
    if count <= 0:
        return []
    if count >= len(items):
        return list(items)
    if count == 1:
        return items[:1]
    step = (len(items) - 1) / (count - 1)
    return [items[round(i * step)] for i in range(count)]


def axe_init_script() -> str:
    if not AXE_SCRIPT.exists():
        raise FileNotFoundError(f"{AXE_SCRIPT} is missing: run `make install` (npm ci)")
    return AXE_SCRIPT.read_text(encoding="utf-8")


def describe(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings)


def as_json(findings: list[Finding]) -> str:
    return json.dumps([f.__dict__ for f in findings], ensure_ascii=False, indent=1)
