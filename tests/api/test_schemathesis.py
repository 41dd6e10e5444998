"""Property-based runs of the whole API against its own OpenAPI document (schemathesis, issue 13).

Every operation, public or not, reading or writing, is called anonymously and with a bearer token
of each role: a manager of an approved member company, a manager of a pending company, department
staff (an evaluator of the scenario's department) and an association admin. Valid and invalid
inputs are generated (positive and negative modes, plus schemathesis' coverage phase: boundary
values, missing and unexpected parameters, undeclared methods), and every check runs, including
response schema conformance, ``Allow`` on OPTIONS and 405, and the acceptance of valid data and
refusal of invalid data. A stateful run then follows the OpenAPI links of the document (a created
draft's id into its patch, submit, withdraw, versions, consortium; a listed token into its
revocation), for each role. The result must be no failure and no server error.

The app is built without the pool lifespan (see PITFALLS) and called in process, on a throwaway
world of its own (``build_once``: on SQLite every test starts from the same snapshot).

The fuzzer never locks or revokes itself: it signs in with tokens made for it, never through the
token route (whose failed guesses lock the address: 429, documented), and a revocation aimed at
the fuzzer's own token is turned onto a spare token of the same user.

Budget (CI runs the suite on SQLite and PostgreSQL side by side on 2 cores): the stateless run
draws at most ``MAX_EXAMPLES`` examples per operation, role and mode, the coverage phase adds its
own boundary cases; the stateful run draws ``STATEFUL_RUNS`` scenarios of at most
``STATEFUL_STEPS`` calls per role. Run times in BENCHMARKS.md ("API fuzzing").
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from marketplace.accounts.credentials import create_api_token  # noqa: E402
from marketplace.app import create_app  # noqa: E402
from marketplace.proposals import consortium as pc  # noqa: E402
from marketplace.proposals import services as ps  # noqa: E402
from tests.accounts.helpers import make_user  # noqa: E402
from tests.conftest import build_once, pool_for_this_loop  # noqa: E402
from tests.factories import make_scenario  # noqa: E402
from tests.proposals.helpers import actor, complete_content, proposal_world  # noqa: E402

# Examples per operation, role and generation mode. Deterministic (derandomized): the same
# examples on every run, so a failure reproduces; 20 keeps the whole run near a minute per
# database while still reaching every documented status of every operation.
MAX_EXAMPLES = 12
PUBLIC_EXAMPLES = 50  # the public reads, anonymously, on the catalog
STATEFUL_RUNS = 30
STATEFUL_STEPS = 8
ROLES = ["anonymous", "member", "pending", "staff", "admin"]

# The public read API: it never looks at who asks, so it runs anonymously, on the shared API
# catalog (many scenarios and companies, every status) where list filters and paging meet real
# data; every other operation runs for every role.
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
REVOKE = "revokeToken"


def _pooled(app):
    """The app, with a PostgreSQL pool in the event loop schemathesis calls it in (it keeps one
    loop for every call): without it each query opened a connection, 7 times slower."""

    async def asgi(scope, receive, send):
        await pool_for_this_loop()
        await app(scope, receive, send)

    return asgi


# Loaded at collection: schemathesis' lazy ``from_fixture`` fails on pytest 9 (no ``_nodeid``).
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", _pooled(create_app(use_pool=False)))
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
)
HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
)


class Fuzzer:
    """The fuzzer's credentials in the current world: per role, the ``Authorization`` header,
    the id of that token and of a spare token of the same user."""

    headers: dict[str, dict[str, str]] = {}
    own_token: dict[str, int] = {}
    spare_token: dict[str, int] = {}

    @classmethod
    def prepare(cls, case, role: str) -> dict[str, str]:
        """The headers to send ``case`` with as ``role``; a revocation of the fuzzer's own token
        revokes its spare token instead."""
        own = cls.own_token.get(role)
        aimed = case.path_parameters.get("token_id") if case.path_parameters else None
        if case.operation.definition.raw.get("operationId") == REVOKE and own is not None and aimed == own:
            case.path_parameters["token_id"] = cls.spare_token[role]
        return cls.headers.get(role, {})


async def _world() -> dict:
    """Two open scenarios: on the first a submitted proposal of the lead company, which invites
    the member's company (an SME) into its consortium; on the second the member's own draft. One
    user per role, each with two tokens."""
    w = await proposal_world()
    second = await make_scenario(
        "open",
        department=w["dept"],
        title="第二个征集中场景",
        proposal_deadline=w["deadline"],
        public_status="open",
    )
    lead = actor(w["lead_manager"])
    pid = await ps.create_draft(w["scenario"], lead)
    await ps.save_proposal(pid, lead, complete_content(w))
    await ps.submit_proposal(pid, lead)
    await pc.invite_member(pid, lead, w["sme"], "算法研发", 30)
    draft = await ps.create_draft(second, actor(w["sme_manager"]))
    await ps.save_proposal(draft, actor(w["sme_manager"]), {"summary": "中小企业的草稿。"})
    users = {
        "member": w["sme_manager"],
        "pending": w["pending_manager"],
        "staff": await make_user(
            f"staff{w['n']}@example.com", role="staff", department=w["dept"], is_evaluator=True
        ),
        "admin": await make_user(f"admin{w['n']}@example.com", role="admin"),
    }
    credentials: dict[str, dict] = {"headers": {"anonymous": {}}, "own": {}, "spare": {}}
    for role, user in users.items():
        own, token = await create_api_token(user, "fuzzer")
        credentials["own"][role] = own
        credentials["spare"][role] = (await create_api_token(user, "spare"))[0]
        credentials["headers"][role] = {"Authorization": f"Bearer {token}"}
    return credentials


@pytest.fixture
async def fuzz_world(db):
    credentials = await build_once("schemathesis", _world)
    Fuzzer.headers = credentials["headers"]
    Fuzzer.own_token = credentials["own"]
    Fuzzer.spare_token = credentials["spare"]
    yield


public_schema = schema.include(operation_id=PUBLIC_READ_OPERATIONS)


@public_schema.parametrize()
@settings(HYPOTHESIS, max_examples=PUBLIC_EXAMPLES)
def test_public_reads_conform_on_the_catalog(case, api_catalog):
    case.call_and_validate()


@pytest.mark.parametrize("role", ROLES)
@schema.exclude(operation_id=PUBLIC_READ_OPERATIONS).parametrize()
@HYPOTHESIS
def test_every_operation_conforms_for_every_role(case, role, fuzz_world):
    case.call_and_validate(headers=Fuzzer.prepare(case, role))


# The operations the stateful run starts from and goes through: those that make, change or list
# proposals and tokens, and what leads to them (every other operation only reads, and would
# mostly dilute the chains).
STATEFUL_OPERATIONS = [
    "listScenarios",
    "getScenario",
    "createProposal",
    "listProposals",
    "getProposal",
    "updateProposal",
    "submitProposal",
    "withdrawProposal",
    "listProposalVersions",
    "inviteConsortiumMember",
    "answerConsortiumInvitation",
    "listTokens",
    "revokeToken",
]


class StatefulRun(schema.include(operation_id=STATEFUL_OPERATIONS).as_state_machine()):  # type: ignore[misc]
    """Follows the document's links; ``role`` is set before each run."""

    role = "anonymous"

    def get_call_kwargs(self, case):
        return {"headers": Fuzzer.prepare(case, self.role)}


@pytest.mark.parametrize("role", ROLES)
def test_linked_operations_conform_for_every_role(role, fuzz_world):
    StatefulRun.role = role
    StatefulRun.run(
        settings=settings(
            max_examples=STATEFUL_RUNS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
    )
