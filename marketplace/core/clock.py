"""The one source of "now". Tests move it with ``set_now``/``advance`` instead of sleeping."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARK_TZ = ZoneInfo("Asia/Shanghai")

_frozen: dt.datetime | None = None


def now() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    return _frozen if _frozen is not None else dt.datetime.now(dt.UTC)


def set_now(value: dt.datetime | None) -> None:
    """Freeze the clock at ``value`` (aware), or unfreeze it with ``None``."""
    global _frozen
    if value is not None and value.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    _frozen = value


def advance(delta: dt.timedelta) -> dt.datetime:
    set_now(now() + delta)
    return now()


def to_park_time(value: dt.datetime) -> dt.datetime:
    """``value`` in the park's time zone (Asia/Shanghai), for display."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(PARK_TZ)
