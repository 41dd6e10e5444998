"""Error pages and handlers for every route: JSON under ``/api`` and ``/schema``, the friendly
error page elsewhere, messages in Chinese. Litestar's English default phrases are replaced; a
detail somebody wrote on purpose is kept."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import asyncpg
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

MALFORMED_JSON = "请求体不是有效的 JSON：请使用 UTF-8 编码、语法完整、嵌套不过深的 JSON。"


class JsonSafeRequest(Request[Any, Any, Any]):
    """The app's request class: a body that cannot be decoded as JSON is the client's fault.

    Litestar turns only ``msgspec.DecodeError`` into a 400 (with msgspec's English text); invalid
    UTF-8 (``UnicodeDecodeError``) and nesting deeper than the decoder's recursion limit
    (``RecursionError``) escaped as 500s. Every JSON body of every route is decoded here."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except (SerializationException, UnicodeDecodeError, RecursionError) as exc:
            raise ClientException(MALFORMED_JSON) from exc


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
    if match := re.fullmatch(r"Expected `int` >= (-?\d+)", message):
        return f"{key} 必须大于或等于 {match[1]}。"
    if match := re.fullmatch(r"Expected `int` <= (-?\d+)", message):
        return f"{key} 必须小于或等于 {match[1]}。"
    if re.match(r"Expected `int`", message):
        return f"{key} 必须是整数。"
    if message.startswith("Missing required"):
        return f"缺少参数 {key}。"
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
