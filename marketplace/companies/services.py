"""Member-company use cases. Public reads show approved companies that publish their profile."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.companies.labels import EVIDENCE_LABELS, EVIDENCE_ORDER, SIZE_LABELS
from marketplace.companies.schemas import (
    CaseStudyOut,
    CertificateOut,
    CompanyDetail,
    CompanySummary,
    ContactOut,
    DeclaredCapability,
    PastProjectOut,
)
from marketplace.companies.tables import (
    CaseStudy,
    Company,
    CompanyCapability,
    CompanyCertificate,
    PastProject,
)
from marketplace.core.db import contains_text
from marketplace.core.errors import NotFound
from marketplace.core.pagination import DEFAULT_PAGE_SIZE, Page
from marketplace.taxonomy.schemas import CapabilityRef
from marketplace.taxonomy.tables import Capability


@dataclass(frozen=True)
class CompanyFilters:
    """``q``: search text (Meilisearch in ``marketplace.search``; here a plain text match)."""

    q: str = ""
    size: str | None = None
    capability: int | None = None
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


def _public_where():
    return (Company.status == "approved") & (Company.publish_profile == True)


async def _capabilities_of(company_ids: list[int]) -> dict[int, list[tuple[CapabilityRef, str]]]:
    if not company_ids:
        return {}
    rows = (
        await CompanyCapability.select(
            CompanyCapability.company,
            CompanyCapability.evidence,
            CompanyCapability.capability,
            CompanyCapability.capability.key,
            CompanyCapability.capability.name,
            CompanyCapability.capability.name_en,
        )
        .where(CompanyCapability.company.is_in(company_ids))
        .order_by(CompanyCapability.id)
    )
    out: dict[int, list[tuple[CapabilityRef, str]]] = {}
    for r in rows:
        ref = CapabilityRef(
            id=r["capability"],
            key=r["capability.key"],
            name=r["capability.name"],
            name_en=r["capability.name_en"],
        )
        out.setdefault(r["company"], []).append((ref, r["evidence"]))
    for caps in out.values():
        caps.sort(key=lambda c: EVIDENCE_ORDER.get(c[1], 9))
    return out


async def list_public_companies(filters: CompanyFilters) -> Page[CompanySummary]:
    """The member directory: approved companies, large firms first, then by name."""
    where = _public_where()
    if filters.size:
        where &= Company.size == filters.size
    if filters.capability:
        children = await Capability.select(Capability.id).where(Capability.parent == filters.capability)
        ids = [filters.capability] + [c["id"] for c in children]
        where &= Company.id.is_in(
            CompanyCapability.select(CompanyCapability.company).where(CompanyCapability.capability.is_in(ids))
        )
    if (
        filters.q
        and (text := contains_text((Company.name, Company.description, Company.location), filters.q))
        is not None
    ):
        where &= text
    total = await Company.count().where(where)
    rows = (
        await Company.select(
            Company.id, Company.key, Company.name, Company.size, Company.description, Company.location
        )
        .where(where)
        .order_by(Company.size)
        .order_by(Company.name)
        .limit(filters.page_size)
        .offset((filters.page - 1) * filters.page_size)
    )
    caps = await _capabilities_of([r["id"] for r in rows])
    items = [
        CompanySummary(
            **r, size_label=SIZE_LABELS[r["size"]], capabilities=[c for c, _ in caps.get(r["id"], [])]
        )
        for r in rows
    ]
    return Page(items=items, total=total, page=filters.page, page_size=filters.page_size)


async def get_public_company(company_id: int) -> CompanyDetail:
    """A public company profile. ``NotFound`` unless the company is approved and published.

    Only what the company publishes: unpublished projects, certificates and case studies are
    left out, reference contacts never leave the database, the contact only with
    ``publish_contact``."""
    row = (
        await Company.select(
            Company.id,
            Company.key,
            Company.name,
            Company.credit_code,
            Company.size,
            Company.description,
            Company.website,
            Company.location,
            Company.team_size,
            Company.founded_year,
            Company.tags,
            Company.publish_contact,
            Company.contact_name,
            Company.contact_email,
            Company.contact_phone,
        )
        .where((Company.id == company_id) & _public_where())
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("企业不存在或未公开。")
    caps = (
        await CompanyCapability.select(
            CompanyCapability.evidence,
            CompanyCapability.note,
            CompanyCapability.capability,
            CompanyCapability.capability.key,
            CompanyCapability.capability.name,
            CompanyCapability.capability.name_en,
        )
        .where(CompanyCapability.company == company_id)
        .order_by(CompanyCapability.id)
    )
    caps.sort(key=lambda c: EVIDENCE_ORDER.get(c["evidence"], 9))
    projects = (
        await PastProject.select(
            PastProject.title,
            PastProject.client,
            PastProject.year,
            PastProject.delivered,
            PastProject.capability.name,
        )
        .where((PastProject.company == company_id) & (PastProject.published == True))
        .order_by(PastProject.year, ascending=False)
    )
    certificates = (
        await CompanyCertificate.select(
            CompanyCertificate.name,
            CompanyCertificate.issuer,
            CompanyCertificate.number,
            CompanyCertificate.valid_until,
            CompanyCertificate.capability.name,
        )
        .where((CompanyCertificate.company == company_id) & (CompanyCertificate.published == True))
        .order_by(CompanyCertificate.id)
    )
    cases = (
        await CaseStudy.select(
            CaseStudy.title,
            CaseStudy.client,
            CaseStudy.year,
            CaseStudy.summary,
            CaseStudy.outcome,
        )
        .where((CaseStudy.company == company_id) & (CaseStudy.published == True))
        .order_by(CaseStudy.position)
        .order_by(CaseStudy.id)
    )
    contact = None
    if row["publish_contact"] and (row["contact_name"] or row["contact_email"] or row["contact_phone"]):
        contact = ContactOut(name=row["contact_name"], email=row["contact_email"], phone=row["contact_phone"])
    private = ("tags", "publish_contact", "contact_name", "contact_email", "contact_phone")
    return CompanyDetail(
        **{k: v for k, v in row.items() if k not in private},
        size_label=SIZE_LABELS[row["size"]],
        capabilities=[
            DeclaredCapability(
                capability=CapabilityRef(
                    id=c["capability"],
                    key=c["capability.key"],
                    name=c["capability.name"],
                    name_en=c["capability.name_en"],
                ),
                evidence=c["evidence"],
                evidence_label=EVIDENCE_LABELS[c["evidence"]],
                note=c["note"],
            )
            for c in caps
        ],
        tags=list(row["tags"] or []),
        past_projects=[
            PastProjectOut(
                title=p["title"],
                client=p["client"],
                year=p["year"],
                delivered=p["delivered"],
                capability=p["capability.name"],
            )
            for p in projects
        ],
        certificates=[
            CertificateOut(
                name=c["name"],
                issuer=c["issuer"],
                number=c["number"],
                capability=c["capability.name"],
                valid_until=c["valid_until"].isoformat() if c["valid_until"] else None,
            )
            for c in certificates
        ],
        case_studies=[CaseStudyOut(**c) for c in cases],
        contact=contact,
    )


async def count_companies_by_size() -> dict[str, int]:
    rows = await Company.select(Company.size).where(_public_where())
    counts = {"large": 0, "sme": 0}
    for r in rows:
        counts[r["size"]] += 1
    return counts


async def count_companies_by_status() -> dict[str, int]:
    """How many companies are in each registration status (the admin dashboard)."""
    rows = await Company.select(Company.status)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


@dataclass(frozen=True)
class MemberCompany:
    """The member's own company, whatever its status, as the member home shows it."""

    id: int
    name: str
    status: str
    credit_code: str | None
    size: str
    size_label: str
    contact_name: str
    capabilities: list[DeclaredCapability]
    rejection_reason: str = ""


async def get_member_company(company_id: int) -> MemberCompany:
    """The member's own company as stored, whatever its status (for the member area)."""
    row = (
        await Company.select(
            Company.id,
            Company.name,
            Company.status,
            Company.credit_code,
            Company.size,
            Company.contact_name,
            Company.rejection_reason,
        )
        .where(Company.id == company_id)
        .first()
    )
    if row is None:
        raise NotFound("企业不存在。")
    caps = (await _capabilities_of([company_id])).get(company_id, [])
    return MemberCompany(
        **row,
        size_label=SIZE_LABELS[row["size"]],
        capabilities=[
            DeclaredCapability(capability=c, evidence=e, evidence_label=EVIDENCE_LABELS[e]) for c, e in caps
        ],
    )
