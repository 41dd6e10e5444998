"""The public pages as a visitor sees them, on the demo data: home, the scenario catalog with
its filters and pagination, scenario details, the member directory, 404 and 400 pages.

Expectations come from the demo file itself (read here), not from hard-coded titles.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.demo.seed import demo_import_data
from marketplace.importing.services import DEFAULT_CRITERIA
from marketplace.scenarios.status import DOMAINS
from marketplace.scenarios.tables import Scenario, ScenarioCapability
from marketplace.taxonomy.tables import Capability
from tests.pages.html import Element, parse

PRIVATE_STATUSES = {"draft", "in_review", "changes_requested"}
PUBLIC_LABELS = {"open": "征集中", "closed": "已截止", "cancelled": "已取消"}


# --- expectations from the demo file -------------------------------------------------------


@pytest.fixture(scope="module")
def demo() -> dict:
    return demo_import_data()


def public_scenarios(demo: dict) -> list[dict]:
    return [s for s in demo["scenarios"] if s.get("status", "open") not in PRIVATE_STATUSES]


def department_name(demo: dict, ref: str) -> str:
    for d in demo["departments"]:
        if ref in (d["key"], d["name"]):
            return d["name"]
    raise AssertionError(f"unknown department {ref!r} in the demo file")


def listed_companies(demo: dict) -> list[dict]:
    return [c for c in demo["companies"] if c.get("status", "approved") == "approved"]


async def scenario_id(key: str) -> int:
    row = await Scenario.select(Scenario.id).where(Scenario.key == key).first()
    assert row, f"demo scenario {key} not in the database"
    return row["id"]


async def department_id(name: str) -> int:
    from marketplace.departments.tables import Department

    row = await Department.select(Department.id).where(Department.name == name).first()
    return row["id"]


# --- reading pages ---------------------------------------------------------------------------


def scenario_cards(doc: Element) -> list[dict]:
    cards = []
    for art in doc.find_all("article", "scenario-card"):
        link = art.find(class_="card-title").find("a")
        cards.append(
            {
                "id": int(link.attrs["href"].rsplit("/", 1)[1]),
                "title": link.text(),
                "domain": art.find("span", "domain-tag").text(),
                "department": art.find("p", "card-dept").text(),
                "status": art.find("span", "badge").text(),
            }
        )
    return cards


def company_cards(doc: Element) -> list[dict]:
    cards = []
    for art in doc.find_all("article", "company-card"):
        link = art.find(class_="card-title").find("a")
        cards.append(
            {
                "id": int(link.attrs["href"].rsplit("/", 1)[1]),
                "name": link.text(),
                "size": art.find("span", "badge").text(),
            }
        )
    return cards


def result_count(doc: Element) -> int:
    text = doc.find("p", "result-count").text()
    match = re.search(r"共 (\d+) [个家]", text)
    assert match, text
    return int(match[1])


async def get_page(client, url: str, status: int = 200) -> Element:
    response = await client.get(url)
    assert response.status_code == status, (url, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text)


def assert_clean_markup(html: str) -> None:
    """Strict-CSP ready: no inline script (only same-origin script files, e.g. htmx from the npm
    install), no inline style attributes, Chinese layout."""
    assert '<html lang="zh-CN">' in html
    scripts = re.findall(r"<script\b[^>]*>.*?</script>", html, flags=re.IGNORECASE | re.DOTALL)
    assert html.lower().count("<script") == len(scripts)
    for script in scripts:
        assert re.fullmatch(r'<script src="/static/[^"]+"( defer)?></script>', script), script
    assert " style=" not in html.lower()
    assert 'id="main"' in html and 'class="skip-link" href="#main"' in html


def assert_every_control_labelled(doc: Element) -> None:
    labels = {el.attrs.get("for") for el in doc.find_all("label")}
    controls = [
        el for el in doc.find_all("select") + doc.find_all("input") if el.attrs.get("type") != "hidden"
    ]
    assert controls
    for el in controls:
        assert el.attrs.get("id") in labels, f"{el.tag} name={el.attrs.get('name')} has no label"


# --- home ------------------------------------------------------------------------------------


async def test_home_explains_the_programme_with_live_counts(client, demo_db, demo):
    response = await client.get("/")
    assert response.status_code == 200
    html = response.text
    assert_clean_markup(html)
    doc = parse(html)
    assert "场景开放" in doc.find("h1").text() or "场景开放" in doc.text()
    for domain, subtitle in zip(DOMAINS, ("政务服务", "城市治理", "经济发展", "政府运行"), strict=False):
        card = next(li for li in doc.find_all("li", "domain-card") if domain in li.text())
        assert subtitle in card.text()
        assert card.find("a").attrs["href"].startswith("/scenarios?domain=")

    stats = {div.find("dt").text(): div.find("dd") for div in doc.find_all("div", "stat")}
    number = lambda label: int(stats[label].find("span", "stat-num").text())  # noqa: E731
    public = public_scenarios(demo)
    assert number("正在征集的场景") == sum(1 for s in public if s.get("status", "open") == "open")
    assert number("已公开场景") == len(public)
    companies = listed_companies(demo)
    sizes = Counter(c.get("size", "sme") for c in companies)
    assert number("成员企业") == len(companies)
    assert f"大型企业 {sizes['large']} 家" in stats["成员企业"].text()
    assert f"中小企业 {sizes['sme']} 家" in stats["成员企业"].text()
    assert number("开放场景的部门") == len({department_name(demo, s["department"]) for s in public})

    # The newest open scenarios, as cards linking to their pages.
    open_titles = {s["title"] for s in public if s.get("status", "open") == "open"}
    cards = scenario_cards(doc)
    assert len(cards) == min(6, len(open_titles))
    assert {c["title"] for c in cards} <= open_titles
    assert all(c["status"] == "征集中" for c in cards)


# --- the scenario catalog -----------------------------------------------------------------------


async def test_catalog_lists_every_public_scenario_and_no_draft(client, demo_db, demo):
    response = await client.get("/scenarios?page_size=100")
    assert_clean_markup(response.text)
    doc = parse(response.text)
    public = public_scenarios(demo)
    assert result_count(doc) == len(public)
    titles = {c["title"] for c in scenario_cards(doc)}
    if len(public) <= 100:
        assert titles == {s["title"] for s in public}
    hidden = {s["title"] for s in demo["scenarios"]} - {s["title"] for s in public}
    assert not titles & hidden
    assert_every_control_labelled(doc)
    capability = doc.find("select", name="capability")
    assert capability.find_all("optgroup"), "capabilities are grouped"


async def test_domain_department_and_status_filters_combine(client, demo_db, demo):
    public = public_scenarios(demo)
    pairs = Counter((s["domain"], department_name(demo, s["department"])) for s in public)
    (domain, dept), expected = pairs.most_common(1)[0]
    dept_id = await department_id(dept)

    doc = await get_page(client, f"/scenarios?domain={domain}&department={dept_id}&page_size=100")
    cards = scenario_cards(doc)
    assert result_count(doc) == expected == len(cards)
    assert all(c["domain"] == domain and c["department"] == dept for c in cards)
    # The chosen values stay selected in the form, and show as chips.
    assert doc.find("select", name="domain").find("option", value=domain).attrs.get("selected") is not None
    chips = [a.text() for a in doc.find_all("a", "chip")]
    assert any(f"领域：{domain}" in c for c in chips) and any(f"部门：{dept}" in c for c in chips)

    open_expected = sum(
        1
        for s in public
        if s["domain"] == domain
        and s.get("status", "open") == "open"
        and department_name(demo, s["department"]) == dept
    )
    doc = await get_page(client, f"/scenarios?domain={domain}&department={dept_id}&status=open")
    cards = scenario_cards(doc)
    assert result_count(doc) == open_expected
    assert all(c["domain"] == domain and c["department"] == dept and c["status"] == "征集中" for c in cards)

    # Each domain on its own: only that domain, and the counts add up to the whole catalog.
    total = 0
    for d in DOMAINS:
        doc = await get_page(client, f"/scenarios?domain={d}&page_size=100")
        assert all(c["domain"] == d for c in scenario_cards(doc))
        total += result_count(doc)
    assert total == len(public)


async def test_chip_links_remove_one_filter_and_keep_the_others(client, demo_db, demo):
    domain = public_scenarios(demo)[0]["domain"]
    doc = await get_page(client, f"/scenarios?domain={domain}&status=open&sort=deadline")
    chips = {a.text().split("：")[0]: a.attrs["href"] for a in doc.find_all("a", "chip")}
    assert set(chips) == {"领域", "状态", "排序"}
    assert (
        "domain=" not in chips["领域"] and "status=open" in chips["领域"] and "sort=deadline" in chips["领域"]
    )
    assert "status=" not in chips["状态"] and "domain=" in chips["状态"]


async def test_capability_filter_includes_a_groups_capabilities(client, demo_db):
    group = (
        await Capability.select(Capability.id, Capability.name)
        .where(Capability.parent.is_null())
        .order_by(Capability.position)
        .first()
    )
    children = [
        r["id"] for r in await Capability.select(Capability.id).where(Capability.parent == group["id"])
    ]
    rows = await ScenarioCapability.select(ScenarioCapability.scenario).where(
        ScenarioCapability.capability.is_in([group["id"], *children])
        & ScenarioCapability.scenario.public_status.is_not_null()
    )
    expected = {r["scenario"] for r in rows}
    doc = await get_page(client, f"/scenarios?capability={group['id']}&page_size=100")
    assert {c["id"] for c in scenario_cards(doc)} == expected
    assert any(f"能力：{group['name']}" in a.text() for a in doc.find_all("a", "chip"))


@pytest.mark.parametrize("window", ["7d", "30d", "90d", "passed"])
async def test_deadline_window_filter(client, demo_db, window):
    doc = await get_page(client, f"/scenarios?deadline={window}&page_size=100")
    ids = [c["id"] for c in scenario_cards(doc)]
    assert result_count(doc) == len(ids)
    rows = await Scenario.select(Scenario.id, Scenario.proposal_deadline).where(Scenario.id.is_in(ids or [0]))
    now = clock.now()
    for row in rows:
        deadline = row["proposal_deadline"]
        assert deadline is not None
        if window == "passed":
            assert deadline < now
        else:
            assert now <= deadline <= now + dt.timedelta(days=int(window[:-1]))


async def test_sort_by_deadline_puts_the_nearest_first(client, demo_db):
    doc = await get_page(client, "/scenarios?sort=deadline&status=open&page_size=100")
    ids = [c["id"] for c in scenario_cards(doc)]
    rows = {
        r["id"]: r["proposal_deadline"]
        for r in await Scenario.select(Scenario.id, Scenario.proposal_deadline).where(
            Scenario.id.is_in(ids or [0])
        )
    }
    deadlines = [rows[i] for i in ids if rows[i] is not None]
    assert deadlines == sorted(deadlines)


async def test_pagination_shows_other_items_and_keeps_the_filters(client, demo_db, demo):
    domain, count = Counter(s["domain"] for s in public_scenarios(demo)).most_common(1)[0]
    assert count >= 3, "the demo data should have at least three scenarios in one domain"
    base = f"/scenarios?domain={domain}&sort=deadline&page_size=2"
    first = await get_page(client, base)
    nav = first.find("nav", "pagination")
    assert nav is not None
    next_link = nav.find("a", rel="next").attrs["href"]
    assert "page=2" in next_link and "sort=deadline" in next_link and "page_size=2" in next_link
    assert "domain=" in next_link
    second = await get_page(client, next_link)
    titles_1 = {c["title"] for c in scenario_cards(first)}
    titles_2 = {c["title"] for c in scenario_cards(second)}
    assert len(titles_1) == 2 and titles_2 and not titles_1 & titles_2
    assert all(c["domain"] == domain for c in scenario_cards(second))
    assert second.find("nav", "pagination").find("a", rel="prev") is not None
    assert second.find("nav", "pagination").find("a", aria_current="page").text() == "2"
    # The form on page 2 still shows the chosen domain.
    option = second.find("select", name="domain").find("option", value=domain)
    assert option.attrs.get("selected") is not None
    # Past the last page: a friendly note, not an error.
    beyond = await get_page(client, f"{base}&page=999")
    assert not scenario_cards(beyond) and "没有内容" in beyond.text()


async def test_empty_result_shows_an_empty_state(client, demo_db, demo):
    taken = {(s["domain"], s.get("status", "open")) for s in public_scenarios(demo)}
    combo = next(
        (
            (d, st)
            for d in DOMAINS
            for st in ("completed", "piloting", "awarded", "cancelled", "closed")
            if (d, st) not in taken
        ),
        None,
    )
    assert combo is not None, "the demo data must leave a domain/status combination empty for this test"
    doc = await get_page(client, f"/scenarios?domain={combo[0]}&status={combo[1]}")
    assert result_count(doc) == 0
    assert "没有符合条件的场景" in doc.find("div", "empty-state").text()


@pytest.mark.parametrize(
    "query, field",
    [
        ("domain=火星", "domain"),
        ("page=0", "page"),
        ("page_size=1000", "page_size"),
        ("department=abc", "department"),
        ("deadline=1y", "deadline"),
        ("sort=random", "sort"),
        ("capability=99999999999", "capability"),
    ],
)
async def test_bad_query_parameters_answer_400_with_a_chinese_message(client, demo_db, query, field):
    response = await client.get(f"/scenarios?{query}")
    assert response.status_code == 400
    assert_clean_markup(response.text)
    doc = parse(response.text)
    alert = doc.find("div", "alert-error")
    assert alert is not None and "查询参数有误" in alert.text()
    assert field in alert.text()
    # The form is still there to correct the query.
    assert doc.find("form", "filter-form") is not None
    assert not scenario_cards(doc)


# --- scenario details --------------------------------------------------------------------------


def _richest_open(demo: dict) -> dict:
    candidates = [s for s in public_scenarios(demo) if s.get("status", "open") == "open"]
    return max(
        candidates,
        key=lambda s: sum(
            bool(s.get(f))
            for f in (
                "description",
                "expected_outcome",
                "data_offered",
                "resources_offered",
                "budget_max",
                "criteria",
            )
        ),
    )


async def test_detail_page_has_what_a_company_needs(client, demo_db, demo):
    sc = _richest_open(demo)
    response = await client.get(f"/scenarios/{await scenario_id(sc['key'])}")
    assert response.status_code == 200
    assert_clean_markup(response.text)
    doc = parse(response.text)
    assert doc.find("h1").text() == sc["title"]
    assert sc["title"] in doc.find("title").text()
    text = doc.text()
    assert department_name(demo, sc["department"]) in text
    assert "征集中" in doc.find("span", "badge").text()
    assert sc["domain"] in text
    for field in ("description", "expected_outcome", "target_users", "data_offered", "resources_offered"):
        if sc.get(field):
            first_line = sc[field].strip().splitlines()[0].strip()
            assert " ".join(first_line.split()) in text, field
    # Evaluation criteria with their weights.
    criteria = (
        [(c["name"], c["weight"]) for c in sc["criteria"]]
        if sc.get("criteria")
        else [(name, weight) for name, weight, _ in DEFAULT_CRITERIA]
    )
    rows = doc.find("table", "criteria-table").find("tbody").find_all("tr")
    assert [(r.find("th").text(), r.find("span", "weight-value").text()) for r in rows] == [
        (n, f"{w}%") for n, w in criteria
    ]
    # Required capabilities with weights adding up to 100.
    weights = (
        [int(v.text().rstrip("%")) for v in doc.find("ul", "weight-list").find_all("span", "weight-value")]
        if doc.find("ul", "weight-list")
        else []
    )
    assert not weights or sum(weights) == 100
    # Deadlines with the days left, and the budget in 万元.
    if sc.get("deadline"):
        assert "方案截止" in text and re.search(r"还剩 \d+ 天|今天截止", text)
    if sc.get("budget_max"):
        assert "万元" in text


async def test_unmapped_capability_words_show_as_tags(client, demo_db):
    row = (
        await Scenario.select(Scenario.id, Scenario.tags)
        .where(Scenario.public_status.is_not_null())
        .output(load_json=True)
    )
    tagged = next((r for r in row if r["tags"]), None)
    assert tagged is not None, "the demo data must have a public scenario with unmapped capability words"
    doc = await get_page(client, f"/scenarios/{tagged['id']}")
    shown = [li.text() for li in doc.find_all("li", "cap-tag")]
    assert shown == tagged["tags"]


async def test_non_public_scenario_answers_404(client, demo_db, demo):
    hidden = [s for s in demo["scenarios"] if s.get("status", "open") in PRIVATE_STATUSES]
    assert hidden, "the demo data must have a non-public scenario"
    response = await client.get(f"/scenarios/{await scenario_id(hidden[0]['key'])}")
    assert response.status_code == 404
    assert_clean_markup(response.text)
    assert "不存在" in parse(response.text).text()
    assert hidden[0]["title"] not in response.text


@pytest.mark.parametrize(
    "path",
    [
        "/scenarios/0",
        "/scenarios/2147483648",
        "/scenarios/99999999999999999999",
        "/scenarios/abc",
        "/scenarios/2147483647",
        "/companies/0",
        "/companies/2147483648",
        "/companies/2147483647",
        "/nowhere",
    ],
)
async def test_unknown_and_out_of_range_ids_answer_a_friendly_404(client, demo_db, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert_clean_markup(response.text)
    doc = parse(response.text)
    assert doc.find("h1").text() == "页面不存在"
    assert doc.find("a", href="/scenarios") is not None


# --- companies -----------------------------------------------------------------------------------


async def test_company_directory_lists_members_large_first(client, demo_db, demo):
    response = await client.get("/companies?page_size=100")
    assert response.status_code == 200
    assert_clean_markup(response.text)
    doc = parse(response.text)
    assert_every_control_labelled(doc)
    members = listed_companies(demo)
    cards = company_cards(doc)
    assert result_count(doc) == len(members)
    assert {c["name"] for c in cards} == {c["name"] for c in members}
    sizes = [c["size"] for c in cards]
    assert sizes == sorted(sizes, key=lambda s: s != "大型企业")
    hidden = {c["name"] for c in demo["companies"]} - {c["name"] for c in members}
    assert not hidden & {c["name"] for c in cards}


@pytest.mark.parametrize("size, label", [("large", "大型企业"), ("sme", "中小企业")])
async def test_company_size_filter(client, demo_db, demo, size, label):
    doc = await get_page(client, f"/companies?size={size}&page_size=100")
    cards = company_cards(doc)
    assert len(cards) == sum(1 for c in listed_companies(demo) if c.get("size", "sme") == size)
    assert all(c["size"] == label for c in cards)


async def test_company_capability_filter_and_pagination(client, demo_db, demo):
    from marketplace.companies.tables import CompanyCapability

    top = await CompanyCapability.select(CompanyCapability.capability).where(
        CompanyCapability.company.status == "approved"
    )
    cap_id, _ = Counter(r["capability"] for r in top).most_common(1)[0]
    expected = {
        r["company"]
        for r in await CompanyCapability.select(CompanyCapability.company).where(
            (CompanyCapability.capability == cap_id)
            & (CompanyCapability.company.status == "approved")
            & (CompanyCapability.company.publish_profile == True)
        )
    }
    doc = await get_page(client, f"/companies?capability={cap_id}&page_size=100")
    assert {c["id"] for c in company_cards(doc)} == expected
    if len(listed_companies(demo)) > 2:
        page_1 = await get_page(client, "/companies?page_size=2")
        link = page_1.find("nav", "pagination").find("a", rel="next").attrs["href"]
        assert "page_size=2" in link
        page_2 = await get_page(client, link)
        assert not {c["id"] for c in company_cards(page_1)} & {c["id"] for c in company_cards(page_2)}


async def test_company_profile(client, demo_db, demo):
    member = max(
        listed_companies(demo), key=lambda c: len(c.get("past_projects", [])) + len(c.get("capabilities", []))
    )
    row = await Company.select(Company.id).where(Company.key == member["key"]).first()
    response = await client.get(f"/companies/{row['id']}")
    assert response.status_code == 200
    assert_clean_markup(response.text)
    doc = parse(response.text)
    assert doc.find("h1").text() == member["name"]
    text = doc.text()
    assert ("大型企业" if member.get("size") == "large" else "中小企业") in text
    for project in member.get("past_projects", []):
        assert project["title"] in text
    if member.get("founded_year"):
        assert f"{member['founded_year']} 年" in text
    labels = {el.text() for el in doc.find_all("span", "evidence")}
    assert labels <= {"自述", "有项目案例", "协会已核验"}
    if member.get("capabilities"):
        assert labels


async def test_unlisted_company_answers_404(client, demo_db, demo):
    unlisted = [c for c in demo["companies"] if c.get("status", "approved") != "approved"]
    assert unlisted, "the demo data must have a company that is not approved"
    row = await Company.select(Company.id).where(Company.key == unlisted[0]["key"]).first()
    response = await client.get(f"/companies/{row['id']}")
    assert response.status_code == 404
    assert unlisted[0]["name"] not in response.text


async def test_bad_company_filters_answer_400(client, demo_db):
    response = await client.get("/companies?size=giant")
    assert response.status_code == 400
    assert "查询参数有误" in response.text and "size" in response.text
