"""Property-based run of the public API against its own OpenAPI document (schemathesis).

Valid and invalid inputs are generated for every public read operation (bounded, 100 per operation and
mode); every response must be documented (status code, content type, body schema), invalid input
must be refused with a 4xx, and nothing may answer 500. The app is built without the pool
lifespan (see PITFALLS) and called in process. The ``unsupported_method`` check is left out: it
checks Litestar's automatic ``Allow`` header, which lists only one handler's methods on paths
with several methods (litestar issue 4169).
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import unsupported_method  # noqa: E402

from marketplace.app import create_app  # noqa: E402

# The public read API only: operations that need a login or write belong to their own runs (and
# would write into the shared read-only catalog).
PUBLIC_READ_OPERATIONS = [
    "listScenarios",
    "getScenario",
    "listCompanies",
    "getCompany",
    "listCapabilities",
    "listDepartments",
    "searchSuggestions",
    "listOcdsReleases",
    "getOcdsRecord",
    "downloadOcdsPackage",
    "listScenarioChanges",
    "listCompanyChanges",
]


# Loaded at collection: schemathesis' lazy ``from_fixture`` fails on pytest 9 (no ``_nodeid``).
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(use_pool=False))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=100,
    deterministic=True,
    database="none",
)
schema = schema.include(operation_id=PUBLIC_READ_OPERATIONS)


@schema.parametrize()
@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_api_conforms_to_its_openapi(case, api_catalog):
    case.call_and_validate(excluded_checks=[unsupported_method])
