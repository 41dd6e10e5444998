"""Subscriptions: the Atom feed of newly opened scenarios (overall, per domain, per capability)
and the iCalendar feed of deadlines, parsed with real parsers, and advertised on the pages with
``<link rel="alternate">`` autodiscovery."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import feedparser
from icalendar import Calendar

from marketplace.core import clock
from marketplace.scenarios import publishing
from tests.pages.html import parse
from tests.scenarios.helpers import NOW, complete_input, make_world


async def _publish(w, **changes) -> int:
    sid = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w, **changes))
    await publishing.submit_for_review(sid, w.actor(w.author))
    await publishing.approve_scenario_for_publication(sid, w.actor(w.cdo_x))
    return sid


async def _world_with_scenarios(w):
    first = await _publish(w)
    clock.advance(dt.timedelta(hours=2))
    second = await _publish(
        w, title="工地扬尘监测不及时", domain="一网通办", capabilities=((w.cap_chain, 100),)
    )
    draft = await publishing.create_scenario_draft(w.actor(w.author), complete_input(w, title="未发布的草稿"))
    return first, second, draft


async def test_atom_feed_lists_newly_opened_scenarios(db, client):
    w = await make_world()
    first, _second, _ = await _world_with_scenarios(w)
    response = await client.get("/feeds/scenarios.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    assert feed.feed.title == "数园区场景开放平台 · 新发布的应用场景（全部）"
    assert [e.title for e in feed.entries] == [
        "工地扬尘监测不及时",
        "河道漂浮物发现慢、处置滞后",
    ]  # newest first
    entry = feed.entries[1]
    assert entry.link.endswith(f"/scenarios/{first}") and entry.id.endswith(f"/scenarios/{first}")
    assert entry.author == "园区水务局"
    assert entry.tags[0].term == "一网统管"
    assert dt.datetime(*entry.published_parsed[:6], tzinfo=dt.UTC) == NOW
    assert "方案截止：2026-12-21 10:00" in entry.summary
    assert "未发布的草稿" not in response.text


async def test_atom_feed_per_domain_and_per_capability(db, client):
    w = await make_world()
    _first, _second, _ = await _world_with_scenarios(w)
    by_domain = feedparser.parse(
        (await client.get("/feeds/scenarios.atom?domain=" + quote("一网统管"))).content
    )
    assert [e.title for e in by_domain.entries] == ["河道漂浮物发现慢、处置滞后"]
    assert "一网统管领域" in by_domain.feed.title
    by_cap = feedparser.parse((await client.get(f"/feeds/scenarios.atom?capability={w.cap_chain}")).content)
    assert [e.title for e in by_cap.entries] == ["工地扬尘监测不及时"]
    assert "区块链存证" in by_cap.feed.title
    by_group = feedparser.parse((await client.get(f"/feeds/scenarios.atom?capability={w.group}")).content)
    assert len(by_group.entries) == 2  # a group stands for all its capabilities
    assert (await client.get("/feeds/scenarios.atom?domain=x")).status_code == 400
    assert (await client.get("/feeds/scenarios.atom?capability=999999")).status_code == 404


async def test_icalendar_feed_of_deadlines(db, client):
    w = await make_world()
    first, second, _ = await _world_with_scenarios(w)
    response = await client.get("/feeds/deadlines.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    assert str(cal["version"]) == "2.0" and "数园区" in str(cal["prodid"])
    events = {str(e["uid"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {
        f"scenario-{first}-proposal@127.0.0.1",
        f"scenario-{first}-question@127.0.0.1",
        f"scenario-{second}-proposal@127.0.0.1",
        f"scenario-{second}-question@127.0.0.1",
    }
    proposal = events[f"scenario-{first}-proposal@127.0.0.1"]
    assert str(proposal["summary"]) == "方案截止：河道漂浮物发现慢、处置滞后"
    assert proposal.decoded("dtstart") == NOW + dt.timedelta(days=20)
    assert str(proposal["url"]).endswith(f"/scenarios/{first}")
    assert "dtstamp" in proposal
    by_domain = Calendar.from_ical(
        (await client.get("/feeds/deadlines.ics?domain=" + quote("一网通办"))).content
    )
    assert {str(e["uid"]) for e in by_domain.walk("VEVENT")} == {
        f"scenario-{second}-proposal@127.0.0.1",
        f"scenario-{second}-question@127.0.0.1",
    }


async def test_closed_scenarios_leave_the_calendar_but_stay_in_the_atom_feed(db, client):
    w = await make_world()
    sid = await _publish(w)
    clock.set_now(NOW + dt.timedelta(days=21))
    from marketplace.scenarios.periodic import run_periodic_tasks

    await run_periodic_tasks()
    cal = Calendar.from_ical((await client.get("/feeds/deadlines.ics")).content)
    assert cal.walk("VEVENT") == []
    feed = feedparser.parse((await client.get("/feeds/scenarios.atom")).content)
    assert next(e.link for e in feed.entries).endswith(f"/scenarios/{sid}")


async def test_empty_feeds_are_still_valid(db, client):
    feed = feedparser.parse((await client.get("/feeds/scenarios.atom")).content)
    assert not feed.bozo and feed.version == "atom10" and feed.entries == []
    assert Calendar.from_ical((await client.get("/feeds/deadlines.ics")).content).walk("VEVENT") == []


async def test_pages_advertise_the_feeds(db, client):
    w = await make_world()
    sid = await _publish(w)
    for url in ("/", "/scenarios", f"/scenarios/{sid}", "/companies"):
        doc = parse((await client.get(url)).text)
        links = {
            (link.attrs["type"], link.attrs["href"])
            for link in doc.find_all("link")
            if link.attrs.get("rel") == "alternate"
        }
        assert ("application/atom+xml", "/feeds/scenarios.atom") in links, url
        assert ("text/calendar", "/feeds/deadlines.ics") in links, url
    doc = parse((await client.get(f"/scenarios/{sid}")).text)
    hrefs = {link.attrs["href"] for link in doc.find_all("link") if link.attrs.get("rel") == "alternate"}
    assert "/feeds/scenarios.atom?domain=" + quote("一网统管") in hrefs
    assert f"/feeds/scenarios.atom?capability={w.cap_video}" in hrefs
    for href in hrefs:  # every advertised feed answers and parses
        body = (await client.get(href)).content
        if href.endswith(".ics"):
            Calendar.from_ical(body)
        else:
            assert not feedparser.parse(body).bozo, href
