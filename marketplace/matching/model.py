"""Plain data the scoring functions work on (no database, no Piccolo rows).

The service builds these from the tables; tests and the benchmark build them by hand. Ids are
the database ids (or any unique ints in tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field

AWARD_STATUS_LABELS = {"awarded": "已选定", "piloting": "试点中", "completed": "已完成"}


@dataclass(frozen=True)
class CapabilityNode:
    id: int
    name: str
    parent: int | None = None
    words: tuple[str, ...] = ()  # name, English name, synonyms (the ways to say it)


@dataclass
class Taxonomy:
    """The two-level capability tree: groups (``parent`` None) and capabilities in a group."""

    nodes: dict[int, CapabilityNode] = field(default_factory=dict)

    @classmethod
    def of(cls, nodes) -> Taxonomy:
        return cls({n.id: n for n in nodes})

    def name(self, cap_id: int) -> str:
        node = self.nodes.get(cap_id)
        return node.name if node else f"能力{cap_id}"

    def parent(self, cap_id: int) -> int | None:
        node = self.nodes.get(cap_id)
        return node.parent if node else None

    def relation(self, have: int, need: int) -> str | None:
        """How a capability the company has relates to one the scenario needs:
        ``exact``, ``child`` (have is inside the needed group), ``parent`` (have is the group
        of the needed capability), ``sibling`` (same group), or None."""
        if have == need:
            return "exact"
        have_parent, need_parent = self.parent(have), self.parent(need)
        if have_parent is not None and have_parent == need:
            return "child"
        if need_parent is not None and need_parent == have:
            return "parent"
        if have_parent is not None and have_parent == need_parent:
            return "sibling"
        return None


@dataclass(frozen=True)
class Project:
    """A delivered project, as a company reports it (evidence and track record)."""

    title: str
    delivered: str = ""
    capability: int | None = None
    year: int | None = None
    client: str = ""


@dataclass(frozen=True)
class Award:
    """A park scenario the company won (lead or accepted consortium member)."""

    scenario_id: int
    title: str
    domain: str
    capabilities: tuple[int, ...]
    status: str  # awarded | piloting | completed
    role: str = "lead"  # lead | member


@dataclass
class CompanyData:
    id: int
    name: str
    key: str | None = None
    size: str = "sme"
    description: str = ""
    capabilities: dict[int, str] = field(default_factory=dict)  # capability id -> evidence
    tags: tuple[str, ...] = ()  # capability words the taxonomy did not know
    projects: tuple[Project, ...] = ()
    awards: tuple[Award, ...] = ()


@dataclass
class ScenarioData:
    id: int
    title: str
    key: str | None = None
    domain: str = ""
    summary: str = ""
    description: str = ""
    expected_outcome: str = ""
    requirements: dict[int, int] = field(default_factory=dict)  # capability id -> weight
    tags: tuple[str, ...] = ()  # required-capability words the taxonomy did not know
    status: str = "open"

    @property
    def text(self) -> str:
        # The title counts twice: it is the officer's own one-line statement of the problem.
        return "\n".join(
            [
                self.title,
                self.title,
                self.summary,
                self.description,
                self.expected_outcome,
                " ".join(self.tags),
            ]
        )


def company_text(company: CompanyData, taxonomy: Taxonomy) -> str:
    """Everything a company says about itself: description, capabilities, projects."""
    parts = [company.name, company.description]
    parts += [taxonomy.name(c) for c in company.capabilities]
    parts += list(company.tags)
    for p in company.projects:
        parts += [p.title, p.delivered]
    return "\n".join(parts)
