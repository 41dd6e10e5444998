"""GET /api/v1/companies and /api/v1/companies/{id}: only approved companies that publish their
profile, filters by size and capability (a group includes its capabilities), pagination, 400s,
404 for pending, suspended, unpublished and unknown companies, same data as the service."""

from __future__ import annotations

import functools
import json
import operator

import msgspec
import pytest

from marketplace.companies.schemas import CompanyDetail, CompanySummary
from marketplace.companies.services import CompanyFilters, list_public_companies
from marketplace.companies.tables import Company
from tests.api.test_scenarios_api import reference_ids

URL = "/api/v1/companies"
PUBLIC = {"co-large-voice", "co-large-iot", "co-sme-nlp", "co-sme-video", "co-sme-asr"}


async def company_id(key: str) -> int:
    return (await Company.select(Company.id).where(Company.key == key).first())["id"]


async def keys(client, **params) -> tuple[list[str], int]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["items"]) == body["total"] or body["total"] > body["page_size"]
    return [i["key"] for i in body["items"]], body["total"]


async def test_directory_lists_public_companies_large_firms_first(client, api_catalog):
    body = (await client.get(URL)).json()
    assert set(body) == {"items", "total", "page", "page_size", "pages", "facets", "highlights", "search"}
    assert (body["total"], body["page"], body["page_size"], body["pages"]) == (5, 1, 20, 1)
    assert {i["key"] for i in body["items"]} == PUBLIC
    sizes = [i["size"] for i in body["items"]]
    assert sizes == ["large", "large", "sme", "sme", "sme"]
    for item in body["items"]:
        assert set(item) == set(CompanySummary.__struct_fields__)
        assert item["size_label"] in ("大型企业", "中小企业")
    msgspec.convert(body["items"], list[CompanySummary], strict=False)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("large", {"co-large-voice", "co-large-iot"}),
        ("sme", {"co-sme-nlp", "co-sme-video", "co-sme-asr"}),
    ],
)
async def test_size_filter(client, api_catalog, size, expected):
    found, total = await keys(client, size=size)
    assert set(found) == expected and total == len(expected)


@pytest.mark.parametrize(
    ("capability", "expected"),
    [
        ("cap-asr", {"co-large-voice", "co-sme-asr"}),  # 智能语音 is a synonym of 语音识别
        ("cap-video", {"co-large-iot", "co-sme-video"}),
        ("grp-ai", {"co-large-voice", "co-sme-nlp", "co-sme-asr"}),
        ("grp-iot", {"co-large-iot", "co-sme-video"}),
    ],
)
async def test_capability_filter(client, api_catalog, capability, expected):
    _, caps = await reference_ids(client)
    found, total = await keys(client, capability=caps[capability])
    assert set(found) == expected and total == len(expected)


async def test_filters_combine(client, api_catalog):
    _, caps = await reference_ids(client)
    found, total = await keys(client, size="sme", capability=caps["grp-ai"])
    assert set(found) == {"co-sme-nlp", "co-sme-asr"} and total == 2


async def test_pages(client, api_catalog):
    pages = [(await client.get(URL, params={"page": n, "page_size": 2})).json() for n in (1, 2, 3)]
    ids = [[i["id"] for i in p["items"]] for p in pages]
    assert [len(x) for x in ids] == [2, 2, 1] and ids[0] != ids[1]
    assert len(set(functools.reduce(operator.iadd, ids, []))) == 5
    assert all(p["pages"] == 3 and p["total"] == 5 for p in pages)
    assert (await client.get(URL, params={"page_size": 101})).status_code == 400


async def test_profile_shows_capabilities_with_evidence_and_past_projects(client, api_catalog):
    response = await client.get(f"{URL}/{await company_id('co-large-voice')}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == set(CompanyDetail.__struct_fields__)
    evidence = {c["capability"]["key"]: c["evidence"] for c in body["capabilities"]}
    assert evidence == {"cap-asr": "past_project", "cap-nlp": "self_declared"}
    assert body["capabilities"][0]["evidence_label"] == "有项目案例"  # stronger evidence first
    assert body["past_projects"] == [
        {"title": "热线语音转写", "client": "数据局", "year": 2025, "delivered": "", "capability": "语音识别"}
    ]
    msgspec.convert(body, CompanyDetail, strict=False)


@pytest.mark.parametrize("key", ["co-pending", "co-suspended", "co-hidden"])
async def test_a_company_that_is_not_public_is_a_404(client, api_catalog, key):
    response = await client.get(f"{URL}/{await company_id(key)}")
    assert response.status_code == 404
    assert response.json() == {"status_code": 404, "detail": "企业不存在或未公开。"}


@pytest.mark.parametrize(
    ("path_id", "status"),
    [
        ("2147483647", 404),
        ("0", 400),
        ("-5", 400),
        ("99999999999", 400),
        ("abc", 404),
    ],
)
async def test_path_ids_are_bounded_and_never_a_500(client, api_catalog, path_id, status):
    response = await client.get(f"{URL}/{path_id}")
    assert response.status_code == status, response.text
    assert response.json()["status_code"] == status
    if status == 400:
        assert set(response.json()["errors"]) == {"company_id"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("size", "giant"),
        ("size", "LARGE"),
        ("capability", "x"),
        ("capability", "0"),
        ("capability", "99999999999"),
        ("page", "0"),
        ("page", "two"),
        ("page_size", "101"),
    ],
)
async def test_bad_parameter_is_a_400_naming_it(client, api_catalog, name, value):
    response = await client.get(URL, params={name: value})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status_code"] == 400 and set(body["errors"]) == {name}
    assert "参数有误" in body["detail"]


@pytest.mark.parametrize("params", [{}, {"size": "sme"}, {"page": 2, "page_size": 2}])
async def test_api_returns_what_the_directory_service_returns(client, api_catalog, params):
    body = (await client.get(URL, params=params)).json()
    page = await list_public_companies(CompanyFilters(**params))
    assert body["total"] == page.total
    assert body["items"] == json.loads(msgspec.json.encode(page.items))
