"""What an operator sees of the running app: a request id on every request, an access log line,
and Prometheus metrics.

* ``observability_middleware`` (outermost of the app's middleware): takes the caller's
  ``X-Request-ID`` when it looks like one (a reverse proxy's id, so both logs agree), else makes
  one; puts it in ``core.logs.request_id`` for every log line of the request; logs one
  ``marketplace.access`` line per request (method, route template, status, duration); counts the
  request and its latency by method, route template (``/scenarios/{scenario_id:int}``, never
  the raw path, so ids do not explode the series) and status.
* ``request_id_header``: an app-level ``before_send`` hook that returns the id as
  ``X-Request-ID`` on every response, the router's own 404/405 included.
* ``metrics_allowed`` and ``render_metrics`` serve ``/metrics``: only with
  ``Authorization: Bearer $METRICS_TOKEN`` or from an address in ``METRICS_ALLOW``; 404 for
  anyone else, so the endpoint is not even seen to exist.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
import time
import uuid
from collections.abc import Iterable
from ipaddress import ip_address
from typing import Any

from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from marketplace.core.logs import request_id
from marketplace.core.metrics import MULTIPROC_ENV
from marketplace.settings import OpsConfig

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
UNMATCHED_ROUTE = "(unmatched)"

REQUESTS = Counter(
    "marketplace_http_requests_total",
    "HTTP requests by method, route template and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "marketplace_http_request_duration_seconds",
    "Time from the request to the end of the response, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

access_log = logging.getLogger("marketplace.access")


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _ACCEPTED_ID.fullmatch(text) else ""
    return ""


def observability_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        token = request_id.set(_incoming_id(scope) or uuid.uuid4().hex)
        status = 500  # unless the app answers
        started = time.perf_counter()

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await app(scope, receive, send_and_watch)
        finally:
            duration = time.perf_counter() - started
            route = scope.get("path_template") or UNMATCHED_ROUTE
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(duration)
            access_log.info(
                "%s %s %s",
                method,
                scope["path"],
                status,
                extra={
                    "request_id": request_id.get(),
                    "method": method,
                    "path": scope["path"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration * 1000, 1),
                },
            )
            request_id.reset(token)

    return middleware


async def request_id_header(message: Message, scope: Scope) -> None:
    """``before_send``: the request's id on every response (a new one where no middleware ran)."""
    if scope["type"] == ScopeType.HTTP and message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        headers.setdefault(REQUEST_ID_HEADER, request_id.get() or _incoming_id(scope) or uuid.uuid4().hex)


def metrics_allowed(request: Request[Any, Any, Any], ops: OpsConfig) -> bool:
    """The bearer token (compared in constant time) or an allowed client address."""
    if ops.metrics_token:
        sent = request.headers.get("authorization", "").encode()
        if hmac.compare_digest(sent, f"Bearer {ops.metrics_token}".encode()):
            return True
    host = request.client.host if request.client else ""
    try:
        address = ip_address(host)
    except ValueError:
        return False
    return any(address in network for network in ops.metrics_allow)


def render_metrics(extra: Iterable[CollectorRegistry] = ()) -> tuple[bytes, str]:
    """The exposition text: this process's metrics (all workers' under multiprocess mode) and
    the ``extra`` registries' (figures read at scrape time), with its content type."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    body = generate_latest(registry) + b"".join(generate_latest(r) for r in extra)
    return body, CONTENT_TYPE_LATEST


class _Figures:
    """A collector of figures read at scrape time (from the database): plain gauges, no state."""

    def __init__(self, figures: Iterable[tuple[str, str, float]]) -> None:
        self._figures = list(figures)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, documentation, value in self._figures:
            yield GaugeMetricFamily(name, documentation, value=value)


def figures_registry(figures: Iterable[tuple[str, str, float]]) -> CollectorRegistry:
    """A registry of ``(name, help, value)`` gauges for ``render_metrics``: read by whichever
    process answers the scrape, so they are never kept (nor added up) across workers."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(_Figures(figures))
    return registry
