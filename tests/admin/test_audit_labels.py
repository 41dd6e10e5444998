"""Every action the code records in the audit log has a Chinese label (literal codes, the ones
built from f-strings and transition tables included), every entity type too, and an unknown code
falls back to itself."""

from __future__ import annotations

import ast
from pathlib import Path

from marketplace.accounts.services import COMPANY_TRANSITIONS
from marketplace.admin.audit import (
    ACTION_LABELS,
    ENTITY_LABELS,
    action_choices,
    action_label,
    entity_label,
    role_label,
)
from marketplace.companies.profile import ITEM_KINDS
from marketplace.importing.labels import IMPORTED_ENTITIES
from marketplace.scenarios.status import TRANSITIONS

PACKAGE = Path(__file__).resolve().parents[2] / "marketplace"
# Calls whose second argument (after the actor / company id) is an audit action code.
AUDIT_CALLS = {"record": 1, "_changed": 2}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _literals_passed_to(tree: ast.AST, name: str, index: int) -> set[str]:
    return {
        n.args[index].value
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and _call_name(n) == name and len(n.args) > index
        if isinstance(n.args[index], ast.Constant) and isinstance(n.args[index].value, str)
    }


def _placeholder_values(path: Path, tree: ast.AST, expr: str) -> set[str]:
    """What an f-string placeholder of an audit action can be, from the table the code uses."""
    known = {
        ("scenarios/services.py", "action"): set(TRANSITIONS.values()),
        ("accounts/services.py", "action"): set(COMPANY_TRANSITIONS.values()),
        ("evaluation/eligibility.py", "action"): _literals_passed_to(tree, "_set", 3),
        ("importing/services.py", "entity"): set(IMPORTED_ENTITIES),
        ("companies/profile.py", "kind.entity"): {kind.entity for kind in ITEM_KINDS.values()},
    }
    key = (path.relative_to(PACKAGE).as_posix(), expr)
    assert key in known, f"{key}: an audit action built from {expr!r}; teach this test its values"
    assert known[key], key
    return known[key]


def _expand(path: Path, tree: ast.AST, node: ast.expr) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _expand(path, tree, node.body) | _expand(path, tree, node.orelse)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return {a + b for a in _expand(path, tree, node.left) for b in _expand(path, tree, node.right)}
    if isinstance(node, ast.JoinedStr):
        results = {""}
        for part in node.values:
            if isinstance(part, ast.Constant):
                options = {str(part.value)}
            else:
                assert isinstance(part, ast.FormattedValue)
                inner = part.value
                if isinstance(inner, ast.IfExp | ast.Constant):
                    options = _expand(path, tree, inner)
                else:
                    options = _placeholder_values(path, tree, ast.unparse(inner))
            results = {r + o for r in results for o in options}
        return results
    raise AssertionError(f"{path}:{node.lineno}: an audit action this test cannot read: {ast.unparse(node)}")


def _recorded() -> tuple[set[str], set[str]]:
    """(every action code, every literal entity type) passed to ``record``/``_changed``."""
    actions: set[str] = set()
    entities: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parts[-2:] == ("core", "audit.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _call_name(node) not in AUDIT_CALLS:
                continue
            index = AUDIT_CALLS[_call_name(node)]
            if len(node.args) <= index + 1:
                continue
            action, entity = node.args[index], node.args[index + 1]
            if isinstance(action, ast.Name) and action.id == "action" and _call_name(node) == "record":
                continue  # profile._changed passes its own argument on; its callers are read
            actions |= _expand(path, tree, action)
            if isinstance(entity, ast.Constant):
                entities.add(entity.value)
    return actions, entities


def test_every_recorded_action_and_entity_type_has_a_label():
    actions, entities = _recorded()
    assert len(actions) > 80, sorted(actions)  # the scan found the services
    assert "scenario.approve" in actions and "company.suspend" in actions
    assert "evaluation.request_clarification" in actions and "company.case_study.delete" in actions
    assert not sorted(actions - set(ACTION_LABELS)), "actions without a label"
    assert not sorted(entities - set(ENTITY_LABELS)), "entity types without a label"
    for entity in IMPORTED_ENTITIES:
        assert entity in ENTITY_LABELS


def test_every_scenario_transition_and_company_transition_has_a_label():
    for name in set(TRANSITIONS.values()):
        assert f"scenario.{name}" in ACTION_LABELS
    for name in set(COMPANY_TRANSITIONS.values()):
        assert f"company.{name}" in ACTION_LABELS


def test_unknown_codes_fall_back_to_the_code():
    assert action_label("scenario.approve") == "批准"
    assert action_label("robot.dance") == "robot.dance"
    assert entity_label("robot") == "robot"
    assert role_label("robot") == "robot"
    assert role_label("system") == "系统"


def test_action_choices_are_grouped_by_entity():
    groups = dict(action_choices())
    assert ("scenario.approve", "批准") in groups["场景"]
    assert ("company.suspend", "暂停") in groups["企业"]
    assert sum(len(items) for items in groups.values()) == len(ACTION_LABELS)
