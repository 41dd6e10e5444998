"""GET /api/v1/capabilities and /api/v1/departments: what API clients build filters from."""

from __future__ import annotations

from datetime import date

from tests.api.conftest import catalog_data


async def test_capabilities_are_the_taxonomy_tree_with_synonyms(client, api_catalog):
    response = await client.get("/api/v1/capabilities")
    assert response.status_code == 200
    groups = response.json()["items"]
    assert [g["key"] for g in groups] == ["grp-ai", "grp-iot"]
    ai = groups[0]
    assert set(ai) == {"id", "key", "name", "name_en", "synonyms", "description", "children"}
    assert ai["name"] == "人工智能与语音" and ai["synonyms"] == ["AI"]
    assert [c["key"] for c in ai["children"]] == ["cap-asr", "cap-nlp"]
    asr = ai["children"][0]
    assert set(asr) == {"id", "key", "name", "name_en", "synonyms", "description"}
    assert asr["synonyms"] == ["ASR", "智能语音"] and asr["name_en"] == "Speech recognition"
    assert groups[1]["children"][0]["synonyms"] == []  # none declared: an empty list, not null


async def test_departments_list_every_department(client, api_catalog):
    response = await client.get("/api/v1/departments")
    assert response.status_code == 200
    items = response.json()["items"]
    # Every department, also one without public scenarios (dept-c), so filters can list it.
    assert {d["key"] for d in items} == {d["key"] for d in catalog_data(date.today())["departments"]}
    assert all(set(d) == {"id", "key", "name", "short_name"} for d in items)


async def test_reference_lists_on_an_empty_database(client, db):
    assert (await client.get("/api/v1/capabilities")).json() == {"items": []}
    assert (await client.get("/api/v1/departments")).json() == {"items": []}
    body = (await client.get("/api/v1/scenarios")).json()
    assert {k: body[k] for k in ("items", "total", "page", "page_size", "pages")} == {
        "items": [],
        "total": 0,
        "page": 1,
        "page_size": 20,
        "pages": 1,
    }
    assert (await client.get("/api/v1/companies")).json()["total"] == 0
