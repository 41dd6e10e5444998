"""Small factories: each sets only what a test is about; everything else gets a sane default."""

from __future__ import annotations

import itertools

from marketplace.companies.tables import Company
from marketplace.departments.tables import Department
from marketplace.scenarios.tables import Scenario, ScenarioCapability, ScenarioCriterion
from marketplace.taxonomy.tables import Capability

_seq = itertools.count(1)


async def make_department(**values) -> int:
    n = next(_seq)
    row = Department(key=values.pop("key", f"dept-{n}"), name=values.pop("name", f"测试部门{n}"), **values)
    await row.save()
    return row.id


async def make_capability(parent: int | None = None, **values) -> int:
    n = next(_seq)
    row = Capability(key=values.pop("key", f"cap-{n}"), name=values.pop("name", f"能力{n}"), parent=parent, **values)
    await row.save()
    return row.id


async def make_company(**values) -> int:
    n = next(_seq)
    row = Company(name=values.pop("name", f"测试企业{n}有限公司"), status=values.pop("status", "approved"), **values)
    await row.save()
    return row.id


async def make_scenario(status: str = "draft", *, criteria=((("方案", 60), ("成本", 40))),
                        capabilities: list[tuple[int, int]] | None = None, **values) -> int:
    """A scenario in ``status`` with valid weights (criteria 60/40 unless given).

    It is inserted as a draft and then moved, as the database only lets a scenario leave the
    draft states once its weights add up.
    """
    department = values.pop("department", None) or await make_department()
    row = Scenario(title=values.pop("title", "测试场景"), domain=values.pop("domain", "一网通办"),
                   department=department, status="draft", **values)
    await row.save()
    for pos, (name, weight) in enumerate(criteria):
        await ScenarioCriterion.insert(ScenarioCriterion(scenario=row.id, name=name, weight=weight, position=pos))
    for cap, weight in capabilities or []:
        await ScenarioCapability.insert(ScenarioCapability(scenario=row.id, capability=cap, weight=weight))
    if status != "draft":
        await Scenario.update({Scenario.status: status}).where(Scenario.id == row.id)
    return row.id
