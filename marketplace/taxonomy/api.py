"""``GET /api/v1/capabilities``: the taxonomy API clients need to build capability filters."""

from __future__ import annotations

import msgspec
from litestar import Controller, get

from marketplace.taxonomy.schemas import CapabilityGroup, CapabilityTree
from marketplace.taxonomy.services import list_capability_tree
from marketplace.web.api import API_PREFIX


class TaxonomyApiController(Controller):
    path = API_PREFIX

    @get(
        "/capabilities",
        name="api:capabilities",
        operation_id="listCapabilities",
        tags=["taxonomy"],
        summary="能力分类树",
        description="两级能力分类：分组及其下的能力，含中英文名称和同义词。"
        "id 用于场景和企业列表的 capability 参数。",
    )
    async def list_capabilities(self) -> CapabilityTree:
        groups = await list_capability_tree()
        return CapabilityTree(items=msgspec.convert(groups, list[CapabilityGroup]))
