"""Open data API: OCDS 1.1 releases, records and the bulk release package.

* ``GET /api/v1/ocds/releases?since=&limit=`` — a release package of the releases after the
  ``since`` cursor (oldest first), with ``next_since`` (send it as ``since`` next time) and
  ``has_more``. The cursor is opaque and stable: keep it and poll to follow the programme.
* ``GET /api/v1/ocds/records/{ocid}`` — a record: every release of one scenario and its
  compiled release.
* ``GET /api/v1/ocds/package.json`` — every release in one release package, to download.

And the public change feed (``marketplace.opendata.changes``):
``GET /api/v1/changes/scenarios`` and ``GET /api/v1/changes/companies`` with ``since``/``limit``.

Public information only (see ``marketplace.opendata``); no login, same data for everyone.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.params import PathParameter, QueryParameter

from marketplace.companies.schemas import CompanyDetail
from marketplace.core import clock
from marketplace.core.errors import ValidationFailed
from marketplace.opendata import changes, ocds, services
from marketplace.scenarios.schemas import ScenarioDetail
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


class ScenarioChangeOut(msgspec.Struct):
    """A change to a public scenario: ``updated`` with the scenario as GET /api/v1/scenarios/{id}
    shows it (without the result)."""

    id: int
    change: str
    changed_at: dt.datetime
    scenario: ScenarioDetail | None


class CompanyChangeOut(msgspec.Struct):
    """A change to the company directory: ``updated`` with the public profile, or ``removed``
    (a tombstone: the company left the public directory)."""

    id: int
    change: str
    changed_at: dt.datetime
    company: CompanyDetail | None


class ScenarioChangePage(msgspec.Struct):
    items: list[ScenarioChangeOut]
    next_since: str
    has_more: bool


class CompanyChangePage(msgspec.Struct):
    items: list[CompanyChangeOut]
    next_since: str
    has_more: bool


ChangeSince = Annotated[
    str | None,
    QueryParameter(
        description="上一页返回的 next_since（不透明、稳定的游标）；不传则从头开始。",
        schema_extra={"pattern": changes.CHANGE_CURSOR_PATTERN, "max_length": 18},
    ),
]
ChangeLimit = Annotated[
    str | None,
    int_query(
        f"每页最多读取的变更条数（1 到 {changes.MAX_CHANGES_PAGE}）；同一记录在一页中只出现一次。",
        lo=1,
        hi=changes.MAX_CHANGES_PAGE,
        default=changes.DEFAULT_CHANGES_PAGE,
    ),
]


def _change_limit(limit: str | None) -> int:
    errors: dict[str, str] = {}
    size = parse_int(
        {"limit": limit} if limit is not None else {},
        "limit",
        errors,
        lo=1,
        hi=changes.MAX_CHANGES_PAGE,
        default=changes.DEFAULT_CHANGES_PAGE,
    )
    if errors:
        raise ValidationFailed("查询参数有误。", errors)
    return size


_FEED_DOC = (
    "按变更先后返回；把返回的 next_since 作为下一次请求的 since，即只取此后的变更（没有新变更时 "
    "next_since 不变）。变更写入约 5 秒后出现在变更流中。"
)


class ChangeFeedApiController(Controller):
    path = f"{API_PREFIX}/changes"
    tags = ["open data"]

    @get(
        "/scenarios",
        name="api:changes:scenarios",
        operation_id="listScenarioChanges",
        summary="公开场景的变更流",
        description="已公开场景的新增和变更（状态、内容、结果公布等），每项附场景的当前公开内容。"
        "场景一经公开就一直公开（结束时以状态表示：已取消、未成交、已完成），未公开的草稿不出现。"
        + _FEED_DOC,
        raises=LIST_RAISES,
        responses=LIST_RESPONSES,
        operation_class=FilterOperation,
    )
    async def scenario_changes(
        self, since: ChangeSince = None, limit: ChangeLimit = None
    ) -> ScenarioChangePage:
        page = await changes.list_scenario_changes(since or None, _change_limit(limit))
        return ScenarioChangePage(
            items=[ScenarioChangeOut(c.id, c.change, c.changed_at, c.record) for c in page.items],
            next_since=page.next_since,
            has_more=page.has_more,
        )

    @get(
        "/companies",
        name="api:changes:companies",
        operation_id="listCompanyChanges",
        summary="企业名录的变更流",
        description="公开企业名录的新增和变更，每项附企业的当前公开资料；企业不再公开（取消公开、"
        "暂停或删除）时为 change=removed 的墓碑记录（只有 id），关注者据此删除本地副本。" + _FEED_DOC,
        raises=LIST_RAISES,
        responses=LIST_RESPONSES,
        operation_class=FilterOperation,
    )
    async def company_changes(
        self, since: ChangeSince = None, limit: ChangeLimit = None
    ) -> CompanyChangePage:
        page = await changes.list_company_changes(since or None, _change_limit(limit))
        return CompanyChangePage(
            items=[CompanyChangeOut(c.id, c.change, c.changed_at, c.record) for c in page.items],
            next_since=page.next_since,
            has_more=page.has_more,
        )
