"""``create_app``: the one module that wires every domain into the Litestar app."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, Request, Response, get
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.template.config import TemplateConfig

from marketplace.core.errors import DomainError
from marketplace.core.templating import configure_environment
from marketplace.settings import PROJECT_ROOT, Settings, get_settings

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
NODE_MODULES = PROJECT_ROOT / "node_modules"


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path.startswith("/schema")


def _error_response(request: Request, status_code: int, message: str, errors: dict | None = None) -> Response:
    if _wants_json(request):
        body = {"status_code": status_code, "detail": message}
        if errors:
            body["errors"] = errors
        return Response(body, status_code=status_code)
    return Template(
        template_name="error.html",
        context={"status_code": status_code, "message": message, "errors": errors or {}},
        status_code=status_code,
    )


def handle_domain_error(request: Request, exc: DomainError) -> Response:
    return _error_response(request, exc.status_code, exc.message, exc.details.get("errors"))


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, NotFoundException):
        message = "页面或资源不存在。"
    elif isinstance(exc, ValidationException):
        message = "请求参数有误：" + (exc.detail or "")
    else:
        message = exc.detail or "请求无法处理。"
    return _error_response(request, exc.status_code, message)


def handle_internal_error(request: Request, exc: Exception) -> Response:
    request.logger.exception("unhandled error", exc_info=exc)
    return _error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "服务器内部错误，请稍后再试。")


@get("/healthz", include_in_schema=False)
async def healthz() -> dict:
    """Liveness and readiness: the database answers."""
    from marketplace.departments.tables import Department

    await Department.count()
    return {"status": "ok", "database": "ok"}


def _route_handlers() -> list:
    from marketplace.companies.api import CompanyApiController
    from marketplace.companies.views import CompanyPagesController
    from marketplace.scenarios.api import ScenarioApiController, TaxonomyApiController
    from marketplace.scenarios.views import HomePageController, ScenarioPagesController

    handlers: list = [
        healthz,
        HomePageController,
        ScenarioPagesController,
        CompanyPagesController,
        ScenarioApiController,
        TaxonomyApiController,
        CompanyApiController,
        create_static_files_router(path="/static", directories=[STATIC_DIR], name="static"),
    ]
    if NODE_MODULES.exists():
        handlers.append(create_static_files_router(
            path="/static/vendor", directories=[NODE_MODULES], name="vendor", include_in_schema=False))
    return handlers


def _openapi_config() -> OpenAPIConfig:
    # Swagger UI is served from the npm install (swagger-ui-dist), never from a CDN.
    vendor = "/static/vendor/swagger-ui-dist"
    return OpenAPIConfig(
        title="数园区场景开放平台 API",
        version="1.0.0",
        description="Public read API of the 数园区 scenario marketplace.",
        path="/schema",
        render_plugins=[SwaggerRenderPlugin(
            js_url=f"{vendor}/swagger-ui-bundle.js",
            css_url=f"{vendor}/swagger-ui.css",
            standalone_preset_js_url=f"{vendor}/swagger-ui-standalone-preset.js",
            path="/swagger",
        )],
    )


async def _open_database_pool() -> None:
    from piccolo.engine import engine_finder

    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.start_connection_pool()


async def _close_database_pool() -> None:
    from piccolo.engine import engine_finder

    engine = engine_finder()
    if engine.engine_type == "postgres":
        await engine.close_connection_pool()


def create_app(settings: Settings | None = None, *, use_pool: bool = True) -> Litestar:
    """Build the app. ``use_pool=False`` skips the PostgreSQL pool (for in-loop test clients)."""
    settings = settings or get_settings()
    import piccolo_conf  # noqa: F401  (selects the database engine)

    return Litestar(
        route_handlers=_route_handlers(),
        template_config=TemplateConfig(
            directory=Path(TEMPLATES_DIR),
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: configure_environment(engine.engine),
        ),
        openapi_config=_openapi_config(),
        exception_handlers={
            DomainError: handle_domain_error,
            HTTPException: handle_http_exception,
            HTTP_500_INTERNAL_SERVER_ERROR: handle_internal_error,
        },
        on_startup=[_open_database_pool] if use_pool else [],
        on_shutdown=[_close_database_pool] if use_pool else [],
        debug=False,
    )
