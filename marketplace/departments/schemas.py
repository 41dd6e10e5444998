"""msgspec shapes of departments at the edge: the reference other domains embed."""

from __future__ import annotations

import msgspec


class DepartmentRef(msgspec.Struct):
    """A department as other domains show it (the publisher of a scenario)."""

    id: int
    key: str
    name: str
    short_name: str


class DepartmentList(msgspec.Struct):
    items: list[DepartmentRef]
