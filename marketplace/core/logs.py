"""Logging: one JSON object a line with the request id (production), or readable text.

``request_id`` is a context variable that the request-id middleware (``web.observability``) sets
for the duration of a request; every record logged meanwhile carries it, whichever module logs.
``logging_config`` is handed to uvicorn (so each worker process formats the same way) and to
Litestar (which would otherwise put its own format on the root logger).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str] = ContextVar("request_id", default="")

# Attributes every LogRecord has; anything else was passed in ``extra=`` and goes into the JSON
# (but not uvicorn's terminal-coloured copy of its message).
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "color_message",
}


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on each record (empty outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra, "exc_info"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out and not key.startswith("_"):
                out[key] = value if isinstance(value, str | int | float | bool | None) else str(value)
        if record.exc_info:
            out["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


def logging_config(json_logs: bool, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the app and uvicorn: everything to stderr, JSON or text."""
    formatter = (
        {"()": "marketplace.core.logs.JsonFormatter"}
        if json_logs
        else {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "marketplace.core.logs.RequestIdFilter"}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            **{
                name: {"handlers": ["default"], "level": level, "propagate": False}
                for name in ("litestar", "uvicorn", "uvicorn.error")
            },
            # The app logs one line per request itself (``marketplace.access``, with the route).
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
