"""Subscriptions for everyone: an Atom feed of newly opened scenarios (all, or one domain, or one
capability) and an iCalendar feed of the open scenarios' deadlines.

Reads public scenarios only; ``FeedFilter`` is validated by the caller (``parse_feed_filter``
raises ``ValidationFailed``). Absolute links use ``Settings.base_url``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event

from marketplace.core import clock
from marketplace.core.errors import NotFound, ValidationFailed
from marketplace.scenarios.links import scenario_feed, scenario_list, scenario_page
from marketplace.scenarios.services import _capability_and_children
from marketplace.scenarios.status import DOMAINS
from marketplace.scenarios.tables import Scenario, ScenarioCapability
from marketplace.settings import get_settings
from marketplace.taxonomy.tables import Capability
from marketplace.web.params import MAX_ID, parse_choice, parse_int

FEED_SIZE = 50
SITE_TITLE = "数园区场景开放平台"


@dataclass(frozen=True)
class FeedFilter:
    domain: str | None = None
    capability: int | None = None
    capability_name: str = ""

    @property
    def query(self) -> str:
        if self.domain:
            return f"?domain={self.domain}"
        if self.capability:
            return f"?capability={self.capability}"
        return ""

    @property
    def label(self) -> str:
        if self.domain:
            return f"{self.domain}领域"
        if self.capability:
            return f"需要「{self.capability_name}」能力"
        return "全部"


async def parse_feed_filter(params: Mapping[str, str]) -> FeedFilter:
    """``domain`` or ``capability`` (an id; a group id includes its capabilities), not both."""
    errors: dict[str, str] = {}
    domain = parse_choice(params, "domain", DOMAINS, errors)
    capability = parse_int(params, "capability", errors, lo=1, hi=MAX_ID)
    if domain and capability:
        errors["capability"] = "domain 和 capability 只能选一个。"
    if errors:
        raise ValidationFailed("订阅参数有误：" + "；".join(errors.values()), errors)
    name = ""
    if capability:
        row = await Capability.select(Capability.name).where(Capability.id == capability).first()
        if row is None:
            raise NotFound("能力不存在。")
        name = row["name"]
    return FeedFilter(domain=domain, capability=capability, capability_name=name)


async def _where(flt: FeedFilter):
    where = Scenario.public_status.is_not_null() & Scenario.opened_at.is_not_null()
    if flt.domain:
        where &= Scenario.domain == flt.domain
    if flt.capability:
        ids = await _capability_and_children(flt.capability)
        where &= Scenario.id.is_in(
            ScenarioCapability.select(ScenarioCapability.scenario).where(
                ScenarioCapability.capability.is_in(ids)
            )
        )
    return where


async def atom_feed(flt: FeedFilter) -> bytes:
    """The newest opened scenarios (at most 50), newest first, as Atom 1.0."""
    base = get_settings().base_url
    rows = (
        await Scenario.select(
            Scenario.id,
            Scenario.title,
            Scenario.summary,
            Scenario.description,
            Scenario.domain,
            Scenario.opened_at,
            Scenario.proposal_deadline,
            Scenario.department.name,
        )
        .where(await _where(flt))
        .order_by(Scenario.opened_at, ascending=False)
        .order_by(Scenario.id, ascending=False)
        .limit(FEED_SIZE)
    )
    fg = FeedGenerator()
    fg.id(f"{base}{scenario_feed()}{flt.query}")
    fg.title(f"{SITE_TITLE} · 新发布的应用场景（{flt.label}）")
    fg.subtitle("苏州工业园区各部门新公开征集方案的应用场景。")
    fg.author({"name": SITE_TITLE})
    fg.link(href=f"{base}{scenario_feed()}{flt.query}", rel="self", type="application/atom+xml")
    fg.link(href=f"{base}{scenario_list()}{flt.query}", rel="alternate", type="text/html")
    fg.language("zh-CN")
    fg.updated(rows[0]["opened_at"] if rows else dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    for row in reversed(rows):  # feedgen lists entries newest-added first
        deadline = (
            clock.to_park_time(row["proposal_deadline"]).strftime("%Y-%m-%d %H:%M")
            if row["proposal_deadline"]
            else "待定"
        )
        fe = fg.add_entry()
        fe.id(f"{base}{scenario_page(row['id'])}")
        fe.title(row["title"])
        fe.link(href=f"{base}{scenario_page(row['id'])}", rel="alternate", type="text/html")
        fe.published(row["opened_at"])
        fe.updated(row["opened_at"])
        fe.author({"name": row["department.name"]})
        fe.category(term=row["domain"], label=row["domain"])
        fe.summary(
            f"{row['summary'] or row['description'][:200]}（{row['department.name']}；方案截止：{deadline}，北京时间）"
        )
    return fg.atom_str(pretty=True)


def _event(uid: str, summary: str, at: dt.datetime, url: str, description: str, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", at)
    event.add("dtend", at)
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    return event


async def deadline_calendar(flt: FeedFilter) -> bytes:
    """Question and proposal deadlines of the open scenarios, as an iCalendar (RFC 5545) feed."""
    base = get_settings().base_url
    host = urlsplit(base).hostname or "marketplace"
    where = (await _where(flt)) & (Scenario.public_status == "open")
    rows = (
        await Scenario.select(
            Scenario.id,
            Scenario.title,
            Scenario.question_deadline,
            Scenario.proposal_deadline,
            Scenario.updated_at,
            Scenario.department.name,
        )
        .where(where)
        .order_by(Scenario.proposal_deadline)
        .order_by(Scenario.id)
    )
    cal = Calendar()
    cal.add("prodid", "-//数园区//场景开放平台//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{SITE_TITLE} · 截止时间（{flt.label}）")
    cal.add("x-wr-timezone", "Asia/Shanghai")
    for row in rows:
        url = f"{base}{scenario_page(row['id'])}"
        stamp = row["updated_at"] or clock.now()
        if row["proposal_deadline"]:
            cal.add_component(
                _event(
                    f"scenario-{row['id']}-proposal@{host}",
                    f"方案截止：{row['title']}",
                    row["proposal_deadline"],
                    url,
                    f"{row['department.name']}。{url}",
                    stamp,
                )
            )
        if row["question_deadline"]:
            cal.add_component(
                _event(
                    f"scenario-{row['id']}-question@{host}",
                    f"答疑截止：{row['title']}",
                    row["question_deadline"],
                    url,
                    f"{row['department.name']}。{url}",
                    stamp,
                )
            )
    return cal.to_ical()
