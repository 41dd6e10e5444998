"""msgspec shapes of member companies at the edge."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from marketplace.core.text import CONTROL_CHARACTERS, TEXT_PATTERN
from marketplace.taxonomy.schemas import CapabilityRef
from marketplace.web.params import MAX_ID


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


def _text(max_length: int, pattern: str = TEXT_PATTERN) -> Meta:
    return Meta(max_length=max_length, pattern=pattern)


def _blank_or(value: str) -> str:
    """A pattern: blank, or ``value`` (which starts and ends with a visible character) with
    whitespace around it, as the profile's checks see it once stripped."""
    return rf"^\s*(?:{value})?\s*$"


_VISIBLE = rf"[^\s{CONTROL_CHARACTERS}"
WEBSITE_PATTERN = _blank_or(rf"https?://{_VISIBLE}<>\"]+\.{_VISIBLE}<>\"]+")
EMAIL_PATTERN = _blank_or(rf"{_VISIBLE}@]+@{_VISIBLE}@]+\.{_VISIBLE}@]+")
PHONE_PATTERN = _blank_or(r"[0-9+\-()][0-9+\-() ]{3,38}[0-9+\-()]")


class ProfilePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only the fields sent change; ``team_size`` null clears it. Size is set by the association.
    The constraints are the profile form's (``companies.profile.PROFILE_FIELDS``)."""

    description: Annotated[str, _text(2000)] | msgspec.UnsetType = msgspec.UNSET
    team_size: Annotated[int, Meta(ge=1, le=1_000_000)] | msgspec.UnsetType | None = msgspec.UNSET
    location: Annotated[str, _text(120)] | msgspec.UnsetType = msgspec.UNSET
    website: Annotated[str, _text(200, WEBSITE_PATTERN)] | msgspec.UnsetType = msgspec.UNSET
    contact_name: Annotated[str, _text(60)] | msgspec.UnsetType = msgspec.UNSET
    contact_email: Annotated[str, _text(120, EMAIL_PATTERN)] | msgspec.UnsetType = msgspec.UNSET
    contact_phone: Annotated[str, _text(40, PHONE_PATTERN)] | msgspec.UnsetType = msgspec.UNSET
    publish_contact: bool | msgspec.UnsetType = msgspec.UNSET
    publish_profile: bool | msgspec.UnsetType = msgspec.UNSET


class CapabilityIn(msgspec.Struct, forbid_unknown_fields=True):
    capability_id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    note: Annotated[str, _text(500)] = ""


class CapabilitiesPut(msgspec.Struct, forbid_unknown_fields=True):
    """The complete list of the company's capabilities (at most 30); verification is kept for
    capabilities that stay."""

    capabilities: Annotated[list[CapabilityIn], Meta(max_length=30)]
