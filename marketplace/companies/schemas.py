"""msgspec shapes of member companies at the edge."""

from __future__ import annotations

import msgspec

from marketplace.taxonomy.schemas import CapabilityRef


class CompanySummary(msgspec.Struct):
    id: int
    key: str | None
    name: str
    size: str
    size_label: str
    description: str
    location: str
    capabilities: list[CapabilityRef]


class DeclaredCapability(msgspec.Struct):
    capability: CapabilityRef
    evidence: str
    evidence_label: str
    note: str = ""


class PastProjectOut(msgspec.Struct):
    """A published past project; the reference contact is never part of it."""

    title: str
    client: str
    year: int | None
    delivered: str
    capability: str | None


class CertificateOut(msgspec.Struct):
    name: str
    issuer: str
    number: str
    valid_until: str | None  # ISO date
    capability: str | None


class CaseStudyOut(msgspec.Struct):
    title: str
    client: str
    year: int | None
    summary: str
    outcome: str


class ContactOut(msgspec.Struct):
    """Shown only when the company chose to publish its contact."""

    name: str
    email: str
    phone: str


class CompanyDetail(msgspec.Struct):
    id: int
    key: str | None
    name: str
    credit_code: str | None
    size: str
    size_label: str
    description: str
    website: str
    location: str
    team_size: int | None
    founded_year: int | None
    capabilities: list[DeclaredCapability]
    tags: list[str]
    past_projects: list[PastProjectOut]
    certificates: list[CertificateOut] = []
    case_studies: list[CaseStudyOut] = []
    contact: ContactOut | None = None


# --- the member's own profile (``/api/v1/me/company``) -----------------------------------------


class OwnCapabilityOut(msgspec.Struct):
    capability_id: int
    name: str
    evidence: str
    evidence_label: str
    note: str
    verified_at: str | None  # ISO time the association verified it


class CompletenessOut(msgspec.Struct):
    done: int
    total: int
    missing: list[str]


class OwnProfileOut(msgspec.Struct):
    """The caller's company profile as stored, published or not."""

    id: int
    name: str
    status: str
    size: str
    size_label: str
    description: str
    team_size: int | None
    location: str
    website: str
    contact_name: str
    contact_email: str
    contact_phone: str
    publish_contact: bool
    publish_profile: bool
    capabilities: list[OwnCapabilityOut]
    completeness: CompletenessOut


class ProfilePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``team_size`` null clears it. Size is set by the association."""

    description: str | msgspec.UnsetType = msgspec.UNSET
    team_size: int | msgspec.UnsetType | None = msgspec.UNSET
    location: str | msgspec.UnsetType = msgspec.UNSET
    website: str | msgspec.UnsetType = msgspec.UNSET
    contact_name: str | msgspec.UnsetType = msgspec.UNSET
    contact_email: str | msgspec.UnsetType = msgspec.UNSET
    contact_phone: str | msgspec.UnsetType = msgspec.UNSET
    publish_contact: bool | msgspec.UnsetType = msgspec.UNSET
    publish_profile: bool | msgspec.UnsetType = msgspec.UNSET


class CapabilityIn(msgspec.Struct, forbid_unknown_fields=True):
    capability_id: int
    note: str = ""


class CapabilitiesPut(msgspec.Struct, forbid_unknown_fields=True):
    """The complete list of the company's capabilities (at most 30); verification is kept for
    capabilities that stay."""

    capabilities: list[CapabilityIn]
