"""The audit log as people read it: every event as a Chinese sentence ("陈明（首席数据官/部门工作
人员）批准了场景 #12《…》") with its changed fields ("状态：审核中 → 征集中"), filters with choice
lists, and the CSV export. Reads only; the labels come from each domain's ``labels.py``.

Names of the actors and titles of the objects are looked up once per page: one query for the
actors, and at most one per entity type on the page, never one per row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marketplace.accounts import labels as accounts_labels
from marketplace.accounts.tables import ApiToken, User
from marketplace.companies import labels as companies_labels
from marketplace.companies.profile import ITEM_KINDS, PROFILE_FIELDS
from marketplace.companies.tables import CaseStudy, Company, CompanyCertificate, PastProject
from marketplace.core import clock
from marketplace.core.audit import AuditFilters, list_audit_events
from marketplace.departments import labels as departments_labels
from marketplace.departments.tables import Department
from marketplace.evaluation import labels as evaluation_labels
from marketplace.evaluation.tables import Pilot
from marketplace.importing import labels as importing_labels
from marketplace.notifications import labels as notifications_labels
from marketplace.proposals import labels as proposals_labels
from marketplace.proposals.status import STAFF_STATUS_LABELS as PROPOSAL_STATUS_LABELS
from marketplace.proposals.tables import Proposal
from marketplace.scenarios import labels as scenarios_labels
from marketplace.scenarios.status import STATUS_LABELS as SCENARIO_STATUS_LABELS
from marketplace.scenarios.tables import Question, Scenario
from marketplace.taxonomy import labels as taxonomy_labels
from marketplace.taxonomy.tables import Capability

_DOMAINS = (
    accounts_labels,
    companies_labels,
    departments_labels,
    taxonomy_labels,
    scenarios_labels,
    proposals_labels,
    evaluation_labels,
    importing_labels,
    notifications_labels,
)
ACTION_LABELS: dict[str, str] = {
    code: label for module in _DOMAINS for code, label in getattr(module, "AUDIT_ACTION_LABELS", {}).items()
}
ENTITY_LABELS: dict[str, str] = {
    code: label for module in _DOMAINS for code, label in getattr(module, "AUDIT_ENTITY_LABELS", {}).items()
}
ROLE_LABELS: dict[str, str] = accounts_labels.ACTOR_ROLE_LABELS

# The keys services put in ``before``/``after``, named as the pages name them.
FIELD_LABELS: dict[str, str] = {
    "status": "状态",
    "title": "标题",
    "name": "名称",
    "email": "邮箱",
    "company": "企业",
    "scenario": "场景",
    "proposal": "方案",
    "proposals": "方案",
    "capability": "能力",
    "capabilities": "能力",
    "note": "说明",
    "size": "大小（字节）",
    "evidence": "能力依据",
    "attachment": "附件",
    "role": "角色",
    "work_share": "工作份额（%）",
    "evaluator": "评审专家",
    "evaluators": "评审专家",
    "eligibility": "资格审查",
    "eligibility_reason": "不符合资格的原因",
    "clarification_question": "澄清问题",
    "clarification_deadline": "澄清答复截止",
    "clarification_answer": "澄清答复",
    "answer": "答复",
    "opens_at": "发布时间",
    "proposal_deadline": "申报截止",
    "question_deadline": "提问截止",
    "selected_proposal": "选定方案",
    "shortlisted": "入围",
    "shortlist_reason": "入围理由",
    "consensus_note": "合议意见",
    "pitch_at": "答辩时间",
    "pitch_place": "答辩地点",
    "milestone": "里程碑",
    "milestones": "里程碑",
    "update": "进展",
    "version": "版本",
    "content_hash": "内容哈希",
    "number": "编号",
    "fields": "修改的字段",
    "is_cdo": "首席数据官",
    "is_evaluator": "评审专家",
    "active": "账号启用",
    "department": "部门",
    "display_name": "姓名",
    "credit_code": "统一社会信用代码",
    "short_name": "简称",
    "description": "简介",
    "cdo_name": "首席数据官姓名",
    "cdo_title": "首席数据官职务",
    "name_en": "英文名",
    "synonyms": "同义词",
    "parent": "上级分类",
    "position": "排序",
    "summary": "摘要",
    "result": "结果",
    "relation": "关系",
    "override": "人工调整",
    "verified": "已认证",
    "users": "用户",
    "user": "用户",
    "channel": "邀请方式",
    "resend": "再次发送",
    "in_app_off": "关闭站内提醒的通知",
    "email_off": "关闭邮件的通知",
}
# The company profile's own fields and items bring their form labels, for those entity types only
# ("title" of a case study is 案例标题, of a scenario just 标题).
_ENTITY_FIELD_LABELS: dict[str, dict[str, str]] = {
    "company": {"size": "企业规模", **{f.name: f.label for f in PROFILE_FIELDS}},
    **{kind.entity: {f.name: f.label for f in kind.fields} for kind in ITEM_KINDS.values()},
}
# Values of a field that are codes, per entity type ("status" means something else on each).
_VALUE_LABELS: dict[tuple[str, str], Mapping[str, str]] = {
    ("scenario", "status"): SCENARIO_STATUS_LABELS,
    ("company", "status"): accounts_labels.COMPANY_STATUS_LABELS,
    ("proposal", "status"): PROPOSAL_STATUS_LABELS,
    ("proposal", "eligibility"): evaluation_labels.ELIGIBILITY_LABELS,
    ("company", "size"): companies_labels.SIZE_LABELS,
    ("company", "evidence"): companies_labels.EVIDENCE_LABELS,
    ("scenario", "channel"): scenarios_labels.INVITATION_CHANNEL_LABELS,
}
MAX_CSV_ROWS = 10_000
CSV_HEADER = ("时间", "操作人", "角色", "操作", "对象", "变更", "原因", "来源地址")


def field_label(entity_type: str, key: str) -> str:
    return _ENTITY_FIELD_LABELS.get(entity_type, {}).get(key) or FIELD_LABELS.get(key, key)


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def entity_label(code: str) -> str:
    return ENTITY_LABELS.get(code, code)


def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, code)


def action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """[(group label, [(code, label), ...]), ...]: every known action, grouped by the entity its
    code names ("scenario.approve" under 场景), groups and actions in label order."""
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for code, label in ACTION_LABELS.items():
        groups[code.split(".", 1)[0]].append((code, label))
    return [
        (entity_label(prefix), sorted(items, key=lambda item: item[0]))
        for prefix, items in sorted(groups.items(), key=lambda g: entity_label(g[0]))
    ]


def entity_choices() -> list[tuple[str, str]]:
    return sorted(ENTITY_LABELS.items(), key=lambda item: item[1])


def role_choices() -> list[tuple[str, str]]:
    return list(ROLE_LABELS.items())


# --- values and changes --------------------------------------------------------------------


def format_value(value: Any, entity_type: str = "", key: str = "") -> str:
    """A before/after value as text: codes as their labels, lists joined, Chinese kept as text."""
    if value is None or value == "" or value == [] or value == {}:
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        labels = _VALUE_LABELS.get((entity_type, key))
        if labels and value in labels:
            return labels[value]
        if len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":  # an ISO timestamp
            try:
                return clock.to_park_time(dt.datetime.fromisoformat(value)).strftime("%Y-%m-%d %H:%M")
            except ValueError:
                return value
        return value
    if isinstance(value, list):
        return "、".join(format_value(v, entity_type, key) for v in value)
    if isinstance(value, dict):
        return "；".join(
            f"{field_label(entity_type, k)}：{format_value(v, entity_type, k)}" for k, v in value.items()
        )
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Change:
    field: str
    before: str | None  # None: the event recorded no earlier value
    after: str | None  # None: the event recorded no later value


def changes(entity_type: str, before: Any, after: Any) -> list[Change]:
    """The changed fields of an event, in the order recorded; values as readable text."""
    if before is None and after is None:
        return []
    if not isinstance(before, dict) or not isinstance(after, dict):
        if isinstance(before, dict) and after is None:
            after = {}
        elif isinstance(after, dict) and before is None:
            before = {}
        else:
            return [
                Change(
                    "值",
                    None if before is None else format_value(before, entity_type),
                    None if after is None else format_value(after, entity_type),
                )
            ]
    keys = list(dict.fromkeys([*before, *after]))
    return [
        Change(
            field_label(entity_type, k),
            format_value(before[k], entity_type, k) if k in before else None,
            format_value(after[k], entity_type, k) if k in after else None,
        )
        for k in keys
    ]


def change_text(change: Change) -> str:
    if change.before is None:
        return f"{change.field}：{change.after}"
    return f"{change.field}：{change.before} → {change.after if change.after is not None else '（无）'}"


# --- names of actors and titles of objects, one query per kind -----------------------------


async def _actors(user_ids: set[int]) -> dict[int, dict]:
    if not user_ids:
        return {}
    rows = await User.select(
        User.id,
        User.display_name,
        User.is_cdo,
        User.department.short_name,
        User.department.cdo_title,
        User.company.name,
    ).where(User.id.is_in(sorted(user_ids)))
    return {r["id"]: r for r in rows}


def _pairs(rows: Iterable[dict], *parts: str) -> dict[int, str]:
    return {r["id"]: " · ".join(str(r[p]) for p in parts if r.get(p)) for r in rows}


def _title_sources() -> dict[str, tuple[Any, list[tuple[Any, str]]]]:
    """What names an object in a sentence, per entity type: its table and the columns read, each
    with the key it comes back under (joined titles are aliased). Built per call: Piccolo's
    joined and aliased columns are objects, not constants."""
    return {
        "scenario": (Scenario, [(Scenario.title, "title")]),
        "company": (Company, [(Company.name, "name")]),
        "proposal": (
            Proposal,
            [
                (Proposal.scenario.title.as_alias("title"), "title"),
                (Proposal.company.name.as_alias("name"), "name"),
            ],
        ),
        "question": (Question, [(Question.scenario.title.as_alias("title"), "title")]),
        "pilot": (Pilot, [(Pilot.scenario.title.as_alias("title"), "title")]),
        "user": (User, [(User.display_name, "display_name"), (User.email, "email")]),
        "department": (Department, [(Department.name, "name")]),
        "capability": (Capability, [(Capability.name, "name")]),
        "api_token": (ApiToken, [(ApiToken.name, "name")]),
        "past_project": (PastProject, [(PastProject.title, "title")]),
        "case_study": (CaseStudy, [(CaseStudy.title, "title")]),
        "company_certificate": (CompanyCertificate, [(CompanyCertificate.name, "name")]),
    }


async def _titles(ids_by_type: Mapping[str, set[int]]) -> dict[tuple[str, int], str]:
    """The title or name of each object, by (entity type, id): one query per entity type."""
    found: dict[tuple[str, int], str] = {}
    sources = _title_sources()
    for entity, ids in ids_by_type.items():
        if entity not in sources:
            continue  # an entity without a title (the sentence shows its number)
        table, columns = sources[entity]
        query = table.select(table.id, *(column for column, _ in columns)).where(table.id.is_in(sorted(ids)))
        for entity_id, title in _pairs(await query, *(key for _, key in columns)).items():
            if title:
                found[(entity, entity_id)] = title
    return found


# --- the events as read -------------------------------------------------------------------


@dataclass(frozen=True)
class AuditEntry:
    id: int
    occurred_at: dt.datetime
    actor: str  # "陈明（首席数据官/部门工作人员）"
    actor_email: str
    role: str
    action: str  # its label
    action_code: str
    object: str  # "场景 #12《…》"
    sentence: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    ip_address: str = ""


def _actor_text(row: dict, user: dict | None) -> str:
    role = role_label(row["actor_role"])
    if user is None:
        return f"{row['actor_label']}（{role}）"
    qualifier = ""
    if user.get("is_cdo") and user.get("department.cdo_title"):
        qualifier = user["department.cdo_title"] or ""
    elif user.get("department.short_name"):
        qualifier = user["department.short_name"] or ""
    elif user.get("company.name"):
        qualifier = user["company.name"] or ""
    name = user.get("display_name") or row["actor_label"]
    return f"{name}（{qualifier}/{role}）" if qualifier else f"{name}（{role}）"


def _sentence(actor: str, action: str, obj: str) -> str:
    """A plain verb reads "批准了场景 #12"; a longer phrase reads "退回修改：场景 #12"."""
    return f"{actor}{action}了{obj}" if len(action) <= 2 else f"{actor}{action}：{obj}"


async def readable(rows: list[dict]) -> list[AuditEntry]:
    """The audit rows (from ``list_audit_events``) as entries people read."""
    users = await _actors({r["actor_user_id"] for r in rows if r["actor_user_id"]})
    ids_by_type: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        ids_by_type[r["entity_type"]].add(r["entity_id"])
    titles = await _titles(ids_by_type)
    entries = []
    for r in rows:
        actor = _actor_text(r, users.get(r["actor_user_id"]) if r["actor_user_id"] else None)
        title = titles.get((r["entity_type"], r["entity_id"]))
        obj = f"{entity_label(r['entity_type'])} #{r['entity_id']}" + (f"《{title}》" if title else "")
        action = action_label(r["action"])
        entries.append(
            AuditEntry(
                id=r["id"],
                occurred_at=r["occurred_at"],
                actor=actor,
                actor_email=r["actor_label"],
                role=role_label(r["actor_role"]),
                action=action,
                action_code=r["action"],
                object=obj,
                sentence=_sentence(actor, action, obj),
                changes=changes(r["entity_type"], r["before"], r["after"]),
                reason=r["reason"] or "",
                ip_address=r["ip_address"] or "",
            )
        )
    return entries


async def audit_page(filters: AuditFilters) -> tuple[list[AuditEntry], int]:
    rows, total = await list_audit_events(filters)
    return await readable(rows), total


# --- CSV ------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


async def audit_csv(filters: AuditFilters) -> tuple[bytes, int, bool]:
    """The filtered events (newest first, at most ``MAX_CSV_ROWS``) as CSV with a BOM; returns
    (content, total matching, whether the file was capped)."""
    rows, total = await list_audit_events(
        AuditFilters(**{**filters.__dict__, "page": 1, "page_size": MAX_CSV_ROWS})
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for e in await readable(rows):
        writer.writerow(
            [
                _cell(v)
                for v in (
                    clock.to_park_time(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor,
                    e.role,
                    e.action,
                    e.object,
                    "；".join(change_text(c) for c in e.changes),
                    e.reason,
                    e.ip_address,
                )
            ]
        )
    capped = total > MAX_CSV_ROWS
    if capped:
        writer.writerow([f"注：共 {total} 条，仅导出最新的 {MAX_CSV_ROWS} 条；请缩小筛选范围后再导出。"])
    return out.getvalue().encode("utf-8-sig"), total, capped


# --- filters from the query string -----------------------------------------------------------

PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_TEXT = 200


def _date(raw: str, name: str, label: str, errors: dict[str, str]) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{label}格式不对，请按“年-月-日”填写，例如 2026-03-01。"
        return None


def _park_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=clock.PARK_TZ).astimezone(dt.UTC)


def parse_filters(params: Mapping[str, str]) -> tuple[AuditFilters, dict[str, str]]:
    """The filters of the audit page and its CSV from the query string, and a Chinese message per
    bad parameter (the page shows each next to its field)."""
    errors: dict[str, str] = {}
    action = (params.get("action") or "").strip() or None
    if (
        action
        and action not in ACTION_LABELS
        and not (action.endswith(".") and any(code.startswith(action) for code in ACTION_LABELS))
    ):
        errors["action"] = "请从列表中选择一种操作。"
        action = None
    entity_type = (params.get("entity_type") or "").strip() or None
    if entity_type and entity_type not in ENTITY_LABELS:
        errors["entity_type"] = "请从列表中选择一种对象类型。"
        entity_type = None
    actor_role = (params.get("actor_role") or "").strip() or None
    if actor_role and actor_role not in ROLE_LABELS:
        errors["actor_role"] = "请从列表中选择一种角色。"
        actor_role = None
    entity_id = None
    raw_id = (params.get("entity_id") or "").strip()
    if raw_id:
        if raw_id.isascii() and raw_id.isdigit() and 1 <= int(raw_id) <= 2**31 - 1:
            entity_id = int(raw_id)
        else:
            errors["entity_id"] = "对象编号应为正整数，例如 12。"
    actor = " ".join((params.get("actor") or "").split()) or None
    if actor and len(actor) > MAX_TEXT:
        errors["actor"] = f"操作人不能超过 {MAX_TEXT} 个字符。"
        actor = None
    day_from = _date((params.get("from") or "").strip(), "from", "开始日期", errors)
    day_to = _date((params.get("to") or "").strip(), "to", "结束日期", errors)
    if day_from and day_to and day_from > day_to:
        errors["to"] = "结束日期不能早于开始日期。"
        day_to = None
    page = 1
    raw_page = (params.get("page") or "").strip()
    if raw_page:
        if raw_page.isascii() and raw_page.isdigit() and 1 <= int(raw_page) <= MAX_PAGE:
            page = int(raw_page)
        else:
            errors["page"] = f"页码应为 1 到 {MAX_PAGE} 之间的整数。"
    filters = AuditFilters(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        actor=actor,
        actor_role=actor_role,
        occurred_from=_park_midnight(day_from) if day_from else None,
        occurred_before=_park_midnight(day_to + dt.timedelta(days=1)) if day_to else None,
        page=page,
        page_size=PAGE_SIZE,
    )
    return filters, errors
