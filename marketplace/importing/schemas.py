"""The import file format, as msgspec Structs (one record at a time is validated)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Key = Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Name = Annotated[str, Meta(min_length=1, max_length=120)]
Title = Annotated[str, Meta(min_length=1, max_length=200)]
Money = Annotated[int, Meta(ge=0, le=10**12)]


class DepartmentIn(msgspec.Struct, forbid_unknown_fields=True):
    key: Key
    name: Name
    short_name: Annotated[str, Meta(max_length=40)] = ""
    description: str = ""
    cdo_name: Annotated[str, Meta(max_length=60)] = ""
    cdo_title: Annotated[str, Meta(max_length=80)] = ""


class CapabilityIn(msgspec.Struct, forbid_unknown_fields=True):
    key: Key
    name: Annotated[str, Meta(min_length=1, max_length=80)]
    name_en: Annotated[str, Meta(max_length=120)] = ""
    synonyms: list[Annotated[str, Meta(min_length=1, max_length=80)]] = []
    description: str = ""
    children: list[CapabilityIn] = []


class PastProjectIn(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    client: Annotated[str, Meta(max_length=120)] = ""
    year: Annotated[int, Meta(ge=1980, le=2100)] | None = None
    delivered: str = ""
    capability: str | None = None
    reference_contact: Annotated[str, Meta(max_length=120)] = ""


class CompanyIn(msgspec.Struct, forbid_unknown_fields=True):
    key: Key
    name: Name
    description: str = ""
    capabilities: list[Annotated[str, Meta(max_length=80)]] = []
    size: Literal["large", "sme"] = "sme"
    status: Literal["pending", "approved", "suspended", "rejected"] = "approved"
    credit_code: str | None = None
    location: Annotated[str, Meta(max_length=120)] = ""
    founded_year: Annotated[int, Meta(ge=1900, le=2100)] | None = None
    team_size: Annotated[int, Meta(ge=1, le=1_000_000)] | None = None
    website: Annotated[str, Meta(max_length=200)] = ""
    past_projects: list[PastProjectIn] = []


class CriterionIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=80)]
    weight: Annotated[int, Meta(ge=1, le=100)]
    description: str = ""


ScenarioStatus = Literal[
    "draft",
    "in_review",
    "changes_requested",
    "open",
    "closed",
    "evaluating",
    "shortlisted",
    "awarded",
    "piloting",
    "completed",
    "cancelled",
]


class ScenarioIn(msgspec.Struct, forbid_unknown_fields=True):
    key: Key
    title: Title
    domain: Literal["一网通办", "一网统管", "一网提优", "一网协同"]
    department: Name  # a department key or name
    summary: str = ""
    description: str = ""
    required_capabilities: list[Annotated[str, Meta(max_length=80)]] = []
    status: ScenarioStatus = "open"
    deadline: str | None = None  # ISO date or datetime; a date means 17:00 park time
    question_deadline: str | None = None
    opened_at: str | None = None  # when it opened for proposals (default: when first imported)
    expected_outcome: str = ""
    target_users: str = ""
    data_offered: str = ""
    resources_offered: str = ""
    budget_min: Money | None = None
    budget_max: Money | None = None
    pilot_months: Annotated[int, Meta(ge=1, le=120)] | None = None
    sealed: bool = False
    criteria: list[CriterionIn] | None = None
    cancel_reason: str = ""
