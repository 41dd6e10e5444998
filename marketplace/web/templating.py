"""Jinja2 setup: filters for park-time dates and money in 万元, the labels the domains hand in;
autoescape always on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment

from marketplace.core import clock
from marketplace.core.money import format_wan


def park_datetime(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return clock.to_park_time(value).strftime("%Y-%m-%d %H:%M")


def park_date(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return clock.to_park_time(value).strftime("%Y-%m-%d")


def iso(value: dt.datetime | None) -> str:
    return clock.to_park_time(value).isoformat() if value else ""


def money(value: int | None) -> str:
    """Yuan as 万元, the unit budgets and costs are read in: 300000 -> '30 万元'."""
    if value is None:
        return "面议"
    return format_wan(value)


def budget_range(low: int | None, high: int | None) -> str:
    if low is None and high is None:
        return "面议"
    if low is None or low == high:
        return money(high)
    if high is None:
        return f"{money(low)}起"
    return f"{money(low).replace(' 万元', '')}–{money(high)}"


def days_left(value: dt.datetime | None) -> str:
    """'还剩 5 天', '今天截止' or '已截止' for a deadline."""
    if value is None:
        return ""
    delta = value - clock.now()
    if delta.total_seconds() < 0:
        return "已截止"
    if delta.days == 0:
        return "今天截止"
    return f"还剩 {delta.days} 天"


def query_with(params: Mapping[str, Any], **changes: Any) -> str:
    """The current query string with some parameters changed (None removes one)."""
    merged = {k: v for k, v in params.items() if v not in (None, "")}
    for key, value in changes.items():
        if value is None or value == "":
            merged.pop(key, None)
        else:
            merged[key] = value
    return "?" + urlencode(merged) if merged else "?"


def configure_environment(env: Environment, labels: Mapping[str, Any]) -> None:
    """Filters and globals every template may use; ``labels`` are the owners' label tables
    (handed in by the app, since this module knows no domain)."""
    env.autoescape = True
    env.filters.update(
        park_datetime=park_datetime,
        park_date=park_date,
        iso=iso,
        money=money,
        budget_range=budget_range,
        days_left=days_left,
    )
    env.globals.update(
        **labels,
        query_with=query_with,
        now=clock.now,
    )
