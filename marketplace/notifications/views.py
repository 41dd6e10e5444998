"""The notifications page (``/notifications``), marking notifications read, and each user's
notification settings (``/account/notifications``) (HTML)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.exceptions import ValidationException
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.core.errors import ValidationFailed
from marketplace.notifications import services
from marketplace.web.forms import actor_of, local_path, read_form, see_other
from marketplace.web.guards import requires_login
from marketplace.web.params import MAX_ID, parse_int

Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]


def _not_found(request: Request, exc: ValidationException):
    from marketplace.web.errors import not_found_page

    return not_found_page("通知不存在。")


class NotificationController(Controller):
    path = "/notifications"
    guards = [requires_login]
    include_in_schema = False
    exception_handlers = {ValidationException: _not_found}

    @get("/", name="notifications:list")
    async def index(self, request: Request) -> Template:
        errors: dict = {}
        page = parse_int(request.query_params, "page", errors, lo=1, hi=10_000, default=1)
        if errors:
            raise ValidationFailed("查询参数有误。", errors)
        assert page is not None  # parse_int falls back to its default, 1
        result = await services.list_notifications(request.user.id, page)
        return Template(
            "notifications/list.html",
            context={
                "page": result,
                "unread": await services.unread_count(request.user.id),
                "done": request.query_params.get("done"),
            },
        )

    @post("/{notification_id:int}/open", name="notifications:open")
    async def open(self, request: Request, notification_id: Id) -> Redirect:
        """Mark read and go to what it is about."""
        link = await services.mark_read(request.user.id, notification_id)
        return see_other(local_path(link, request.app.route_reverse("notifications:list")))

    @post("/{notification_id:int}/read", name="notifications:read")
    async def read(self, request: Request, notification_id: Id) -> Redirect:
        await services.mark_read(request.user.id, notification_id)
        return see_other(request.app.route_reverse("notifications:list"))

    @post("/read-all", name="notifications:read_all")
    async def read_all(self, request: Request) -> Redirect:
        await services.mark_all_read(request.user.id)
        return see_other(request.app.route_reverse("notifications:list") + "?done=all")


class NotificationSettingsController(Controller):
    """Per kind of notification: shown in the app (the bell) and/or mailed."""

    path = "/account/notifications"
    guards = [requires_login]
    include_in_schema = False

    @get("/", name="account:notifications")
    async def settings(self, request: Request) -> Template:
        return Template(
            "notifications/settings.html",
            context={
                "settings": await services.list_notification_settings(request.user.id),
                "done": request.query_params.get("done"),
            },
        )

    @post("/", name="account:notifications:save")
    async def save(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        in_app = {k.removeprefix("in_app_") for k, v in form.items() if k.startswith("in_app_") and v == "1"}
        email = {k.removeprefix("email_") for k, v in form.items() if k.startswith("email_") and v == "1"}
        try:
            await services.save_notification_settings(
                request.user.id, actor_of(request), in_app=in_app, email=email
            )
        except ValidationFailed as exc:
            return Template(
                "notifications/settings.html",
                status_code=exc.status_code,
                context={
                    "settings": await services.list_notification_settings(request.user.id),
                    "message": exc.message,
                },
            )
        return see_other(request.app.route_reverse("account:notifications") + "?done=saved")
