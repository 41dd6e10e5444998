"""The company profile members keep: basic facts, capabilities with their evidence, past
projects, certificates and case studies; association admins verify capabilities.

Every write runs in one ``write_transaction`` that also records an audit event and enqueues the
company for search re-indexing. Items are always looked up together with the company that owns
them, so another company's item id is ``NotFound``. Bad input raises ``ValidationFailed`` with a
Chinese message per field before anything is stored.

Evidence rules (``CompanyCapability.evidence``): ``verified`` only through an admin (and it
stays when the member edits the note; removing the capability removes it; unverifying falls
back to the derived level); otherwise ``past_project`` when a past project of the company is
linked to the capability, else ``self_declared``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from piccolo.columns import ForeignKey

from marketplace.companies.tables import (
    COMPANY_SIZES,
    CaseStudy,
    Company,
    CompanyCapability,
    CompanyCertificate,
    PastProject,
)
from marketplace.core import clock
from marketplace.core.audit import Actor, record
from marketplace.core.db import for_update, write_transaction
from marketplace.core.errors import NotAllowed, NotFound, UnknownReference, ValidationFailed
from marketplace.core.outbox import enqueue
from marketplace.core.text import control_characters_message, has_control_characters
from marketplace.taxonomy.tables import Capability

FIRST_YEAR = 1990
MAX_CAPABILITIES = 30
MAX_ITEMS = 50  # of each kind per company
INVALID = "请修改标出的内容后再提交。"
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^[0-9+\-() ]{5,40}$")


@dataclass(frozen=True)
class Field:
    """One input of a profile form. ``kind``: text, textarea, year, int, date, url, email,
    phone, capability (one of the company's declared capabilities) or bool (a checkbox)."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    max_length: int = 0
    hint: str = ""
    lo: int = 0
    hi: int = 0


def current_year() -> int:
    return clock.now().year


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _clean_one(f: Field, value: Any, errors: dict[str, str], declared: set[int]) -> Any:
    """The stored value of one field, or an entry in ``errors``."""
    if f.kind == "bool":
        return value in (True, "on", "true", "1", 1)
    if _blank(value):
        if f.required:
            errors[f.name] = f"请填写{f.label}。" if f.kind != "capability" else f"请选择{f.label}。"
        return None if f.kind in ("year", "int", "date", "capability") else ""
    if f.kind in ("year", "int", "capability"):
        text = str(value).strip()
        if isinstance(value, bool) or not re.fullmatch(r"\d{1,10}", text):
            errors[f.name] = f"{f.label}必须是整数。" if f.kind != "capability" else f"{f.label}无效。"
            return None
        number = int(text)
        if f.kind == "year":
            last = current_year()
            if not FIRST_YEAR <= number <= last:
                errors[f.name] = f"{f.label}须在 {FIRST_YEAR} 到 {last} 年之间。"
        elif f.kind == "int" and not f.lo <= number <= f.hi:
            errors[f.name] = f"{f.label}须在 {f.lo} 到 {f.hi} 之间。"
        elif f.kind == "capability" and number not in declared:
            errors[f.name] = "请先在“能力”中添加该能力，再把它关联到这里。"
        return number
    if f.kind == "date":
        try:
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())
        except ValueError:
            errors[f.name] = f"{f.label}格式应为 年-月-日，例如 2027-06-30。"
            return None
    text = str(value).strip()
    if has_control_characters(text):  # a NUL is refused alike on SQLite and PostgreSQL
        errors[f.name] = control_characters_message(f.label)
    elif f.max_length and len(text) > f.max_length:
        errors[f.name] = f"{f.label}不能超过 {f.max_length} 个字符（现在 {len(text)} 个）。"
    elif f.kind == "url" and not re.fullmatch(r"https?://[^\s<>\"]+\.[^\s<>\"]+", text):
        errors[f.name] = f"{f.label}应以 http:// 或 https:// 开头，例如 https://www.example.com。"
    elif f.kind == "email" and not _EMAIL_RE.match(text):
        errors[f.name] = f"{f.label}格式不正确，例如 name@example.com。"
    elif f.kind == "phone" and not _PHONE_RE.match(text):
        errors[f.name] = f"{f.label}只能包含数字、空格和 + - ( )，5–40 位。"
    return text


def clean_fields(
    fields: tuple[Field, ...], raw: dict[str, Any], *, partial: bool = False, declared: set[int] | None = None
) -> dict[str, Any]:
    """Validate ``raw`` against ``fields``. ``partial``: only the keys present (PATCH); otherwise
    a missing key counts as empty (and a missing checkbox as unticked)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for f in fields:
        if partial and f.name not in raw:
            continue
        values[f.name] = _clean_one(f, raw.get(f.name), errors, declared or set())
    if errors:
        raise ValidationFailed(INVALID, errors)
    return values


# --------------------------------------------------------------------------------------------
# Basic profile

PROFILE_FIELDS = (
    Field(
        "description", "企业简介", "textarea", max_length=2000, hint="主营业务、优势和服务对象，2000 字以内。"
    ),
    Field("team_size", "团队规模（人）", "int", lo=1, hi=1_000_000),
    Field("location", "园区内位置", max_length=120, hint="例如：星湖街 328 号创意产业园 5 栋。"),
    Field("website", "网站", "url", max_length=200),
    Field("contact_name", "联系人", max_length=60),
    Field("contact_email", "联系邮箱", "email", max_length=120),
    Field("contact_phone", "联系电话", "phone", max_length=40),
    Field("publish_contact", "在公开主页显示联系人和联系方式", "bool"),
    Field("publish_profile", "公开企业主页（出现在企业名录和检索中）", "bool"),
)
PROFILE_KEYS = tuple(f.name for f in PROFILE_FIELDS)


async def _lock_company(company_id: int) -> dict:
    row = await for_update(
        Company.select(*(getattr(Company, k) for k in ("id", "name", "size", *PROFILE_KEYS))).where(
            Company.id == company_id
        )
    ).first()
    if row is None:
        raise NotFound("企业不存在。")
    return row


async def _changed(
    company_id: int,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int,
    *,
    before: Any = None,
    after: Any = None,
) -> None:
    """Bookkeeping of every profile write: audit, search outbox, the company's updated_at."""
    await Company.update({Company.updated_at: clock.now()}).where(Company.id == company_id)
    await record(actor, action, entity, entity_id, before=before, after=after)
    await enqueue("company", company_id)


async def update_profile(
    company_id: int, actor: Actor, raw: dict[str, Any], *, partial: bool = False
) -> dict:
    """Change the basic facts; returns the values changed ({} if nothing changed)."""
    values = clean_fields(PROFILE_FIELDS, raw, partial=partial)
    async with write_transaction():
        current = await _lock_company(company_id)
        changes = {k: v for k, v in values.items() if current[k] != v}
        if not changes:
            return {}
        await Company.update({getattr(Company, k): v for k, v in changes.items()}).where(
            Company.id == company_id
        )
        await _changed(
            company_id,
            actor,
            "company.profile.update",
            "company",
            company_id,
            before={k: current[k] for k in changes},
            after=changes,
        )
    return changes


async def set_company_size(company_id: int, size: str, actor: Actor) -> None:
    """SME or large, chosen at registration; only association admins change it afterwards."""
    if actor.role != "admin":
        raise NotAllowed("只有协会管理员可以修改企业规模。")
    if size not in COMPANY_SIZES:
        raise ValidationFailed(INVALID, {"size": "请选择大型企业或中小企业。"})
    async with write_transaction():
        current = await _lock_company(company_id)
        if current["size"] == size:
            return
        await Company.update({Company.size: size}).where(Company.id == company_id)
        await _changed(
            company_id,
            actor,
            "company.size",
            "company",
            company_id,
            before={"size": current["size"]},
            after={"size": size},
        )


# --------------------------------------------------------------------------------------------
# Capabilities and their evidence

NOTE_FIELD = Field("note", "说明", "textarea", max_length=500)


async def _declared(company_id: int) -> set[int]:
    rows = await CompanyCapability.select(CompanyCapability.capability).where(
        CompanyCapability.company == company_id
    )
    return {r["capability"] for r in rows}


async def _refresh_evidence(company_id: int, capability_ids) -> None:
    """Derive ``past_project``/``self_declared`` again for these capabilities (not verified ones)."""
    for capability_id in {c for c in capability_ids if c}:
        row = (
            await CompanyCapability.select(CompanyCapability.id, CompanyCapability.evidence)
            .where(
                (CompanyCapability.company == company_id) & (CompanyCapability.capability == capability_id)
            )
            .first()
        )
        if row is None or row["evidence"] == "verified":
            continue
        linked = await PastProject.exists().where(
            (PastProject.company == company_id) & (PastProject.capability == capability_id)
        )
        evidence = "past_project" if linked else "self_declared"
        if evidence != row["evidence"]:
            await CompanyCapability.update({CompanyCapability.evidence: evidence}).where(
                CompanyCapability.id == row["id"]
            )


async def _leaf_capability(capability_id: Any) -> int:
    """A capability (not a group) of the taxonomy, else ``UnknownReference``."""
    text = str(capability_id if capability_id is not None else "").strip()
    if not re.fullmatch(r"\d{1,10}", text) or not await Capability.exists().where(
        (Capability.id == int(text)) & Capability.parent.is_not_null()
    ):
        raise UnknownReference(INVALID, {"capability": "请从能力分类中选择一项具体能力。"})
    return int(text)


async def add_capability(company_id: int, actor: Actor, capability_id: Any, note: Any = "") -> int:
    cap = await _leaf_capability(capability_id)
    note = clean_fields((NOTE_FIELD,), {"note": note})["note"]
    async with write_transaction():
        await _lock_company(company_id)
        declared = await _declared(company_id)
        if cap in declared:
            raise ValidationFailed(INVALID, {"capability": "该能力已在列表中，可直接修改它的说明。"})
        if len(declared) >= MAX_CAPABILITIES:
            raise ValidationFailed(INVALID, {"capability": f"最多登记 {MAX_CAPABILITIES} 项能力。"})
        row = CompanyCapability(company=company_id, capability=cap, evidence="self_declared", note=note)
        await row.save()
        await _refresh_evidence(company_id, [cap])
        await _changed(
            company_id,
            actor,
            "company.capability.add",
            "company",
            company_id,
            after={"capability": cap, "note": note},
        )
    return row.id


async def _lock_capability(company_id: int, capability_id: int) -> dict:
    row = await for_update(
        CompanyCapability.select().where(
            (CompanyCapability.company == company_id) & (CompanyCapability.capability == capability_id)
        )
    ).first()
    if row is None:
        raise NotFound("贵企业没有登记这项能力。")
    return row


async def update_capability_note(company_id: int, actor: Actor, capability_id: int, note: Any) -> None:
    """Change the note; a verified capability stays verified (the verification is of the
    capability, which the note only describes)."""
    note = clean_fields((NOTE_FIELD,), {"note": note})["note"]
    async with write_transaction():
        row = await _lock_capability(company_id, capability_id)
        if row["note"] == note:
            return
        await CompanyCapability.update({CompanyCapability.note: note}).where(
            CompanyCapability.id == row["id"]
        )
        await _changed(
            company_id,
            actor,
            "company.capability.note",
            "company",
            company_id,
            before={"capability": capability_id, "note": row["note"]},
            after={"capability": capability_id, "note": note},
        )


async def remove_capability(company_id: int, actor: Actor, capability_id: int) -> None:
    """Remove a capability (and with it any verification; adding it back starts unverified)."""
    async with write_transaction():
        row = await _lock_capability(company_id, capability_id)
        await CompanyCapability.delete().where(CompanyCapability.id == row["id"])
        await _changed(
            company_id,
            actor,
            "company.capability.remove",
            "company",
            company_id,
            before={"capability": capability_id, "evidence": row["evidence"], "note": row["note"]},
        )


async def replace_capabilities(company_id: int, actor: Actor, wanted: list[tuple[Any, Any]]) -> None:
    """The API's PUT: exactly these (capability id, note) pairs; others are removed, notes of
    kept ones updated (verification kept), new ones added. All or nothing."""
    errors: dict[str, str] = {}
    cleaned: dict[int, str] = {}
    if len(wanted) > MAX_CAPABILITIES:
        raise ValidationFailed(INVALID, {"capabilities": f"最多登记 {MAX_CAPABILITIES} 项能力。"})
    unknown = False
    for i, (capability_id, note) in enumerate(wanted):
        try:
            cap = await _leaf_capability(capability_id)
            if cap in cleaned:
                raise ValidationFailed(INVALID, {"capability": "同一能力只能出现一次。"})
            cleaned[cap] = clean_fields((NOTE_FIELD,), {"note": note})["note"]
        except ValidationFailed as exc:
            unknown = unknown or isinstance(exc, UnknownReference)
            errors.update({f"capabilities[{i}].{k}": m for k, m in exc.errors.items()})
    if errors:  # naming a capability that is not one is a 404 in the API
        raise (UnknownReference if unknown else ValidationFailed)(INVALID, errors)
    async with write_transaction():
        await _lock_company(company_id)
        current = {
            r["capability"]: r
            for r in await CompanyCapability.select().where(CompanyCapability.company == company_id)
        }
        removed = [c for c in current if c not in cleaned]
        if removed:
            await CompanyCapability.delete().where(
                (CompanyCapability.company == company_id) & CompanyCapability.capability.is_in(removed)
            )
        for cap, note in cleaned.items():
            if cap not in current:
                await CompanyCapability(
                    company=company_id, capability=cap, evidence="self_declared", note=note
                ).save()
            elif current[cap]["note"] != note:
                await CompanyCapability.update({CompanyCapability.note: note}).where(
                    CompanyCapability.id == current[cap]["id"]
                )
        await _refresh_evidence(company_id, list(cleaned))
        await _changed(
            company_id,
            actor,
            "company.capability.replace",
            "company",
            company_id,
            before={"capabilities": sorted(current)},
            after={"capabilities": sorted(cleaned)},
        )


async def set_capability_verified(company_id: int, capability_id: int, verified: bool, actor: Actor) -> None:
    """Association admins mark a declared capability verified, or take the mark back."""
    if actor.role != "admin":
        raise NotAllowed("只有协会管理员可以认证企业能力。")
    async with write_transaction():
        row = await _lock_capability(company_id, capability_id)
        if (row["evidence"] == "verified") == verified:
            return
        if verified:
            await CompanyCapability.update(
                {CompanyCapability.evidence: "verified", CompanyCapability.verified_at: clock.now()}
            ).where(CompanyCapability.id == row["id"])
        else:
            await CompanyCapability.update(
                {CompanyCapability.evidence: "self_declared", CompanyCapability.verified_at: None}
            ).where(CompanyCapability.id == row["id"])
            await _refresh_evidence(company_id, [capability_id])
        await _changed(
            company_id,
            actor,
            "company.capability." + ("verify" if verified else "unverify"),
            "company",
            company_id,
            before={"capability": capability_id, "evidence": row["evidence"]},
            after={"capability": capability_id, "verified": verified},
        )


# --------------------------------------------------------------------------------------------
# Past projects, certificates, case studies


@dataclass(frozen=True)
class ItemKind:
    key: str  # in URLs and API paths
    table: type[PastProject | CompanyCertificate | CaseStudy]  # each has id and company
    entity: str  # audit entity type
    label: str
    fields: tuple[Field, ...]


PUBLISHED = Field("published", "在公开主页显示", "bool")
CAPABILITY = Field("capability", "相关能力", "capability")
ITEM_KINDS = {
    "projects": ItemKind(
        "projects",
        PastProject,
        "past_project",
        "过往项目",
        (
            Field("title", "项目名称", required=True, max_length=200),
            Field("client", "客户", required=True, max_length=120),
            Field("year", "年份", "year", required=True, hint=f"{FIRST_YEAR} 年至今。"),
            Field("delivered", "交付内容", "textarea", required=True, max_length=2000),
            Field(
                "reference_contact",
                "证明人联系方式（不公开）",
                max_length=120,
                hint="仅协会和评审可见，永远不会出现在公开主页上。",
            ),
            CAPABILITY,
            PUBLISHED,
        ),
    ),
    "certificates": ItemKind(
        "certificates",
        CompanyCertificate,
        "company_certificate",
        "资质证书",
        (
            Field("name", "证书名称", required=True, max_length=120),
            Field("issuer", "发证机构", required=True, max_length=120),
            Field("number", "证书编号", max_length=80),
            Field("valid_until", "有效期至", "date", hint="格式：年-月-日，长期有效可不填。"),
            CAPABILITY,
            PUBLISHED,
        ),
    ),
    "case-studies": ItemKind(
        "case-studies",
        CaseStudy,
        "case_study",
        "案例",
        (
            Field("title", "案例标题", required=True, max_length=200),
            Field("client", "客户", max_length=120),
            Field("year", "年份", "year"),
            Field("summary", "问题与做法", "textarea", required=True, max_length=2000),
            Field("outcome", "成效", "textarea", max_length=2000),
            Field("position", "排序（小的在前）", "int", lo=0, hi=999),
            PUBLISHED,
        ),
    ),
}


def item_kind(key: str) -> ItemKind:
    if key not in ITEM_KINDS:
        raise NotFound("页面或资源不存在。")
    return ITEM_KINDS[key]


def _audit_values(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}


async def _lock_item(kind: ItemKind, company_id: int, item_id: int) -> dict:
    table = kind.table
    row = await for_update(
        table.select().where((table.id == item_id) & (table.company == company_id))
    ).first()
    if row is None:
        raise NotFound(f"{kind.label}不存在。")
    return row


async def save_item(
    kind: ItemKind, company_id: int, actor: Actor, raw: dict[str, Any], item_id: int | None = None
) -> int:
    """Add (``item_id`` None) or change one item; returns its id."""
    table = kind.table
    values = clean_fields(kind.fields, raw, declared=await _declared(company_id))
    if "position" in values and values["position"] is None:
        values["position"] = 0
    async with write_transaction():
        await _lock_company(company_id)
        if item_id is None:
            if await table.count().where(table.company == company_id) >= MAX_ITEMS:
                raise ValidationFailed(f"每家企业最多登记 {MAX_ITEMS} 条{kind.label}。")
            row = table(company=company_id, **values)
            await row.save()
            item_id, before = row.id, None
        else:
            before = await _lock_item(kind, company_id, item_id)
            await table.update({getattr(table, k): v for k, v in values.items()}).where(table.id == item_id)
            before = _audit_values({k: before[k] for k in values})
        if kind.table is PastProject:
            await _refresh_evidence(company_id, [values.get("capability"), (before or {}).get("capability")])
        await _changed(
            company_id,
            actor,
            f"company.{kind.entity}.{'update' if before else 'add'}",
            kind.entity,
            item_id,
            before=before,
            after=_audit_values(values),
        )
    return item_id


async def delete_item(kind: ItemKind, company_id: int, actor: Actor, item_id: int) -> None:
    async with write_transaction():
        row = await _lock_item(kind, company_id, item_id)
        await kind.table.delete().where(kind.table.id == item_id)
        if kind.table is PastProject:
            await _refresh_evidence(company_id, [row["capability"]])
        await _changed(
            company_id,
            actor,
            f"company.{kind.entity}.delete",
            kind.entity,
            item_id,
            before=_audit_values({k: row[k] for k in row if k not in ("company", "created_at")}),
        )


async def get_item(kind: ItemKind, company_id: int, item_id: int) -> dict:
    table = kind.table
    row = await table.select().where((table.id == item_id) & (table.company == company_id)).first()
    if row is None:
        raise NotFound(f"{kind.label}不存在。")
    return row


# --------------------------------------------------------------------------------------------
# Reading the whole profile (the member's own page, admins, the API)


async def get_profile(company_id: int) -> dict:
    """Everything the company keeps, published or not (members of the company and admins)."""
    from marketplace.companies.labels import EVIDENCE_LABELS, SIZE_LABELS

    company = await Company.select().where(Company.id == company_id).output(load_json=True).first()
    if company is None:
        raise NotFound("企业不存在。")
    company["size_label"] = SIZE_LABELS[company["size"]]
    group = CompanyCapability.capability.parent
    assert isinstance(group, ForeignKey)  # a joined foreign key (Piccolo types it Column | Any)
    caps = (
        await CompanyCapability.select(
            CompanyCapability.capability,
            CompanyCapability.evidence,
            CompanyCapability.note,
            CompanyCapability.verified_at,
            CompanyCapability.capability.name,
            CompanyCapability.capability.key,
            group.name,
        )
        .where(CompanyCapability.company == company_id)
        .order_by(CompanyCapability.id)
    )
    for c in caps:
        c["evidence_label"] = EVIDENCE_LABELS[c["evidence"]]
    names = {c["capability"]: c["capability.name"] for c in caps}
    items = {}
    for key, kind in ITEM_KINDS.items():
        table = kind.table
        order = [CaseStudy.position, CaseStudy.id] if table is CaseStudy else [table.id]
        query = table.select().where(table.company == company_id)
        for column in order:
            query = query.order_by(column)
        rows = await query
        for r in rows:
            if "capability" in r:
                r["capability_name"] = names.get(r["capability"], "") if r["capability"] else ""
        items[key] = rows
    return {
        "company": company,
        "capabilities": caps,
        "items": items,
        "completeness": completeness(company, caps, items),
    }


def completeness(company: dict, caps: list, items: dict) -> dict:
    """What a visitor would miss: the steps done out of those that make a useful profile."""
    steps = [
        ("企业简介", bool(company.get("description"))),
        ("团队规模", bool(company.get("team_size"))),
        ("园区内位置", bool(company.get("location"))),
        ("至少一项能力", bool(caps)),
        ("过往项目", bool(items.get("projects"))),
        ("资质证书或案例", bool(items.get("certificates") or items.get("case-studies"))),
    ]
    done = sum(1 for _, ok in steps if ok)
    return {
        "done": done,
        "total": len(steps),
        "percent": round(100 * done / len(steps)),
        "missing": [name for name, ok in steps if not ok],
    }


async def profile_completeness(company_id: int) -> dict:
    return (await get_profile(company_id))["completeness"]
