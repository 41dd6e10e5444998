"""The scenario form: from submitted strings to a ``ScenarioInput``, the rules a scenario must
keep, and the writing checks that guide staff towards a good scenario.

Shared by the staff pages (draft, edit, amendment) and the services, which check the same rules
again (``scenario_rule_errors``) for any other caller. Error keys are the form's field names, so
a page can show each message beside its field; messages are in Chinese.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from marketplace.core import clock
from marketplace.core.errors import ValidationFailed
from marketplace.core.money import AmountError, parse_amount, wan_text
from marketplace.scenarios.status import DOMAINS

TEXT_LIMITS = {
    "title": 200,
    "summary": 300,
    "description": 6000,
    "expected_outcome": 3000,
    "target_users": 2000,
    "data_offered": 3000,
    "resources_offered": 3000,
}
TEXT_FIELDS = tuple(TEXT_LIMITS)
MAX_CAPABILITY_ROWS = 12
MAX_CRITERION_ROWS = 10
DEFAULT_CRITERIA = (
    ("方案可行性", "技术路线是否针对问题、切实可行", 40),
    ("团队与案例", "团队能力和同类项目经验", 25),
    ("报价合理性", "报价与工作量是否匹配", 20),
    ("数据安全", "数据安全与个人信息保护措施", 15),
)
# Words that usually mean the text prescribes a solution instead of describing the problem.
SOLUTION_WORDS = (
    "建设一套",
    "建设一个",
    "开发一套",
    "开发一个",
    "搭建一套",
    "搭建一个",
    "部署一套",
    "采购一套",
    "上线一套",
    "引入一套",
    "建立一套",
    "建设系统",
    "开发系统",
    "建设平台",
    "开发平台",
    "开发APP",
    "开发小程序",
)

FIELD_LABELS = {
    "title": "标题",
    "summary": "一句话概述",
    "domain": "所属领域",
    "description": "问题描述",
    "expected_outcome": "预期成效与指标",
    "target_users": "服务对象",
    "data_offered": "可开放的数据",
    "resources_offered": "可提供的资源",
    "budget_min": "预算下限",
    "budget_max": "预算上限",
    "pilot_months": "试点周期",
    "question_deadline": "答疑截止时间",
    "proposal_deadline": "方案截止时间",
    "sealed": "密封评审",
    "capabilities": "所需能力",
    "criteria": "评审标准",
}


@dataclass(frozen=True)
class CriterionInput:
    name: str
    description: str
    weight: int


@dataclass(frozen=True)
class ScenarioInput:
    """A scenario's editable content, typed. Budgets are in yuan, deadlines aware datetimes."""

    title: str = ""
    summary: str = ""
    domain: str = ""
    description: str = ""
    expected_outcome: str = ""
    target_users: str = ""
    data_offered: str = ""
    resources_offered: str = ""
    budget_min: int | None = None
    budget_max: int | None = None
    pilot_months: int | None = None
    question_deadline: dt.datetime | None = None
    proposal_deadline: dt.datetime | None = None
    sealed: bool = False
    capabilities: tuple[tuple[int, int], ...] = ()  # (capability id, weight)
    criteria: tuple[CriterionInput, ...] = field(default_factory=tuple)

    def with_changes(self, **changes) -> ScenarioInput:
        return replace(self, **changes)


SCALAR_FIELDS = tuple(f.name for f in fields(ScenarioInput) if f.name not in ("capabilities", "criteria"))


# --------------------------------------------------------------------------------------------
# Conversions between form strings and values


def parse_local_datetime(raw: str) -> dt.datetime:
    """'2026-12-20T17:00' (a datetime-local input, park time) -> aware UTC. ValueError if bad."""
    raw = raw.strip().replace(" ", "T")
    value = dt.datetime.fromisoformat(raw)
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.PARK_TZ)
    return value.astimezone(dt.UTC)


def local_datetime_value(value: dt.datetime | None) -> str:
    """An aware datetime as the value of a datetime-local input (park time, minutes)."""
    return clock.to_park_time(value).strftime("%Y-%m-%dT%H:%M") if value else ""


def _row_indexes(form: Mapping[str, str], prefix: str) -> list[int]:
    pattern = re.compile(rf"^{prefix}_(\d{{1,3}})$")
    return sorted({int(m[1]) for key in form if (m := pattern.match(key))})


def parse_scenario_form(
    form: Mapping[str, str], *, known_capabilities: set[int] | None = None, check_future: bool = True
) -> ScenarioInput:
    """Read the scenario form. Raises ``ValidationFailed`` with every field's message at once
    (conversion errors and the rules of ``scenario_rule_errors``; ``check_future=False`` for an
    amendment, whose unchanged deadlines may already lie in the past)."""
    errors: dict[str, str] = {}
    values: dict = {}
    for name, limit in TEXT_LIMITS.items():
        text = (form.get(name) or "").replace("\r\n", "\n").strip()
        if len(text) > limit:
            errors[name] = f"{FIELD_LABELS[name]}最多 {limit} 字，现在 {len(text)} 字。"
        values[name] = text
    values["domain"] = (form.get("domain") or "").strip()

    for name in ("budget_min", "budget_max"):
        try:
            amount = parse_amount(form.get(name))
        except AmountError as exc:
            errors[name] = f"{FIELD_LABELS[name]}：{exc}"
        else:
            if amount is not None:
                values[name] = amount
    raw = (form.get("pilot_months") or "").strip()
    if raw:
        if raw.isdigit() and 1 <= int(raw) <= 120:
            values["pilot_months"] = int(raw)
        else:
            errors["pilot_months"] = "试点周期请填写 1 到 120 之间的整数（月）。"
    for name in ("question_deadline", "proposal_deadline"):
        raw = (form.get(name) or "").strip()
        if raw:
            try:
                values[name] = parse_local_datetime(raw)
            except ValueError:
                errors[name] = f"{FIELD_LABELS[name]}格式无效，请选择日期和时间。"
    values["sealed"] = (form.get("sealed") or "") in ("on", "1", "true", "yes")

    capabilities: list[tuple[int, int]] = []
    for i in _row_indexes(form, "capability"):
        cap_raw = (form.get(f"capability_{i}") or "").strip()
        weight_raw = (form.get(f"capability_weight_{i}") or "").strip()
        if not cap_raw and not weight_raw:
            continue
        if not cap_raw:
            errors[f"capability_{i}"] = "请选择能力，或清空这一行的权重。"
            continue
        if not cap_raw.isdigit() or (
            known_capabilities is not None and int(cap_raw) not in known_capabilities
        ):
            errors[f"capability_{i}"] = "请从能力分类中选择。"
            continue
        weight = _weight(weight_raw, f"capability_weight_{i}", errors)
        if weight is not None:
            if any(c == int(cap_raw) for c, _ in capabilities):
                errors[f"capability_{i}"] = "这项能力已经选过了。"
            else:
                capabilities.append((int(cap_raw), weight))
    values["capabilities"] = tuple(capabilities)

    criteria: list[CriterionInput] = []
    for i in _row_indexes(form, "criterion_name"):
        name = (form.get(f"criterion_name_{i}") or "").strip()
        description = (form.get(f"criterion_description_{i}") or "").strip()
        weight_raw = (form.get(f"criterion_weight_{i}") or "").strip()
        if not name and not description and not weight_raw:
            continue
        if not name:
            errors[f"criterion_name_{i}"] = "请填写评审项名称。"
        elif len(name) > 80:
            errors[f"criterion_name_{i}"] = "评审项名称最多 80 字。"
        elif any(c.name == name for c in criteria):
            errors[f"criterion_name_{i}"] = "评审项名称重复。"
        if len(description) > 500:
            errors[f"criterion_description_{i}"] = "说明最多 500 字。"
        weight = _weight(weight_raw, f"criterion_weight_{i}", errors)
        if name and weight is not None and f"criterion_name_{i}" not in errors:
            criteria.append(CriterionInput(name=name, description=description, weight=weight))
    values["criteria"] = tuple(criteria)

    data = ScenarioInput(**values)
    for key, message in scenario_rule_errors(data, check_future=check_future).items():
        errors.setdefault(key, message)
    if errors:
        raise ValidationFailed("请修改标出的内容后再保存。", errors)
    return data


def _weight(raw: str, key: str, errors: dict) -> int | None:
    if not raw:
        errors[key] = "请填写权重（1 到 100 的整数）。"
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        errors[key] = "权重须为 1 到 100 的整数。"
        return None
    return int(raw)


def scenario_rule_errors(
    data: ScenarioInput, *, now: dt.datetime | None = None, check_future: bool = True
) -> dict[str, str]:
    """Rules every saved scenario keeps (drafts too): title and domain present, budget range in
    order, deadlines in order (and, with ``check_future``, not in the past), weights of the
    required capabilities and of the criteria adding up to 100 when there are any."""
    now = now or clock.now()
    errors: dict[str, str] = {}
    if not data.title:
        errors["title"] = "请填写标题。"
    if data.domain not in DOMAINS:
        errors["domain"] = "请选择所属领域。"
    if data.budget_min is not None and data.budget_max is not None and data.budget_min > data.budget_max:
        errors["budget_max"] = "预算上限不能低于下限。"
    if check_future:
        for name in ("question_deadline", "proposal_deadline"):
            value = getattr(data, name)
            if value is not None and value <= now:
                errors[name] = f"{FIELD_LABELS[name]}必须晚于现在。"
    if data.question_deadline and data.proposal_deadline and data.question_deadline > data.proposal_deadline:
        errors.setdefault("question_deadline", "答疑截止时间不能晚于方案截止时间。")
    if data.capabilities:
        total = sum(w for _, w in data.capabilities)
        if total != 100:
            errors["capabilities"] = f"所需能力的权重之和必须为 100，现在是 {total}。"
    if data.criteria:
        total = sum(c.weight for c in data.criteria)
        if total != 100:
            errors["criteria"] = f"评审标准的权重之和必须为 100，现在是 {total}。"
    return errors


# --------------------------------------------------------------------------------------------
# Writing checks: what the review needs (blocking) and advice towards a good scenario


@dataclass(frozen=True)
class Check:
    key: str  # the field it is about (links to it on the form)
    label: str
    ok: bool
    message: str
    blocking: bool  # submitting for review is refused while a blocking check fails


def writing_checks(data: ScenarioInput, *, now: dt.datetime | None = None) -> list[Check]:
    now = now or clock.now()
    checks: list[Check] = []

    def add(key, label, ok, message, blocking=True):
        checks.append(Check(key, label, bool(ok), message, blocking))

    add("title", "标题", data.title, "写一个说明问题的标题。")
    add(
        "description",
        "问题描述",
        len(data.description) >= 30,
        "用至少 30 字描述要解决的问题：现在是什么情况、难在哪里、影响了谁。",
    )
    solution = next((w for w in SOLUTION_WORDS if w in data.description.replace(" ", "")), None)
    add(
        "description",
        "描述问题而不是方案",
        solution is None,
        f"问题描述里出现了「{solution}」，像是在指定解决方案。请描述问题和现状，把怎么解决留给企业。"
        if solution
        else "描述的是问题，方案留给企业。",
        blocking=False,
    )
    add("expected_outcome", "预期成效", data.expected_outcome, "写清楚试点成功是什么样子。")
    add(
        "expected_outcome",
        "可衡量的指标",
        re.search(r"\d", data.expected_outcome),
        "在预期成效里写上可以衡量的指标，如「发现时间缩短到 10 分钟以内」。",
        blocking=False,
    )
    add("target_users", "服务对象", data.target_users, "写明谁会使用成果：哪些岗位、企业或群众。")
    add(
        "data_offered",
        "数据与资源",
        data.data_offered or data.resources_offered,
        "列出部门能提供的数据集、测试场地或接口。",
    )
    add(
        "budget_max",
        "预算范围",
        data.budget_min is not None or data.budget_max is not None,
        "给出预算范围，企业才能判断方案规模（不填则显示为「面议」）。",
        blocking=False,
    )
    add("pilot_months", "试点周期", data.pilot_months, "填写试点周期（月）。")
    add(
        "capabilities",
        "所需能力",
        data.capabilities and sum(w for _, w in data.capabilities) == 100,
        "从能力分类中选择所需能力，权重合计 100。",
    )
    add(
        "criteria",
        "评审标准",
        data.criteria and sum(c.weight for c in data.criteria) == 100,
        "列出评审标准，权重合计 100。",
    )
    add(
        "proposal_deadline",
        "方案截止时间",
        data.proposal_deadline and data.proposal_deadline > now,
        "设置一个晚于现在的方案截止时间。",
    )
    add(
        "question_deadline",
        "答疑截止时间",
        data.question_deadline
        and data.question_deadline > now
        and (data.proposal_deadline is None or data.question_deadline <= data.proposal_deadline),
        "设置答疑截止时间（不晚于方案截止时间），企业在此之前可以提问。",
    )
    return checks


def blocking_problems(data: ScenarioInput, *, now: dt.datetime | None = None) -> list[Check]:
    return [c for c in writing_checks(data, now=now) if c.blocking and not c.ok]


# --------------------------------------------------------------------------------------------
# From a ScenarioInput back to form strings (to show a saved scenario in the form)


def form_values(
    data: ScenarioInput, *, extra_capability_rows: int = 2, extra_criterion_rows: int = 1
) -> dict[str, str]:
    form: dict[str, str] = {name: getattr(data, name) for name in TEXT_FIELDS}
    form["domain"] = data.domain
    form["budget_min"] = wan_text(data.budget_min)
    form["budget_max"] = wan_text(data.budget_max)
    form["pilot_months"] = str(data.pilot_months or "")
    form["question_deadline"] = local_datetime_value(data.question_deadline)
    form["proposal_deadline"] = local_datetime_value(data.proposal_deadline)
    form["sealed"] = "on" if data.sealed else ""
    caps = list(data.capabilities)
    for i in range(max(len(caps) + extra_capability_rows, 3)):
        cap, weight = caps[i] if i < len(caps) else ("", "")
        form[f"capability_{i}"] = str(cap)
        form[f"capability_weight_{i}"] = str(weight)
    crits = list(data.criteria)
    for i in range(max(len(crits) + extra_criterion_rows, 3)):
        c = crits[i] if i < len(crits) else None
        form[f"criterion_name_{i}"] = c.name if c else ""
        form[f"criterion_description_{i}"] = c.description if c else ""
        form[f"criterion_weight_{i}"] = str(c.weight) if c else ""
    return form


def new_scenario_form() -> dict[str, str]:
    """The form of a new draft: suggested criteria filled in, the rest empty."""
    criteria = tuple(CriterionInput(n, d, w) for n, d, w in DEFAULT_CRITERIA)
    return form_values(ScenarioInput(criteria=criteria))


def lenient_input(form: Mapping[str, str]) -> ScenarioInput:
    """Whatever can be read from a form that failed validation (for the writing checks)."""
    try:
        return parse_scenario_form(form)
    except ValidationFailed:
        pass
    values: dict[str, Any] = {name: (form.get(name) or "").strip() for name in TEXT_FIELDS}  # str fields
    values["domain"] = (form.get("domain") or "").strip()
    return ScenarioInput(**values)


def rows_in(form: Mapping[str, str], prefix: str) -> list[int]:
    """The row numbers of a repeated group in the form, at least up to the rows present."""
    return _row_indexes(form, prefix)


def add_rows(form: dict[str, str], prefix_keys: tuple[str, ...], count: int, limit: int) -> dict[str, str]:
    """The form with ``count`` more empty rows of a repeated group (``prefix_keys[0]`` numbers it)."""
    existing = _row_indexes(form, prefix_keys[0])
    start = (max(existing) + 1) if existing else 0
    for i in range(start, min(start + count, limit)):
        for key in prefix_keys:
            form.setdefault(f"{key}_{i}", "")
    return form
