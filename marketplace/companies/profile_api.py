"""The caller's own company profile over JSON, for companies that integrate:
``GET``/``PATCH /api/v1/me/company/profile`` and ``PUT /api/v1/me/company/capabilities``.

Bearer token (or session) of a company manager; other roles answer 403. The same services as
the member pages, so the same validation (400 with ``errors`` per field), audit and re-indexing.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, put
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.params import Body

from marketplace.companies import profile
from marketplace.companies.schemas import (
    CapabilitiesPut,
    CompletenessOut,
    OwnCapabilityOut,
    OwnProfileOut,
    ProfilePatch,
)
from marketplace.core.errors import NotFound, ValidationFailed, documented
from marketplace.web.api import API_PREFIX
from marketplace.web.forms import actor_of
from marketplace.web.guards import requires_company_manager

RAISES = [NotAuthorizedException, PermissionDeniedException]


async def _own_profile(company_id: int) -> OwnProfileOut:
    data = await profile.get_profile(company_id)
    company = data["company"]
    return OwnProfileOut(
        **{f: company[f] for f in OwnProfileOut.__struct_fields__ if f in company},
        capabilities=[
            OwnCapabilityOut(
                capability_id=c["capability"],
                name=c["capability.name"],
                evidence=c["evidence"],
                evidence_label=c["evidence_label"],
                note=c["note"],
                verified_at=c["verified_at"].isoformat() if c["verified_at"] else None,
            )
            for c in data["capabilities"]
        ],
        completeness=CompletenessOut(
            done=data["completeness"]["done"],
            total=data["completeness"]["total"],
            missing=data["completeness"]["missing"],
        ),
    )


class CompanyProfileApiController(Controller):
    path = f"{API_PREFIX}/me/company"
    tags = ["profile"]
    guards = [requires_company_manager]

    @get(
        "/profile",
        name="api:me:company:profile",
        operation_id="getOwnCompanyProfile",
        summary="本企业资料",
        raises=RAISES,
        description="调用者所在企业的资料（含未公开的内容）、能力及其佐证等级和资料完整度。仅企业管理员可用。",
    )
    async def get_profile(self, request: Request) -> OwnProfileOut:
        return await _own_profile(request.user.company_id)

    @patch(
        "/profile",
        name="api:me:company:profile:patch",
        operation_id="updateOwnCompanyProfile",
        summary="修改本企业资料",
        raises=documented(*RAISES, ValidationFailed),
        description="只修改请求中给出的字段。publish_contact 为 true 时公开主页才显示联系人和联系方式；"
        "publish_profile 为 false 时企业不出现在名录和检索中。企业规模由协会设定，不能在此修改。"
        "输入有误返回 400，errors 列出每个出错的字段，且不保存任何内容。",
    )
    async def patch_profile(
        self,
        request: Request,
        data: Annotated[ProfilePatch, Body(media_type=RequestEncodingType.JSON)],
    ) -> OwnProfileOut:
        raw = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await profile.update_profile(request.user.company_id, actor_of(request), raw, partial=True)
        return await _own_profile(request.user.company_id)

    @put(
        "/capabilities",
        name="api:me:company:capabilities",
        operation_id="replaceOwnCompanyCapabilities",
        summary="设置本企业能力",
        raises=documented(*RAISES, ValidationFailed, NotFound),
        description="用给出的列表替换本企业的能力（能力 id 取自 GET /api/v1/capabilities，须为具体能力而非分组；"
        "最多 30 项）。保留的能力维持协会认证；关联了过往项目的能力自动为“有项目案例”。"
        "列表中有不存在的能力或能力分组时返回 404，errors 指出是哪一项，且不保存任何内容。",
    )
    async def put_capabilities(
        self,
        request: Request,
        data: Annotated[CapabilitiesPut, Body(media_type=RequestEncodingType.JSON)],
    ) -> list[OwnCapabilityOut]:
        await profile.replace_capabilities(
            request.user.company_id, actor_of(request), [(c.capability_id, c.note) for c in data.capabilities]
        )
        return (await _own_profile(request.user.company_id)).capabilities
