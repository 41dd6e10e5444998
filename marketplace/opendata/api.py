"""Open data API: OCDS 1.1 releases, records and the bulk release package.

* ``GET /api/v1/ocds/releases?since=&limit=`` — a release package of the releases after the
  ``since`` cursor (oldest first), with ``next_since`` (send it as ``since`` next time) and
  ``has_more``. The cursor is opaque and stable: keep it and poll to follow the programme.
* ``GET /api/v1/ocds/records/{ocid}`` — a record: every release of one scenario and its
  compiled release.
* ``GET /api/v1/ocds/package.json`` — every release in one release package, to download.

Public information only (see ``marketplace.opendata``); no login, same data for everyone.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import PathParameter, QueryParameter

from marketplace.core import clock
from marketplace.core.errors import ValidationFailed
from marketplace.opendata import ocds, services
from marketplace.web.api import (
    API_PREFIX,
    DETAIL_RAISES,
    DETAIL_RESPONSES,
    LIST_RAISES,
    LIST_RESPONSES,
    FilterOperation,
    int_query,
)
from marketplace.web.params import parse_int


class ReleasePageOut(msgspec.Struct):
    """An OCDS release package of one page of releases, plus the cursor to continue."""

    uri: str
    version: str
    publishedDate: str
    publisher: dict[str, str]
    license: str
    releases: list[dict[str, Any]]
    next_since: str | None
    has_more: bool


def _package(request: Request, releases: list[dict]) -> dict:
    return ocds.release_package(
        releases, uri=str(request.url), published=clock.now(), publisher=services.PUBLISHER
    )


class OcdsApiController(Controller):
    path = f"{API_PREFIX}/ocds"
    tags = ["open data"]

    @get(
        "/releases",
        name="api:ocds:releases",
        operation_id="listOcdsReleases",
        summary="OCDS 发布（releases），按游标翻页",
        description="开放合同数据标准（OCDS 1.1）的发布包：每个公开场景的每次公开事件（发布、变更、截止、"
        "结果公布、试点开始和结束）一条 release，按时间先后。返回的 next_since 作为下一次请求的 since，"
        "即可只取此后新增的 release（游标不透明、稳定）。只含公开信息。",
        raises=LIST_RAISES,
        responses=LIST_RESPONSES,
        operation_class=FilterOperation,
    )
    async def list_releases(
        self,
        request: Request,
        since: Annotated[
            str | None,
            QueryParameter(
                description="上一页返回的 next_since（不透明游标）；不传则从头开始。",
                schema_extra={"pattern": services.CURSOR_PATTERN, "max_length": 40},
            ),
        ] = None,
        limit: Annotated[
            str | None,
            int_query(
                f"每页最多条数（1 到 {services.MAX_RELEASES_PAGE}）。",
                lo=1,
                hi=services.MAX_RELEASES_PAGE,
                default=services.DEFAULT_RELEASES_PAGE,
            ),
        ] = None,
    ) -> ReleasePageOut:
        errors: dict[str, str] = {}
        size = parse_int(
            {"limit": limit} if limit is not None else {},
            "limit",
            errors,
            lo=1,
            hi=services.MAX_RELEASES_PAGE,
            default=services.DEFAULT_RELEASES_PAGE,
        )
        if errors:
            raise ValidationFailed("查询参数有误。", errors)
        page = await services.list_releases(since or None, size)
        package = _package(request, page.releases)
        return ReleasePageOut(**package, next_since=page.next_since, has_more=page.has_more)

    @get(
        "/records/{ocid:str}",
        name="api:ocds:record",
        operation_id="getOcdsRecord",
        summary="OCDS 记录（record）",
        description="一个场景（ocid）的全部 release 及合并后的 compiledRelease。",
        raises=DETAIL_RAISES,
        responses=DETAIL_RESPONSES,
    )
    async def get_record(
        self, ocid: Annotated[str, PathParameter(description="开放合同标识（ocid）。", max_length=100)]
    ) -> dict[str, Any]:
        return await services.get_record(ocid)

    @get(
        "/package.json",
        name="api:ocds:package",
        operation_id="downloadOcdsPackage",
        summary="OCDS 发布包下载（全部 release）",
        description="全部公开场景的全部 release，一个 OCDS 1.1 发布包（JSON 文件下载）。",
    )
    async def download_package(self, request: Request) -> Response[dict[str, Any]]:
        return Response(
            content=_package(request, await services.all_releases()),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="ocds-release-package.json"'},
        )
