"""OCDS releases of scenarios in every public status validate against the OCDS 1.1 schemas and
codelists, follow the scenario's public events, and never carry anything internal."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from marketplace.companies.tables import Company
from marketplace.core import clock
from marketplace.evaluation import pilots
from marketplace.evaluation.tables import Pilot
from marketplace.opendata import services
from marketplace.scenarios.tables import Scenario, ScenarioAmendment
from tests.evaluation.helpers import NOW, PROPOSAL_TEXT, make_evaluation_world
from tests.evaluation.test_leaks import INTERNAL
from tests.evaluation.test_publication import decided_world
from tests.factories import make_capability, make_scenario
from tests.opendata.ocds_schema import package_errors, release_errors

PREFIX = "ocds-xxxxxx-sip-"


async def _open_scenario(capability: tuple[str, str] = ("asr", "语音识别"), **values) -> int:
    cap = await make_capability(key=capability[0], name=capability[1])
    return await make_scenario(
        "open",
        public_status="open",
        opened_at=values.pop("opened_at", NOW - dt.timedelta(days=3)),
        proposal_deadline=NOW + dt.timedelta(days=20),
        question_deadline=NOW + dt.timedelta(days=10),
        budget_min=100_000,
        budget_max=500_000,
        capabilities=[(cap, 100)],
        title=values.pop("title", "热线语音转写"),
        **values,
    )


async def _releases_of(scenario: int) -> list[dict]:
    return [r for r in await services.all_releases() if r["ocid"] == f"{PREFIX}{scenario}"]


async def test_an_open_scenario_is_an_active_tender_with_items_criteria_and_periods(db):
    clock.set_now(NOW)
    scenario = await _open_scenario()
    draft = await make_scenario("draft", title="内部草稿场景")
    (release,) = await _releases_of(scenario)
    assert release_errors(release) == []
    assert release["tag"] == ["tender"] and release["id"] == f"{PREFIX}{scenario}-tender"
    tender = release["tender"]
    assert tender["status"] == "active" and tender["title"] == "热线语音转写"
    assert tender["items"][0]["classification"] == {
        "scheme": "SIP-CAPABILITY",
        "id": "asr",
        "description": "语音识别",
    }
    assert tender["awardCriteria"] == "ratedCriteria" and "方案（权重 60%）" in tender["awardCriteriaDetails"]
    assert tender["tenderPeriod"]["endDate"].startswith("2026-12-21")
    assert tender["minValue"] == {"amount": 100_000, "currency": "CNY"}
    assert release["parties"][0]["roles"] == ["buyer", "procuringEntity"]
    assert not await _releases_of(draft)


async def test_a_deadline_extension_is_a_tender_amendment_and_the_history_keeps_the_old_deadline(db):
    clock.set_now(NOW)
    scenario = await _open_scenario()
    old = NOW + dt.timedelta(days=20)
    new = NOW + dt.timedelta(days=30)
    await Scenario.update({Scenario.proposal_deadline: new}).where(Scenario.id == scenario)
    await ScenarioAmendment.insert(
        ScenarioAmendment(
            scenario=scenario,
            kind="extension",
            reason="应企业请求延期。",
            changes={"proposal_deadline": {"before": old.isoformat(), "after": new.isoformat()}},
            created_at=NOW - dt.timedelta(days=1),
        )
    )
    record = await services.get_record(f"{PREFIX}{scenario}")
    first, amended = record["releases"]
    assert [first["tag"], amended["tag"]] == [["tender"], ["tenderAmendment"]]
    assert first["tender"]["tenderPeriod"]["endDate"].startswith("2026-12-21")
    assert amended["tender"]["tenderPeriod"]["endDate"].startswith("2026-12-31")
    assert amended["tender"]["amendments"][0]["rationale"] == "应企业请求延期。"
    assert record["compiledRelease"]["tag"] == ["compiled"]
    assert record["compiledRelease"]["tender"]["tenderPeriod"] == amended["tender"]["tenderPeriod"]
    for release in [*record["releases"], record["compiledRelease"]]:
        assert release_errors(release) == []


async def _world_in(kind: str) -> int:
    """A scenario whose public status is ``kind``."""
    if kind == "open":
        return await _open_scenario()
    if kind == "cancelled":
        scenario = await make_scenario(
            "cancelled",
            public_status="cancelled",
            opened_at=NOW - dt.timedelta(days=9),
            cancel_reason="需求调整。",
        )
        await ScenarioAmendment.insert(
            ScenarioAmendment(scenario=scenario, kind="cancellation", reason="需求调整。", created_at=NOW)
        )
        return scenario
    if kind == "closed":
        return (await make_evaluation_world("closed")).scenario
    if kind == "evaluating":
        return (await decided_world(selected="b")).scenario  # decided internally, not published
    w = await decided_world(selected=None if kind == "unsuccessful" else "b", publish=True)
    if kind in ("piloting", "completed"):
        await pilots.start_pilot(w.scenario, w.actor(w.staff))
    if kind == "completed":
        clock.set_now(NOW + dt.timedelta(days=60))
        pilot = await Pilot.select(Pilot.id).where(Pilot.scenario == w.scenario).first()
        await pilots.complete_pilot(pilot["id"], w.actor(w.staff), "试点达到预期。")
    return w.scenario


EXPECTED = {  # public status -> (tags of its releases, last tender status)
    "open": (["tender"], "active"),
    "cancelled": (["tender", "tenderCancellation"], "cancelled"),
    "closed": (["tender", "tenderUpdate"], "complete"),
    "evaluating": (["tender", "tenderUpdate"], "complete"),
    "unsuccessful": (["tender", "tenderUpdate", "tenderUpdate"], "unsuccessful"),
    "awarded": (["tender", "tenderUpdate", "award"], "complete"),
    "piloting": (["tender", "tenderUpdate", "award", "contract"], "complete"),
    "completed": (["tender", "tenderUpdate", "award", "contract", "implementationUpdate"], "complete"),
}


@pytest.mark.parametrize("kind", list(EXPECTED))
async def test_each_public_status_exports_a_package_that_validates(db, kind):
    scenario = await _world_in(kind)
    package = await services.export_package("http://testserver")
    assert package_errors(package) == []
    releases = [r for r in package["releases"] if r["ocid"] == f"{PREFIX}{scenario}"]
    tags, status = EXPECTED[kind]
    assert [r["tag"][0] for r in releases] == tags
    assert releases[-1]["tender"]["status"] == status
    record = await services.get_record(f"{PREFIX}{scenario}")
    assert release_errors(record["compiledRelease"]) == []
    if kind in ("awarded", "piloting", "completed"):
        award = releases[-1]
        assert [s["name"] for s in award["awards"][0]["suppliers"]] == [
            "乙数据集团有限公司",
            "丙感知小微科技有限公司",
        ]
        scales = {p["name"]: p["details"]["scale"] for p in award["parties"] if "details" in p}
        assert scales == {"乙数据集团有限公司": "large", "丙感知小微科技有限公司": "sme"}
    if kind in ("piloting", "completed"):
        contract = releases[-1]["contracts"][0]
        assert contract["status"] == ("terminated" if kind == "completed" else "active")
        assert contract["implementation"]["milestones"]


async def test_an_unpublished_decision_sealed_proposals_and_contacts_never_go_out(db):
    w = await decided_world(selected="b")  # shortlisted and decided, not published
    await Company.update({Company.contact_email: "secret-contact@example.com"}).where(
        Company.id.is_in([w.company_a, w.company_b, w.company_sme])
    )
    draft = await make_scenario("draft", title="内部草稿场景")
    package = await services.export_package("http://testserver")
    releases = [r for r in package["releases"] if r["ocid"] == f"{PREFIX}{w.scenario}"]
    assert releases and all("awards" not in r and len(r["parties"]) == 1 for r in releases)
    whole = json.dumps(package, ensure_ascii=False)
    leaked = [word for word in (*INTERNAL, "secret-contact@example.com", "内部草稿") if word in whole]
    assert not leaked
    assert not [r for r in package["releases"] if r["ocid"] == f"{PREFIX}{draft}"]


async def test_after_publication_only_the_partner_goes_out(db):
    w = await decided_world(selected="b", publish=True)
    await Company.update({Company.contact_email: "secret-contact@example.com"}).where(
        Company.id.is_in([w.company_a, w.company_b, w.company_sme])
    )
    whole = json.dumps(await services.export_package("http://testserver"), ensure_ascii=False)
    assert "乙数据集团有限公司" in whole
    for word in (
        "secret-contact@example.com",
        "甲视觉科技",
        "丁智能科技",
        "总分第一",
        "合议后认为方案可落地",
        "评审",
        "83.5",
        "64.5",
    ):
        assert word not in whole


async def test_sealed_proposals_never_go_out(db):
    w = await make_evaluation_world("closed", sealed=True)
    whole = json.dumps(await services.export_package("http://testserver"), ensure_ascii=False)
    assert f"{PREFIX}{w.scenario}" in whole
    leaked = [t for t in (*PROPOSAL_TEXT.values(), *w.names.values(), *INTERNAL) if str(t) in whole]
    assert not leaked
