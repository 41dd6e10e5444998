"""The OpenAPI document (valid, every endpoint with its 400/404 and documented parameters) and the
docs pages, which must work offline: Swagger UI from the npm install, no external URL at all."""

from __future__ import annotations

import re

import pytest

from marketplace.app import NODE_MODULES
from marketplace.core.pagination import MAX_PAGE_SIZE
from marketplace.scenarios.services import DEADLINE_WINDOWS, SORTS
from marketplace.scenarios.status import DOMAINS, PUBLIC_STATUSES

ENDPOINTS = {
    "/api/v1/scenarios": {"200", "400"},
    "/api/v1/scenarios/{scenario_id}": {"200", "400", "404"},
    "/api/v1/companies": {"200", "400"},
    "/api/v1/companies/{company_id}": {"200", "400", "404"},
    "/api/v1/capabilities": {"200"},
    "/api/v1/departments": {"200"},
}
# Anything that would make the browser leave the app: scheme URLs and protocol-relative ones.
EXTERNAL = re.compile(r"(?:https?:)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", re.IGNORECASE)


async def openapi(client) -> dict:
    response = await client.get("/schema/openapi.json")
    assert response.status_code == 200
    return response.json()


def parameters(document: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}


async def test_openapi_is_valid(client):
    schemathesis = pytest.importorskip("schemathesis")
    # Checks the document against the OpenAPI 3.1 meta-schema; raises if it breaks it.
    schemathesis.openapi.from_dict(await openapi(client)).validate()


async def test_openapi_lists_every_endpoint_with_its_error_responses(client):
    document = await openapi(client)
    assert document["openapi"].startswith("3.1")
    api_paths = document["paths"]
    assert set(ENDPOINTS) <= set(api_paths)
    for path, statuses in ENDPOINTS.items():
        operation = api_paths[path]["get"]
        assert set(api_paths[path]) == {"get"}, path  # read-only
        assert set(operation["responses"]) == statuses, path
        assert operation["operationId"] and operation["summary"] and operation["tags"]
        for status in statuses - {"200"}:
            content = operation["responses"][status]["content"]["application/json"]
            assert content["schema"] == {"$ref": "#/components/schemas/ApiError"}, (path, status)
    error = document["components"]["schemas"]["ApiError"]
    assert set(error["properties"]) == {"status_code", "detail", "errors"}
    assert set(error["required"]) == {"status_code", "detail"}


async def test_list_parameters_are_documented_with_types_enums_and_bounds(client):
    document = await openapi(client)
    scenario = parameters(document, "/api/v1/scenarios")
    assert set(scenario) == {
        "q",
        "domain",
        "department",
        "capability",
        "status",
        "deadline",
        "sort",
        "page",
        "page_size",
    }
    assert scenario["domain"]["schema"]["enum"] == list(DOMAINS)
    assert scenario["status"]["schema"]["enum"] == list(PUBLIC_STATUSES)
    assert scenario["deadline"]["schema"]["enum"] == list(DEADLINE_WINDOWS)
    assert scenario["sort"]["schema"]["enum"] == list(SORTS)
    assert scenario["page_size"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_PAGE_SIZE,
        "default": 20,
        "description": scenario["page_size"]["description"],
    }
    for name, parameter in scenario.items():
        assert parameter["in"] == "query" and not parameter["required"], name
        assert parameter["description"], name
        assert parameter["allowEmptyValue"] is True, name  # an empty value means "not given"
    assert scenario["department"]["schema"]["type"] == "integer"
    company = parameters(document, "/api/v1/companies")
    assert set(company) == {"q", "size", "capability", "page", "page_size"}
    assert company["size"]["schema"]["enum"] == ["large", "sme"]
    for path, name in [
        ("/api/v1/scenarios/{scenario_id}", "scenario_id"),
        ("/api/v1/companies/{company_id}", "company_id"),
    ]:
        schema = parameters(document, path)[name]["schema"]
        assert (schema["type"], schema["minimum"], schema["maximum"]) == ("integer", 1, 2**31 - 1)


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
async def test_docs_page_is_swagger_ui_with_no_external_url(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "SwaggerUIBundle" in html
    assert EXTERNAL.findall(html) == []
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert len(assets) == 4  # favicon, stylesheet, bundle, standalone preset
    assert all(a.startswith("/static/vendor/swagger-ui-dist/") for a in assets), assets
    if NODE_MODULES.joinpath("swagger-ui-dist").exists():
        for asset in assets:
            served = await client.get(asset)
            assert served.status_code == 200, asset
            assert len(served.content) > 0


async def test_no_cdn_based_docs_page_is_served(client):
    for path in ("/schema/redoc", "/schema/elements", "/schema/rapidoc"):
        assert (await client.get(path)).status_code == 404, path


async def test_openapi_document_has_no_external_url(client):
    response = await client.get("/schema/openapi.json")
    assert EXTERNAL.findall(response.text) == []


async def test_every_api_error_body_has_one_exact_schema(client):
    """Issue 13, defect 8: 400 bodies were a ``oneOf`` of Litestar's exception schema and its
    ValidationException schema (with ``extra``), which overlap: every 400 matched both."""
    document = await openapi(client)
    for path, item in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                if int(status) >= 400 and "content" in response:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ApiError"}, (method, path, status)
    error = document["components"]["schemas"]["ApiError"]
    assert set(error["properties"]) == {"status_code", "detail", "errors"}


async def test_unknown_fields_and_what_submit_requires_are_documented(client):
    document = await openapi(client)
    schemas = document["components"]["schemas"]
    for name in ("ProposalPatch", "ProfilePatch", "Milestone"):
        assert schemas[name]["additionalProperties"] is False, name
    patch = document["paths"]["/api/v1/proposals/{proposal_id}"]["patch"]
    assert "未知字段" in patch["responses"]["400"]["description"]
    submit = document["paths"]["/api/v1/proposals/{proposal_id}/submit"]["post"]
    for field in ("summary", "capability_answers", "timeline", "cost_estimate", "declaration_accepted"):
        assert field in submit["description"], field
