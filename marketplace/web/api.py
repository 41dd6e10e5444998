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
from litestar.openapi.spec import (
    Link,
    OpenAPI,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    Schema,
)
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


# What each error status of the API means, for operations whose error responses Litestar
# generated from their ``raises`` (its own schema, with ``extra`` instead of ``errors``).
_ERROR_DESCRIPTIONS = {
    "400": "请求有误：detail 为中文说明，errors 列出每个出错的字段或参数（名称 → 说明）。"
    "请求体中出现未定义的字段也返回 400（不接受未知字段）。",
    "401": "需要登录：请在请求头中发送 Authorization: Bearer <令牌>。",
    "403": "没有权限执行此操作。",
    "404": "不存在或您无权查看。",
    "409": "与当前状态冲突（例如已截止、状态不允许）。",
    "429": "请求过于频繁，请稍后再试。",
}


def _marketplace_structs() -> dict[str, type[msgspec.Struct]]:
    """The app's msgspec Structs by name (as OpenAPI components are named)."""
    found: dict[str, type[msgspec.Struct]] = {}
    todo: list[type[msgspec.Struct]] = [msgspec.Struct]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("marketplace."):
            found[cls.__name__] = cls
    return found


_CONSTRAINTS = {
    "minimum": "minimum",
    "maximum": "maximum",
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minItems": "min_items",
    "maxItems": "max_items",
}


def _copy_constraints(name: str, cls: type[msgspec.Struct], schema: Schema) -> None:
    """What the API enforces is msgspec's reading of the Struct (``JsonSafeRequest`` checks
    bodies strictly against it); Litestar's document leaves some of it out: a bound of 0
    (``Meta(ge=0)`` on an optional field lost its ``minimum``), and the key and value
    constraints of ``dict[K, V]`` fields. Both are copied here from msgspec's own schema."""
    _, definitions = msgspec.json.schema_components([cls])
    for field, spec in definitions[name].get("properties", {}).items():
        target = (schema.properties or {}).get(field)
        if not isinstance(target, Schema):
            continue
        for member in [spec, *spec.get("anyOf", [])]:
            for key, attribute in _CONSTRAINTS.items():
                if key in member and getattr(target, attribute) is None:
                    setattr(target, attribute, member[key])
            if "propertyNames" in member and isinstance(member.get("additionalProperties"), dict):
                _describe_map(target, member)


def _describe_map(target: Schema, spec: dict[str, Any]) -> None:
    values = spec["additionalProperties"]
    for member in [target, *(target.one_of or [])]:
        if isinstance(member, Schema) and member.type == OpenAPIType.OBJECT:
            member.property_names = Schema(pattern=spec["propertyNames"]["pattern"])
            member.additional_properties = Schema(
                type=OpenAPIType.STRING, max_length=values.get("maxLength"), pattern=values.get("pattern")
            )


def make_error_responses_exact(document: OpenAPI) -> None:
    """One schema for every API error body: ``ApiError``, what the error handlers send.

    Litestar documents a handler's ``raises`` with its own exception schema, and adds one for
    ``ValidationException`` beside the app's 400 (a ``oneOf`` of two overlapping schemas, so
    every 400 matched both); both have ``extra`` where the app sends ``errors``. Request bodies
    whose Struct forbids unknown fields say so (``additionalProperties: false``), and maps say
    which keys and values they take."""
    error = Reference(ref="#/components/schemas/ApiError")
    for path, item in (document.paths or {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method in ("get", "put", "post", "delete", "patch"):
            operation: Operation | None = getattr(item, method, None)
            for status, response in ((operation.responses if operation else None) or {}).items():
                if int(status) < 400 or not isinstance(response, OpenAPIResponse):
                    continue
                media = (response.content or {}).get("application/json")
                if media is None or isinstance(media.schema, Reference):
                    continue  # documented by the app itself (ResponseSpec with ApiError)
                media.schema = error
                response.description = _ERROR_DESCRIPTIONS.get(status, response.description)
    components = document.components.schemas or {}
    for name, cls in _marketplace_structs().items():
        schema = components.get(name)
        if not isinstance(schema, Schema):
            continue
        if cls.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        _copy_constraints(name, cls, schema)


@dataclass(frozen=True)
class ApiLink:
    """An OpenAPI link: a value in the ``status`` response of operation ``source`` (a runtime
    expression such as ``$response.body#/id``) fills parameters of operation ``target``. Clients
    and schemathesis' stateful runs follow them (a created draft's id into its patch, submit...).
    Each domain's API module lists its own (``LINKS``); ``create_app`` adds them all."""

    source: str
    target: str
    parameters: Mapping[str, str]
    status: str = "200"


def add_links(document: OpenAPI, links: Sequence[ApiLink]) -> None:
    """Write ``links`` into the responses of ``document`` (operations named by operationId).
    ``ValueError`` for a link between operations the document does not have."""
    operations: dict[str, Operation] = {}
    for item in (document.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method, None)
            if operation is not None and operation.operation_id:
                operations[operation.operation_id] = operation
    for link in links:
        source, target = operations.get(link.source), operations.get(link.target)
        response = (source.responses or {}).get(link.status) if source else None
        if target is None or not isinstance(response, OpenAPIResponse):
            raise ValueError(f"no such link: {link}")
        response.links = {
            **(response.links or {}),
            link.target: Link(operation_id=link.target, parameters=dict(link.parameters)),
        }
