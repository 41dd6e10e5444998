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

from marketplace.accounts.guards import requires_company_manager
from marketplace.companies import profile
from marketplace.companies.schemas import (
    CapabilitiesPut,
    CompletenessOut,
    OwnCapabilityOut,
    OwnProfileOut,
    ProfilePatch,
)
from marketplace.core.errors import ValidationFailed
from marketplace.core.web import actor_of
from marketplace.scenarios.api import API_PREFIX

RAISES = [NotAuthorizedException, PermissionDeniedException]


async def _own_profile(company_id: int) -> OwnProfileOut:
    data = await profile.get_profile(company_id)
    company = data["company"]
    return OwnProfileOut(
        **{f: company[f] for f in OwnProfileOut.__struct_fields__ if f in company},
        capabilities=[OwnCapabilityOut(
            capability_id=c["capability"], name=c["capability.name"], evidence=c["evidence"],
            evidence_label=c["evidence_label"], note=c["note"],
            verified_at=c["verified_at"].isoformat() if c["verified_at"] else None) for c in data["capabilities"]],
        completeness=CompletenessOut(done=data["completeness"]["done"], total=data["completeness"]["total"],
                                     missing=data["completeness"]["missing"]),
    )


class CompanyProfileApiController(Controller):
    path = f"{API_PREFIX}/me/company"
    tags = ["profile"]
    guards = [requires_company_manager]

    @get("/profile", operation_id="getOwnCompanyProfile", summary="本企业资料", raises=RAISES)
    async def get_profile(self, request: Request) -> OwnProfileOut:
        """The caller's company profile as stored, including what is not published."""
        return await _own_profile(request.user.company_id)

    @patch("/profile", operation_id="updateOwnCompanyProfile", summary="修改本企业资料",
           raises=[*RAISES, ValidationFailed])
    async def patch_profile(
        self, request: Request, data: Annotated[ProfilePatch, Body(media_type=RequestEncodingType.JSON)],
    ) -> OwnProfileOut:
        """Change the fields sent (others stay). Contact details show on the public page only
        with ``publish_contact``; ``publish_profile`` false hides the company from the directory."""
        raw = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET}
        await profile.update_profile(request.user.company_id, actor_of(request), raw, partial=True)
        return await _own_profile(request.user.company_id)

    @put("/capabilities", operation_id="replaceOwnCompanyCapabilities", summary="设置本企业能力",
         raises=[*RAISES, ValidationFailed])
    async def put_capabilities(
        self, request: Request, data: Annotated[CapabilitiesPut, Body(media_type=RequestEncodingType.JSON)],
    ) -> list[OwnCapabilityOut]:
        """Replace the list of capabilities (ids of capabilities, not groups, from
        ``GET /api/v1/taxonomy``) with notes. Evidence follows the same rules as on the member pages."""
        await profile.replace_capabilities(request.user.company_id, actor_of(request),
                                           [(c.capability_id, c.note) for c in data.capabilities])
        return (await _own_profile(request.user.company_id)).capabilities
