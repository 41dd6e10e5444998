"""``create_app``: the one module that wires every domain into the Litestar app."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar, Request, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException
from litestar.logging.config import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Tag
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.template.config import TemplateConfig

from marketplace import wiring
from marketplace.accounts.middleware import authentication_middleware
from marketplace.core.errors import DomainError
from marketplace.core.logs import logging_config
from marketplace.notifications.middleware import unread_notifications_middleware
from marketplace.settings import PROJECT_ROOT, Settings, get_settings
from marketplace.web.api import ApiLink, add_links, make_error_responses_exact
from marketplace.web.errors import (
    DATABASE_UNAVAILABLE_HANDLERS,
    JsonSafeRequest,
    handle_domain_error,
    handle_http_exception,
    handle_internal_error,
    handle_not_authorized,
)
from marketplace.web.methods import allow_every_method
from marketplace.web.observability import (
    figures_registry,
    metrics_allowed,
    observability_middleware,
    render_metrics,
    request_id_header,
)
from marketplace.web.security import security_headers
from marketplace.web.templating import configure_environment

TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"
NODE_MODULES = PROJECT_ROOT / "node_modules"
VENDOR_PACKAGES = ("htmx.org", "swagger-ui-dist", "chart.js")
# Room for a multipart form's boundaries, headers and other fields around the largest upload.
MULTIPART_OVERHEAD = 1024 * 1024


@get("/healthz", name="healthz", include_in_schema=False)
async def healthz(request: Request) -> dict:
    """Liveness and readiness: 200 as long as the database answers (a failing query is a 500).
    Search is reported separately: ok, unavailable (pages fall back to the database) or disabled,
    with the number of outbox rows not yet indexed and, for the managed server that
    ``marketplace serve`` supervises, its state and restart count. Public: no error text, no
    addresses or ports."""
    from marketplace.departments.tables import Department
    from marketplace.search.indexer import pending_count
    from marketplace.search.server import read_status

    await Department.count()
    engine = request.app.state.search
    search = await engine.health()
    search["pending"] = await pending_count()
    if server := read_status(request.app.state.search_status_file, engine.config.url):
        search["server"] = server
    return {"status": "ok", "database": "ok", "search": search}


@get("/metrics", name="metrics", include_in_schema=False)
async def metrics(request: Request) -> Response[bytes]:
    """Prometheus metrics, for a scraper with ``METRICS_TOKEN`` or from ``METRICS_ALLOW``; 404
    for anyone else. Request rates and latencies by route, search fallbacks, login lockouts and
    periodic rounds (counted as they happen, all workers' under multiprocess mode), plus figures
    read now from the database: the search outbox's backlog and lag, and mail waiting to go."""
    from marketplace.notifications.tables import Notification
    from marketplace.search.indexer import outbox_lag, pending_count

    if not metrics_allowed(request, request.app.state.ops):
        raise NotFoundException()
    pending, waited = await outbox_lag()
    parked = await pending_count() - pending
    mail = await Notification.count().where(Notification.email_status == "pending")
    figures = figures_registry(
        [
            ("marketplace_outbox_pending", "Search outbox rows waiting to be indexed", pending),
            ("marketplace_outbox_lag_seconds", "How long the oldest waiting outbox row has waited", waited),
            (
                "marketplace_outbox_parked",
                "Outbox rows Meilisearch refused too often (see index --status)",
                parked,
            ),
            ("marketplace_mail_pending", "Notifications whose mail is waiting to be sent", mail),
        ]
    )
    body, content_type = render_metrics([figures])
    return Response(body, media_type=content_type, headers={"Cache-Control": "no-store"})


def _template_labels() -> dict[str, object]:
    from marketplace.scenarios.status import DOMAINS, STATUS_LABELS

    return {"STATUS_LABELS": STATUS_LABELS, "DOMAINS": DOMAINS}


def _route_handlers() -> list:
    from marketplace.accounts.api import AccountApiController
    from marketplace.accounts.views import AccountPagesController, AuthPagesController
    from marketplace.admin.views import AdminController
    from marketplace.companies.profile_api import CompanyProfileApiController
    from marketplace.companies.profile_views import MemberProfileController
    from marketplace.departments.api import DepartmentApiController
    from marketplace.evaluation.decision_views import DecisionController
    from marketplace.evaluation.member_views import MemberClarificationController
    from marketplace.evaluation.pilot_views import MemberPilotController, StaffPilotController
    from marketplace.evaluation.result_views import MemberResultController
    from marketplace.evaluation.staff_views import EvaluationStaffController
    from marketplace.evaluation.stats_views import PublicStatisticsController, StaffDashboardController
    from marketplace.matching.api import MatchingApiController
    from marketplace.matching.views import StaffMatchesController
    from marketplace.notifications.views import NotificationController, NotificationSettingsController
    from marketplace.opendata.api import ChangeFeedApiController, OcdsApiController
    from marketplace.opendata.views import DownloadsController
    from marketplace.pages.company_api import CompanyApiController
    from marketplace.pages.company_pages import CompanyPagesController
    from marketplace.pages.member_home import MemberAreaController
    from marketplace.pages.scenario_api import ScenarioApiController
    from marketplace.pages.scenario_pages import HomePageController, ScenarioPagesController
    from marketplace.proposals.api import ProposalApiController
    from marketplace.proposals.member_views import MemberProposalController
    from marketplace.proposals.staff_views import StaffProposalController
    from marketplace.scenarios.authoring_views import ScenarioAuthoringController
    from marketplace.scenarios.follow_api import ScenarioFollowApiController
    from marketplace.scenarios.invitation_views import InvitedRegistrationController
    from marketplace.scenarios.participation_views import FeedController, ScenarioParticipationController
    from marketplace.scenarios.staff_views import StaffAreaController
    from marketplace.search.api import ProposalSearchApiController, SuggestionApiController
    from marketplace.taxonomy.api import TaxonomyApiController

    handlers: list = [
        healthz,
        metrics,
        AuthPagesController,
        InvitedRegistrationController,
        AccountPagesController,
        AccountApiController,
        MemberAreaController,
        MemberProfileController,
        CompanyProfileApiController,
        StaffAreaController,
        AdminController,
        MatchingApiController,
        StaffMatchesController,
        HomePageController,
        ScenarioPagesController,
        CompanyPagesController,
        ScenarioApiController,
        OcdsApiController,
        ChangeFeedApiController,
        DownloadsController,
        TaxonomyApiController,
        DepartmentApiController,
        CompanyApiController,
        ProposalSearchApiController,
        SuggestionApiController,
        ScenarioAuthoringController,
        ScenarioFollowApiController,
        ScenarioParticipationController,
        FeedController,
        NotificationController,
        NotificationSettingsController,
        MemberProposalController,
        StaffProposalController,
        ProposalApiController,
        StaffPilotController,
        MemberPilotController,
        StaffDashboardController,
        PublicStatisticsController,
        DecisionController,
        MemberResultController,
        EvaluationStaffController,
        MemberClarificationController,
        create_static_files_router(path="/static", directories=[STATIC_DIR], name="static"),
    ]
    # Only the front-end packages are served from node_modules (not, say, the Meilisearch binary).
    # Registered even before `npm ci` (their files are 404 until then), so that templates'
    # url_for('vendor-...') always resolves.
    for package in VENDOR_PACKAGES:
        handlers.append(
            create_static_files_router(
                path=f"/static/vendor/{package}",
                directories=[NODE_MODULES / package],
                name=f"vendor-{package}",
                include_in_schema=False,
            )
        )
    return handlers


def _api_links() -> list[ApiLink]:
    from marketplace.accounts.api import LINKS as ACCOUNT_LINKS
    from marketplace.matching.api import LINKS as MATCHING_LINKS
    from marketplace.proposals.api import LINKS as PROPOSAL_LINKS

    return [*ACCOUNT_LINKS, *PROPOSAL_LINKS, *MATCHING_LINKS]


def _openapi_config() -> OpenAPIConfig:
    # Swagger UI is served from the npm install (swagger-ui-dist), never from a CDN: scripts,
    # stylesheet and favicon (Litestar's default favicon is a CDN URL). It is also the page at
    # /schema itself, so no CDN-based Redoc page is ever rendered.
    vendor = "/static/vendor/swagger-ui-dist"
    return OpenAPIConfig(
        title="数园区场景开放平台 API",
        version="1.0.0",
        description=(
            "数园区（苏州工业园区）场景开放平台的公开只读 API：已公开的应用场景、会员企业名录，"
            "以及构造筛选条件所需的能力分类和部门。\n\n"
            '错误统一返回 JSON：`{"status_code", "detail", "errors"}`。'
            "参数有误返回 400，errors 列出每个出错的参数；不存在或未公开返回 404。"
            "路径中的 id 须为 1 到 2147483647 的整数：超出范围返回 400，不是整数返回 404。"
            "每页最多 100 条。"
        ),
        path="/schema",
        tags=[
            Tag(name="scenarios", description="已公开的应用场景"),
            Tag(name="companies", description="会员企业名录"),
            Tag(name="taxonomy", description="能力分类（含同义词）"),
            Tag(name="departments", description="发布场景的部门"),
            Tag(name="search", description="方案检索（部门工作人员与协会管理员，按权限过滤）"),
            Tag(
                name="proposals",
                description="方案：会员企业创建、修改、提交、撤回方案，组建联合体（写操作需 Bearer 令牌）；读取按权限过滤",
            ),
            Tag(name="profile", description="本企业资料（企业管理员，凭令牌）"),
        ],
        render_plugins=[
            SwaggerRenderPlugin(
                js_url=f"{vendor}/swagger-ui-bundle.js",
                css_url=f"{vendor}/swagger-ui.css",
                standalone_preset_js_url=f"{vendor}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{vendor}/favicon-32x32.png'>",
                path="/swagger",
            )
        ],
    )


async def _open_database_pool() -> None:
    """PostgreSQL: asyncpg's pool. SQLite: a few kept connections (``core.sqlite_pool``), instead
    of Piccolo's new connection and thread for every query."""
    from piccolo.engine import engine_finder
    from piccolo.engine.postgres import PostgresEngine

    from marketplace.core.sqlite_pool import PooledSQLiteEngine

    engine = engine_finder()
    if isinstance(engine, PostgresEngine | PooledSQLiteEngine):
        await engine.start_connection_pool()


async def _close_database_pool() -> None:
    from piccolo.engine import engine_finder
    from piccolo.engine.postgres import PostgresEngine

    from marketplace.core.sqlite_pool import PooledSQLiteEngine

    engine = engine_finder()
    if isinstance(engine, PostgresEngine | PooledSQLiteEngine):
        await engine.close_connection_pool()


def _logging_config(settings: Settings) -> LoggingConfig:
    """The app's log format (``core.logs``: JSON with the request id in production) for Litestar,
    which applies it when the app starts; its own exception log stays off (``handle_internal_error``
    logs unhandled errors once)."""
    config = logging_config(settings.ops.json_logs)
    return LoggingConfig(
        root=config["root"],
        filters=config["filters"],
        formatters=config["formatters"],
        handlers=config["handlers"],
        loggers=config["loggers"],
        log_exceptions="never",
    )


def create_app(settings: Settings | None = None, *, use_pool: bool = True) -> Litestar:
    """Build the app. ``use_pool=False`` skips the lifespan work, the PostgreSQL pool and the
    periodic tasks (opening scheduled and closing expired scenarios, reminders, mail), for
    in-loop test clients that drive the clock themselves."""
    settings = settings or get_settings()
    wiring.connect()
    import piccolo_conf  # noqa: F401  (selects the database engine)
    from marketplace.proposals.attachments import MAX_BYTES as MAX_UPLOAD_BYTES
    from marketplace.scenarios.periodic import PeriodicRunner
    from marketplace.search.runtime import SearchRuntime
    from marketplace.search.server import STATUS_FILE

    periodic = PeriodicRunner()
    search = SearchRuntime(settings.search)  # app.state.search; the indexer runs in the lifespan
    openapi_config = _openapi_config()
    # The docs page is served by the OpenAPI plugin (no named route): templates get its path.
    docs_root = openapi_config.path or "/schema"
    template_globals = _template_labels() | {
        "API_DOCS_URL": docs_root + openapi_config.render_plugins[0].paths[0]
    }

    app = Litestar(
        route_handlers=_route_handlers(),
        template_config=TemplateConfig(
            directory=Path(TEMPLATES_DIR),
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: configure_environment(
                engine.engine, template_globals, auto_reload=not settings.production
            ),
        ),
        openapi_config=openapi_config,
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="sy_csrf",  # its own name: never clobbered by another app's csrftoken
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="lax",
            # The API is exempt: there, a request that changes something must carry a bearer
            # token (cookies are ignored, see accounts.middleware), which a foreign site cannot send.
            exclude=["^/api/"],
        ),
        middleware=[observability_middleware, authentication_middleware, unread_notifications_middleware],
        # On every message the app sends, the router's own 404/405 included.
        # ``Allow`` lists every method of a path (Litestar's own OPTIONS answer lists one route's).
        before_send=[security_headers(hsts=settings.cookie_secure), allow_every_method, request_id_header],
        exception_handlers={
            NotAuthorizedException: handle_not_authorized,
            DomainError: handle_domain_error,
            HTTPException: handle_http_exception,
            HTTP_500_INTERNAL_SERVER_ERROR: handle_internal_error,
            **DATABASE_UNAVAILABLE_HANDLERS,  # 503 with Retry-After
        },
        request_class=JsonSafeRequest,
        logging_config=_logging_config(settings),
        # Above the largest upload (Litestar's default, 10,000,000 bytes, is below 10 MiB): a file
        # up to the limit reaches the app, a slightly larger one gets the app's own message.
        request_max_body_size=MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD,
        # search_status_file: the managed server's supervisor status (see /healthz)
        state=State(
            {
                "search": search.engine,
                "search_status_file": settings.var_dir / STATUS_FILE,
                "ops": settings.ops,  # the metrics endpoint's guard
            }
        ),
        on_startup=[_open_database_pool, periodic.start, search.start] if use_pool else [],
        on_shutdown=[search.stop, periodic.stop, _close_database_pool] if use_pool else [],
        debug=False,
    )
    make_error_responses_exact(app.openapi_schema)  # the document is built once and kept
    add_links(app.openapi_schema, _api_links())
    return app
