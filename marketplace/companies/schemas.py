"""msgspec shapes of member companies at the edge."""

from __future__ import annotations

import msgspec

from marketplace.scenarios.schemas import CapabilityRef


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


class PastProjectOut(msgspec.Struct):
    title: str
    client: str
    year: int | None
    delivered: str
    capability: str | None


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
