"""Error pages and handlers for every route: JSON under ``/api`` and ``/schema``, the friendly
error page elsewhere, messages in Chinese. Litestar's English default phrases are replaced; a
detail somebody wrote on purpose is kept."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any, get_args
from urllib.parse import urlencode

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    SerializationException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_404_NOT_FOUND,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap

from marketplace.core.db import lost_connection
from marketplace.core.errors import DomainError
from marketplace.core.text import FILLED_TEXT_PATTERN, TEXT_PATTERN

MALFORMED_JSON = "请求体不是有效的 JSON：请使用 UTF-8 编码、语法完整、嵌套不过深的 JSON。"


class JsonSafeRequest(Request[Any, Any, Any]):
    """The app's request class: a body that cannot be decoded as JSON is the client's fault, and
    a JSON body has exactly the types its schema documents.

    Litestar turns only ``msgspec.DecodeError`` into a 400 (with msgspec's English text); invalid
    UTF-8 (``UnicodeDecodeError``) and nesting deeper than the decoder's recursion limit
    (``RecursionError``) escaped as 500s. Every JSON body of every route is decoded here.

    Litestar then converts the body to the handler's ``data`` type in lax mode, where ``0`` is
    ``false`` and ``"12"`` is ``12``: a body the OpenAPI schema calls invalid was accepted. The
    body is checked here first against that type in strict mode (a 400 naming each field)."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except (SerializationException, UnicodeDecodeError, RecursionError) as exc:
            raise ClientException(MALFORMED_JSON) from exc
        field = self.route_handler.parsed_data_field
        if field is not None and value is not None:
            value = _integral_floats_as_ints(value)
            if problems := _strict_problems(value, field.annotation):
                raise ValidationException(
                    extra=[{"key": key, "message": message, "source": "body"} for key, message in problems]
                )
        return value


def _strict_problems(value: Any, annotation: Any) -> list[tuple[str, str]]:
    """What is wrong with ``value`` as an ``annotation`` in msgspec's strict mode, as (key,
    msgspec's message) pairs: every field of a Struct body on its own (msgspec stops at the first
    problem), else the one problem; [] when it is fine."""
    try:
        msgspec.convert(value, type=annotation, strict=True, str_keys=True)
    except msgspec.ValidationError as exc:
        key, message = _located(str(exc))
        first = (key or "body", message)
    else:
        return []
    struct = next((t for t in (annotation, *get_args(annotation)) if _is_struct(t)), None)
    if struct is None or not isinstance(value, dict):
        return [first]
    fields = {f.encode_name: f for f in msgspec.structs.fields(struct)}
    problems: list[tuple[str, str]] = []
    for key, item in value.items():
        if key not in fields:
            if struct.__struct_config__.forbid_unknown_fields:
                problems.append((key, "Object contains unknown field"))
            continue
        try:
            msgspec.convert(item, type=fields[key].type, strict=True, str_keys=True)
        except msgspec.ValidationError as exc:
            where, message = _located(str(exc))
            problems.append((f"{key}{'.' if where and not where.startswith('[') else ''}{where}", message))
    problems += [
        (name, "Missing required field") for name, f in fields.items() if f.required and name not in value
    ]
    return problems or [first]


def _is_struct(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, msgspec.Struct)


def _located(message: str) -> tuple[str, str]:
    """msgspec's ``Expected `int`, got `str` - at `$.timeline[0].due``` as (``timeline[0].due``,
    ``Expected `int`, got `str```); an object's missing or unknown field is named in the key."""
    text, _, where = message.partition(" - at `$")
    key = where.rstrip("`").lstrip(".")
    if named := re.match(r"(Object missing required field|Object contains unknown field) `([^`]+)`", text):
        key = f"{key}.{named[2]}" if key else named[2]
        text = "Missing required field" if named[1].startswith("Object missing") else named[1]
    return key, text


def _integral_floats_as_ints(value: Any) -> Any:
    """JSON has one number type: ``52.0`` is the integer 52 (as JSON Schema says), which msgspec's
    strict mode would refuse where an ``int`` is expected."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_as_ints(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral_floats_as_ints(v) for k, v in value.items()}
    return value


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/schema")


def _error_response(
    request: Request[Any, Any, Any],
    status_code: int,
    message: str,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if _wants_json(request):
        body = {"status_code": status_code, "detail": message}
        if errors:
            body["errors"] = errors
        return Response(body, status_code=status_code, headers=headers)
    return Template(
        template_name="error.html",
        context={"status_code": status_code, "message": message, "errors": errors or {}},
        status_code=status_code,
        headers=headers,
    )


def handle_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return _error_response(request, exc.status_code, exc.message, exc.details.get("errors"))


_STATUS_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_HTTP_MESSAGES = {
    401: "请先登录。",
    403: "没有权限执行此操作。",
    405: "不支持该请求方法。",
    # Litestar's CSRF refusal; forms carry the token, so this means a stale or forged form.
    "CSRF token verification failed": "表单已过期或来源无效，请刷新页面后重新提交。",
    413: "请求内容过大。",
    415: "不支持该请求内容类型。",
    429: "请求过于频繁，请稍后再试。",
}


def _validation_message(key: str, message: str) -> str:
    """A Chinese message for one of Litestar's (msgspec's) validation messages."""
    if re.fullmatch(r"Expected `int(?: \| null)?` >= 0", message):
        return f"{key} 不能为负数。"
    if match := re.fullmatch(r"Expected `int(?: \| null)?` >= (-?\d+)", message):
        return f"{key} 必须大于或等于 {match[1]}。"
    if match := re.fullmatch(r"Expected `int(?: \| null)?` <= (-?\d+)", message):
        return f"{key} 必须小于或等于 {match[1]}。"
    if re.match(r"Expected `int`", message):
        return f"{key} 必须是整数。"
    if re.match(r"Expected `bool`", message):
        return f"{key} 应为 true 或 false。"
    if match := re.fullmatch(r"Expected `(?:str|array|object)` of length ([<>])= (\d+)", message):
        return f"{key} {'最多' if match[1] == '<' else '至少'} {match[2]} 个{'字符' if 'str' in message else '项'}。"
    if message.startswith("Expected `str` matching regex"):
        pattern = message.partition("regex ")[2]
        if pattern.strip("'") == repr(FILLED_TEXT_PATTERN).strip("'"):
            return f"{key} 不能为空白，也不能含控制字符（如 NUL）。"
        if pattern.strip("'") == repr(TEXT_PATTERN).strip("'"):
            return f"{key} 不能含控制字符（如 NUL）。"
        return f"{key} 的格式不对（格式见接口文档）。"
    if re.match(r"Expected `str`", message):
        return f"{key} 应为文字。"
    if message.startswith("Missing required"):
        return f"缺少参数 {key}。"
    if message.startswith("Object contains unknown field"):
        return f"不接受未定义的字段 {key}。"
    return f"{key} 的取值无效。"


def _validation_errors(exc: ValidationException) -> dict[str, str]:
    """Litestar's ``extra`` ([{key, message, source}, ...]) as {parameter: Chinese message}."""
    errors: dict[str, str] = {}
    items = exc.extra if isinstance(exc.extra, list) else []
    for item in items:
        if isinstance(item, dict) and item.get("key"):
            key = str(item["key"])
            errors.setdefault(key, _validation_message(key, str(item.get("message") or "")))
    return errors


def handle_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    errors: dict[str, str] | None = None
    if isinstance(exc, NotFoundException):
        message = "页面或资源不存在。"
    elif isinstance(exc, ValidationException):
        errors = _validation_errors(exc)
        if errors:
            message = "请求参数有误：" + "；".join(errors.values())
        elif exc.detail and not exc.detail.startswith("Validation failed") and exc.detail != "Bad Request":
            message = "请求参数有误：" + exc.detail  # a detail someone wrote on purpose
        else:
            message = "请求参数有误，请检查请求内容。"
    else:
        # Keep a detail someone wrote on purpose; replace Litestar's English default phrase.
        if exc.detail in _HTTP_MESSAGES:
            message = _HTTP_MESSAGES[exc.detail]
        elif exc.detail and exc.detail != _STATUS_PHRASES.get(exc.status_code):
            message = exc.detail
        else:
            message = _HTTP_MESSAGES.get(exc.status_code) or "请求无法处理。"
    return _error_response(request, exc.status_code, message, errors, headers=exc.headers)


DATABASE_UNAVAILABLE = "暂时无法连接数据库，服务暂不可用。请稍后再试，已提交的内容不会丢失。"
DATABASE_RETRY_AFTER_SECONDS = 5

# What the database's being unreachable raises (PostgreSQL through asyncpg): a refused or reset
# connection, the server refusing new connections (starting up or shutting down: 57P03; too
# many connections: 53300; the database not allowing connections: 55000 with its own message),
# and a connection ended under a query (08xxx, 57P01/57P02). Piccolo's rollback of a
# transaction whose connection is gone raises ``InterfaceError`` (connection closed) instead.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    ConnectionRefusedError,
    ConnectionResetError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.ObjectNotInPrerequisiteStateError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


def _is_unavailability(exc: BaseException) -> bool:
    if lost_connection(exc):  # a pooled connection the server or the network ended
        return True
    if isinstance(exc, asyncpg.ObjectNotInPrerequisiteStateError):
        return "not currently accepting connections" in str(exc)
    if isinstance(exc, asyncpg.InterfaceError):
        return "connection is closed" in str(exc)
    return isinstance(exc, DATABASE_UNAVAILABLE_ERRORS)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or an exception it was raised from or while handling) says the database
    cannot be reached now, rather than a fault of the request or the code."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if _is_unavailability(current):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def handle_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """503 with ``Retry-After`` while the database is unreachable (a Chinese page, or the API's
    JSON error); the exception's text (addresses, database names) is only logged. Any other
    exception of the same types is an internal error."""
    if not database_unavailable(exc):
        return handle_internal_error(request, exc)
    request.logger.warning("database unavailable: %r", exc)
    return _error_response(
        request,
        HTTP_503_SERVICE_UNAVAILABLE,
        DATABASE_UNAVAILABLE,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


DATABASE_UNAVAILABLE_HANDLERS: ExceptionHandlersMap = dict.fromkeys(
    DATABASE_UNAVAILABLE_ERRORS, handle_database_unavailable
)


def handle_internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if database_unavailable(exc):  # raised as another type, from an unavailability
        return handle_database_unavailable(request, exc)
    request.logger.exception("unhandled error", exc_info=exc)
    return _error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "服务器内部错误，请稍后再试。")


def handle_not_authorized(request: Request[Any, Any, Any], exc: NotAuthorizedException) -> Response[Any]:
    """Pages send the visitor to the login form and back; the API answers 401."""
    if _wants_json(request):
        return _error_response(
            request,
            401,
            "需要登录：请在请求头中发送 Authorization: Bearer <令牌>。",
            headers={"WWW-Authenticate": "Bearer"},
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(request.app.route_reverse("login") + f"?{urlencode({'next': target})}", status_code=303)


def not_found_page(message: str = "您要找的页面不存在，或该内容尚未公开。") -> Template:
    return Template(
        template_name="error.html",
        context={"status_code": HTTP_404_NOT_FOUND, "message": message, "errors": {}},
        status_code=HTTP_404_NOT_FOUND,
    )


def path_id_out_of_range(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    """An id outside 1..2**31-1 cannot name anything: answer the friendly 404 page."""
    return not_found_page()
