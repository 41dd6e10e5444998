"""GET /api/v1/scenarios and /api/v1/scenarios/{id}: shapes, every filter and a combination,
pagination and its cap, 400 for every kind of bad parameter, 404 for unknown and non-public ids,
and the API showing exactly what the catalog service (the one the pages use) returns."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
import pytest

from marketplace.core import clock
from marketplace.scenarios.schemas import ScenarioDetail, ScenarioSummary
from marketplace.scenarios.services import ScenarioFilters, list_public_scenarios
from marketplace.scenarios.status import DOMAINS, PUBLIC_STATUSES, public_status_for
from marketplace.scenarios.tables import Scenario
from tests.api.conftest import catalog_data

URL = "/api/v1/scenarios"
CAPABILITY_KEYS = {
    "ASR": "cap-asr",
    "NLP": "cap-nlp",
    "语音识别": "cap-asr",
    "视频分析": "cap-video",
    "传感器网络": "cap-sensor",
}
GROUP_OF = {"cap-asr": "grp-ai", "cap-nlp": "grp-ai", "cap-sensor": "grp-iot", "cap-video": "grp-iot"}
DEADLINE_WINDOW_DAYS = {"7d": (0, 7), "30d": (0, 30), "90d": (0, 90), "passed": (None, 0)}


def public_records() -> list[dict]:
    """The catalog's public scenarios with what the filters look at, computed from the file."""
    today = clock.to_park_time(clock.now()).date()
    records = []
    for sc in catalog_data(today)["scenarios"]:
        status = public_status_for(
            sc["status"],
            result_published=sc["status"] in ("awarded", "piloting", "completed"),
            was_opened=sc["status"] not in ("draft", "in_review", "changes_requested"),
        )
        if status is None:
            continue
        caps = {CAPABILITY_KEYS[w] for w in sc["required_capabilities"] if w in CAPABILITY_KEYS}
        records.append(
            {
                "key": sc["key"],
                "domain": sc["domain"],
                "department": sc["department"],
                "status": status,
                "days": (dt.date.fromisoformat(sc["deadline"]) - today).days,
                "capabilities": caps,
                "groups": {GROUP_OF[c] for c in caps},
            }
        )
    return records


def in_window(days: int, window: str) -> bool:
    lo, hi = DEADLINE_WINDOW_DAYS[window]
    return days < hi if lo is None else lo < days < hi


async def reference_ids(client) -> tuple[dict, dict]:
    """Department and capability ids by key, as an API client finds them."""
    departments = (await client.get("/api/v1/departments")).json()["items"]
    groups = (await client.get("/api/v1/capabilities")).json()["items"]
    caps = {g["key"]: g["id"] for g in groups}
    caps.update({c["key"]: c["id"] for g in groups for c in g["children"]})
    return {d["key"]: d["id"] for d in departments}, caps


async def fetch_all(client, **params) -> dict:
    response = await client.get(URL, params={**params, "page_size": 100})
    assert response.status_code == 200, response.text
    return response.json()


# --------------------------------------------------------------------------------------------
# Shapes


async def test_list_has_the_page_envelope_and_summaries(client, api_catalog):
    body = (await client.get(URL)).json()
    assert set(body) == {"items", "total", "page", "page_size", "pages", "facets", "highlights", "search"}
    assert (body["total"], body["page"], body["page_size"], body["pages"]) == (21, 1, 20, 2)
    assert len(body["items"]) == 20
    for item in body["items"]:
        assert set(item) == set(ScenarioSummary.__struct_fields__)
        assert item["status"] in PUBLIC_STATUSES
        assert set(item["department"]) == {"id", "key", "name", "short_name"}
    msgspec.convert(body["items"], list[ScenarioSummary], strict=False)


async def test_list_never_shows_scenarios_that_are_not_public(client, api_catalog):
    body = await fetch_all(client)
    keys = {item["key"] for item in body["items"]}
    assert keys == {r["key"] for r in public_records()}
    assert not keys & {"sc-21", "sc-22", "sc-23", "sc-24"}  # draft, draft, in_review, changes_requested


async def test_detail_has_everything_a_company_needs(client, api_catalog):
    scenario_id = (await Scenario.select(Scenario.id).where(Scenario.key == "sc-01").first())["id"]
    response = await client.get(f"{URL}/{scenario_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(ScenarioDetail.__struct_fields__)
    assert body["id"] == scenario_id and body["key"] == "sc-01"
    assert body["status"] == "open" and body["status_label"] == "征集中"
    assert body["department"]["key"] == "dept-a" and body["cdo_name"] == "陈明"
    assert sum(c["weight"] for c in body["required_capabilities"]) == 100
    assert {c["capability"]["key"] for c in body["required_capabilities"]} == {"cap-nlp", "cap-asr"}
    assert len(body["criteria"]) == 5 and sum(c["weight"] for c in body["criteria"]) == 100
    assert body["questions"] == [] and body["change_log"] == []
    msgspec.convert(body, ScenarioDetail, strict=False)


async def test_a_cancelled_scenario_shows_its_public_reason(client, api_catalog):
    scenario_id = (await Scenario.select(Scenario.id).where(Scenario.key == "sc-19").first())["id"]
    body = (await client.get(f"{URL}/{scenario_id}")).json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "预算调整。"


# --------------------------------------------------------------------------------------------
# Filters: only matching items, and the right total


@pytest.mark.parametrize("domain", DOMAINS)
async def test_domain_filter(client, api_catalog, domain):
    body = await fetch_all(client, domain=domain)
    expected = {r["key"] for r in public_records() if r["domain"] == domain}
    assert expected and {i["key"] for i in body["items"]} == expected
    assert body["total"] == len(expected)
    assert all(i["domain"] == domain for i in body["items"])


@pytest.mark.parametrize("department", ["dept-a", "dept-b", "dept-c"])
async def test_department_filter(client, api_catalog, department):
    departments, _ = await reference_ids(client)
    body = await fetch_all(client, department=departments[department])
    expected = {r["key"] for r in public_records() if r["department"] == department}
    assert {i["key"] for i in body["items"]} == expected
    assert body["total"] == len(expected)
    assert all(i["department"]["key"] == department for i in body["items"])
    if department == "dept-c":  # a department without scenarios: an empty page, not an error
        assert {k: body[k] for k in ("items", "total", "page", "page_size", "pages")} == {
            "items": [],
            "total": 0,
            "page": 1,
            "page_size": 100,
            "pages": 1,
        }


@pytest.mark.parametrize("capability", ["cap-asr", "cap-video", "grp-ai", "grp-iot"])
async def test_capability_filter_a_group_includes_its_capabilities(client, api_catalog, capability):
    _, caps = await reference_ids(client)
    body = await fetch_all(client, capability=caps[capability])
    field = "groups" if capability.startswith("grp-") else "capabilities"
    expected = {r["key"] for r in public_records() if capability in r[field]}
    assert expected and {i["key"] for i in body["items"]} == expected
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    "status", ["open", "closed", "evaluating", "awarded", "piloting", "completed", "cancelled"]
)
async def test_status_filter(client, api_catalog, status):
    body = await fetch_all(client, status=status)
    expected = {r["key"] for r in public_records() if r["status"] == status}
    assert expected and {i["key"] for i in body["items"]} == expected
    assert body["total"] == len(expected)
    assert all(i["status"] == status for i in body["items"])


@pytest.mark.parametrize("deadline", ["7d", "30d", "90d", "passed"])
async def test_deadline_filter(client, api_catalog, deadline):
    body = await fetch_all(client, deadline=deadline)
    expected = {r["key"] for r in public_records() if in_window(r["days"], deadline)}
    assert expected and {i["key"] for i in body["items"]} == expected
    assert body["total"] == len(expected)


async def test_filters_combine(client, api_catalog):
    departments, caps = await reference_ids(client)
    body = await fetch_all(
        client,
        domain="一网统管",
        status="open",
        deadline="90d",
        department=departments["dept-a"],
        capability=caps["grp-ai"],
    )
    expected = {
        r["key"]
        for r in public_records()
        if r["domain"] == "一网统管"
        and r["status"] == "open"
        and in_window(r["days"], "90d")
        and r["department"] == "dept-a"
        and "grp-ai" in r["groups"]
    }
    assert expected, "the catalog should have a scenario matching every filter at once"
    assert {i["key"] for i in body["items"]} == expected
    assert body["total"] == len(expected)
    assert len(expected) < len(public_records())


async def test_sort_by_deadline_and_by_newest(client, api_catalog):
    by_deadline = (await fetch_all(client, sort="deadline"))["items"]
    deadlines = [i["proposal_deadline"] for i in by_deadline]
    assert deadlines == sorted(deadlines)
    newest = (await fetch_all(client, sort="newest"))["items"]
    assert newest == (await fetch_all(client))["items"]  # newest is the default
    opened = [i["opened_at"] for i in newest]
    assert opened == sorted(opened, reverse=True)


# --------------------------------------------------------------------------------------------
# Pagination


async def test_pages_split_the_catalog_without_overlap(client, api_catalog):
    pages = [(await client.get(URL, params={"page": n, "page_size": 10})).json() for n in (1, 2, 3)]
    ids = [[i["id"] for i in p["items"]] for p in pages]
    assert [len(x) for x in ids] == [10, 10, 1]
    assert ids[0] != ids[1]
    assert len(set(ids[0]) | set(ids[1]) | set(ids[2])) == 21
    assert all(p["total"] == 21 and p["pages"] == 3 and p["page_size"] == 10 for p in pages)
    assert [p["page"] for p in pages] == [1, 2, 3]
    all_at_once = [i["id"] for i in (await fetch_all(client))["items"]]
    assert ids[0] + ids[1] + ids[2] == all_at_once


async def test_a_page_past_the_end_is_empty(client, api_catalog):
    body = (await client.get(URL, params={"page": 50})).json()
    assert body["items"] == [] and body["total"] == 21 and body["page"] == 50


async def test_page_size_is_capped_at_100(client, api_catalog):
    assert (await client.get(URL, params={"page_size": 100})).status_code == 200
    response = await client.get(URL, params={"page_size": 101})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"page_size"}


# --------------------------------------------------------------------------------------------
# Bad parameters: 400 with a clear Chinese message naming the parameter, never 500

BAD_PARAMETERS = [
    ("page", "abc"),
    ("page", "0"),
    ("page", "-1"),
    ("page", "1.5"),
    ("page", "10001"),
    ("page", "99999999999999999999999"),
    ("page_size", "0"),
    ("page_size", "101"),
    ("page_size", "ten"),
    ("department", "x"),
    ("department", "0"),
    ("department", "99999999999"),
    ("capability", "abc"),
    ("capability", "2147483648"),
    ("capability", "-3"),
    ("domain", "一网"),
    ("domain", "zwfw"),
    ("status", "draft"),
    ("status", "in_review"),
    ("status", "OPEN"),
    ("deadline", "1y"),
    ("deadline", "7"),
    ("sort", "oldest"),
]


@pytest.mark.parametrize(("name", "value"), BAD_PARAMETERS)
async def test_bad_parameter_is_a_400_naming_it(client, api_catalog, name, value):
    response = await client.get(URL, params={name: value})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == 400
    assert set(body["errors"]) == {name}
    assert name in body["errors"][name] and "参数有误" in body["detail"]


async def test_every_bad_parameter_is_reported_at_once(client, api_catalog):
    response = await client.get(URL, params={"page": "0", "page_size": "500", "domain": "x", "sort": "y"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"page", "page_size", "domain", "sort"}


async def test_empty_and_unknown_parameters_are_ignored(client, api_catalog):
    everything = await fetch_all(client)
    response = await client.get(
        URL, params={"domain": "", "status": "", "q": "", "page_size": "100", "x": "y"}
    )
    assert response.status_code == 200
    assert response.json() == everything


# --------------------------------------------------------------------------------------------
# Detail: 404 for unknown and non-public ids, bounded ids


@pytest.mark.parametrize("key", ["sc-21", "sc-23", "sc-24"])  # draft, in_review, changes_requested
async def test_a_scenario_that_is_not_public_is_a_404(client, api_catalog, key):
    scenario_id = (await Scenario.select(Scenario.id).where(Scenario.key == key).first())["id"]
    response = await client.get(f"{URL}/{scenario_id}")
    assert response.status_code == 404
    assert response.json() == {"status_code": 404, "detail": "场景不存在或尚未公开。"}


@pytest.mark.parametrize(
    ("path_id", "status"),
    [
        ("2147483647", 404),  # the largest id: a well-formed id that does not exist
        ("9999", 404),
        ("0", 400),
        ("-1", 400),
        ("2147483648", 400),
        ("99999999999", 400),
        ("99999999999999999999999999", 400),
        ("abc", 404),
        ("1.5", 404),
        ("1e3", 404),
        ("%20", 404),  # not an integer: no route matches
    ],
)
async def test_path_ids_are_bounded_and_never_a_500(client, api_catalog, path_id, status):
    response = await client.get(f"{URL}/{path_id}")
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status and body["detail"]
    if status == 400:
        assert set(body["errors"]) == {"scenario_id"}
        assert body["errors"]["scenario_id"].startswith("scenario_id 必须")
        assert body["detail"].startswith("请求参数有误")


async def test_writing_methods_are_not_allowed(client, api_catalog):
    response = await client.post(URL, json={})
    assert response.status_code == 405
    assert response.json()["status_code"] == 405
    assert "GET" in response.headers["allow"]


# --------------------------------------------------------------------------------------------
# The API returns the same data as the pages (both call list_public_scenarios)

SAME_DATA_QUERIES = [
    {},
    {"status": "open", "sort": "deadline"},
    {"domain": "一网统管", "page_size": 3, "page": 2},
    {"deadline": "30d"},
    {"status": "evaluating", "domain": "一网协同"},
]


async def assert_same_as_service(client, params: dict) -> None:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    page = await list_public_scenarios(ScenarioFilters(**params))
    assert body["total"] == page.total and body["pages"] == page.pages
    assert [(i["id"], i["title"]) for i in body["items"]] == [(s.id, s.title) for s in page.items]
    assert body["items"] == json.loads(msgspec.json.encode(page.items))


@pytest.mark.parametrize("params", SAME_DATA_QUERIES)
async def test_api_returns_what_the_catalog_service_returns(client, api_catalog, params):
    await assert_same_as_service(client, params)


async def test_api_returns_what_the_catalog_service_returns_with_id_filters(client, api_catalog):
    departments, caps = await reference_ids(client)
    await assert_same_as_service(client, {"department": departments["dept-a"], "capability": caps["grp-ai"]})
    await assert_same_as_service(client, {"capability": caps["cap-video"], "sort": "deadline"})


async def test_on_the_demo_data_the_api_returns_what_the_catalog_service_returns(client, demo_db):
    departments, caps = await reference_ids(client)
    queries = [
        *SAME_DATA_QUERIES,
        {"department": next(iter(departments.values())), "page_size": 5},
        {"capability": next(iter(caps.values())), "sort": "deadline"},
    ]
    for params in queries:
        await assert_same_as_service(client, params)
    assert (await client.get(URL)).json()["total"] > 0


async def test_a_refused_choice_lists_the_accepted_values_with_their_chinese_labels(db, client):
    """Issue 16, defect 10: the message names each accepted code with its label."""
    body = (await client.get("/api/v1/scenarios", params={"sort": "oldest", "deadline": "1y"})).json()
    assert "relevance（相关度）" in body["errors"]["sort"]
    assert "7d（7 天内截止）" in body["errors"]["deadline"]
    page = await client.get("/scenarios", params={"status": "secret"})
    assert page.status_code == 400 and "open（" in page.text
