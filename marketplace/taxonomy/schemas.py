"""msgspec shapes of the capability taxonomy at the edge: a reference other domains embed, and
the tree the API hands to clients building filters."""

from __future__ import annotations

import msgspec


class CapabilityRef(msgspec.Struct):
    """A capability as other domains show it (a scenario's requirement, a company's offer)."""

    id: int
    key: str
    name: str
    name_en: str


class CapabilityLeaf(msgspec.Struct):
    id: int
    key: str
    name: str
    name_en: str
    synonyms: list[str]
    description: str


class CapabilityGroup(msgspec.Struct):
    """A group of the two-level taxonomy; filtering by a group id includes its children."""

    id: int
    key: str
    name: str
    name_en: str
    synonyms: list[str]
    description: str
    children: list[CapabilityLeaf]


class CapabilityTree(msgspec.Struct):
    items: list[CapabilityGroup]
