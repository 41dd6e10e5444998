"""The API's conventions, shared by every domain's JSON controllers: the ``/api/v1`` prefix, the
error body and its documented responses, query parameters that the shared parsers validate
(documented here for the OpenAPI), and the paging fields.

Errors (all JSON ``{"status_code", "detail", "errors"?}``, see ``ApiError``):
  * 400 for a bad query parameter, or a path id out of range (1..2**31-1);
  * 404 for an unknown id, something not public, or a path id that is not an integer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar.exceptions import NotFoundException, ValidationException
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIType, Operation, Parameter
from litestar.params import QueryParameter

from marketplace.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE, Page
from marketplace.web.params import MAX_ID, MAX_QUERY_LENGTH, QUERY_TEXT_PATTERN

API_PREFIX = "/api/v1"


class ApiError(msgspec.Struct):
    """Body of every API error. ``errors`` (parameter name -> message) comes with 400s."""

    status_code: int
    detail: str
    errors: dict[str, str] | msgspec.UnsetType = msgspec.UNSET


ERROR_400 = ResponseSpec(
    data_container=ApiError,
    generate_examples=False,
    description="参数有误：detail 为中文说明，errors 列出每个出错的参数（参数名 → 说明）。"
    "路径中的 id 超出 1 到 2147483647 也返回 400。",
)
ERROR_404 = ResponseSpec(
    data_container=ApiError,
    generate_examples=False,
    description="不存在或未公开；路径中的 id 不是整数时也返回 404。",
)
LIST_RESPONSES = {400: ERROR_400}
DETAIL_RESPONSES = {400: ERROR_400, 404: ERROR_404}
LIST_RAISES = [ValidationException]
DETAIL_RAISES = [ValidationException, NotFoundException]


@dataclass
class FilterOperation(Operation):
    """OpenAPI operation of a list endpoint: an empty query value means "not given" (as HTML
    forms send it), which the shared parsers accept, so say ``allowEmptyValue`` (Litestar
    always writes ``false``)."""

    def __post_init__(self) -> None:
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.param_in == "query":
                parameter.allow_empty_value = True


def int_query(description: str, *, lo: int, hi: int, default: int | None = None) -> QueryParameter:
    """Document an integer query parameter. The annotation stays ``str | None`` so the shared
    params parser, not Litestar, validates it (one validator, one set of messages)."""
    extra: dict[str, Any] = {"one_of": None, "type": OpenAPIType.INTEGER, "minimum": lo, "maximum": hi}
    if default is not None:
        extra["default"] = default
    return QueryParameter(description=description, schema_extra=extra)


def choice_query(description: str, choices: Sequence[str], default: str | None = None) -> QueryParameter:
    """Document an enumerated query parameter (validated by the shared params parser)."""
    extra: dict[str, Any] = {"one_of": None, "type": OpenAPIType.STRING, "enum": list(choices)}
    if default is not None:
        extra["default"] = default
    return QueryParameter(description=description, schema_extra=extra)


def given(**params: str | None) -> Mapping[str, str]:
    """The query parameters that were sent, for the shared parsers."""
    return {name: value for name, value in params.items() if value is not None}


PageQuery = Annotated[str | None, int_query("页码，从 1 开始。", lo=1, hi=MAX_PAGE, default=1)]
PageSizeQuery = Annotated[
    str | None,
    int_query(f"每页条数，最多 {MAX_PAGE_SIZE}。", lo=1, hi=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE),
]
CapabilityQuery = Annotated[
    str | None,
    int_query(
        "能力 id（见 GET /api/v1/capabilities）；传能力分组的 id 时包含该组下的全部能力。", lo=1, hi=MAX_ID
    ),
]
TextQuery = Annotated[
    str | None,
    QueryParameter(
        description=f"检索词（最多 {MAX_QUERY_LENGTH} 个字符，不含控制字符），中文、英文均可；"
        "能力的同义词（如 ASR 与语音识别）视为相同。",
        schema_extra={"max_length": MAX_QUERY_LENGTH, "pattern": QUERY_TEXT_PATTERN},
    ),
]


def page_fields(page: Page[Any]) -> dict[str, int]:
    return {"total": page.total, "page": page.page, "page_size": page.page_size, "pages": page.pages}
