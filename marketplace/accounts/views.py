"""Sign-in, registration, password links and the account page (HTML)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.params import PathParameter, QueryParameter
from litestar.response import Redirect, Template

from marketplace.accounts import services
from marketplace.accounts.credentials import end_session, start_session
from marketplace.accounts.middleware import SESSION_COOKIE
from marketplace.accounts.tables import User
from marketplace.core.errors import DomainError, NotFound, ValidationFailed
from marketplace.settings import get_settings
from marketplace.web.forms import actor_of, client_address, local_path, read_form, see_other
from marketplace.web.guards import requires_company_manager, requires_login

Token = Annotated[str, PathParameter(max_length=200)]


HOME_ROUTES = {"admin": "admin:dashboard", "staff": "staff:home"}  # everyone else: "member:home"


def home_for(request: Request, user) -> str:
    role = "admin" if user.is_admin else "staff" if user.is_staff else "member"
    return request.app.route_reverse(HOME_ROUTES.get(role, "member:home"))


def _session_cookie(value: str, request: Request, *, max_age: int | None = None) -> Cookie:
    settings = get_settings()
    return Cookie(
        key=SESSION_COOKIE,
        value=value,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure or request.url.scheme == "https",
        max_age=max_age if max_age is not None else settings.session_max_hours * 3600,
    )


class AuthPagesController(Controller):
    include_in_schema = False

    @get("/login", name="login")
    async def login_form(
        self, request: Request, next: Annotated[str | None, QueryParameter()] = None
    ) -> Template | Redirect:
        if request.user.is_authenticated:
            return see_other(home_for(request, request.user))
        return Template("accounts/login.html", context={"next": local_path(next, ""), "form": {}})

    @post("/login", name="login:submit")
    async def login(self, request: Request) -> Template | Redirect:
        form = await read_form(request)
        try:
            user_id = await services.authenticate(
                form.get("email", ""), form.get("password", ""), client_address(request)
            )
        except DomainError as exc:
            return Template(
                "accounts/login.html",
                status_code=exc.status_code,
                context={
                    "message": exc.message,
                    "next": local_path(form.get("next"), ""),
                    "form": {"email": form.get("email", "")},
                },
            )
        # Rotation: whatever session the browser had ends; the login gets a fresh secret.
        await end_session(request.cookies.get(SESSION_COOKIE))
        token = await start_session(user_id, client_address(request), request.headers.get("user-agent", ""))
        user = await User.select(User.role).where(User.id == user_id).first()
        assert user is not None  # the user has just logged in
        default = request.app.route_reverse(HOME_ROUTES.get(user["role"], "member:home"))
        response = see_other(local_path(form.get("next"), default))
        response.cookies.append(_session_cookie(token, request))
        return response

    @post("/logout", name="logout")
    async def logout(self, request: Request) -> Redirect:
        await end_session(request.cookies.get(SESSION_COOKIE))
        response = see_other(request.app.route_reverse("home"))
        response.cookies.append(_session_cookie("", request, max_age=0))
        return response

    @get("/register", name="register")
    async def register_form(self) -> Template:
        return Template("accounts/register.html", context={"form": {"size": "sme"}, "errors": {}})

    @post("/register", name="register:submit")
    async def register(self, request: Request) -> Template:
        form = await read_form(request)
        try:
            await services.register_company(
                company_name=form.get("company_name", ""),
                credit_code=form.get("credit_code", ""),
                size=form.get("size", ""),
                contact_name=form.get("contact_name", ""),
                email=form.get("email", ""),
                password=form.get("password", ""),
                ip_address=client_address(request),
            )
        except ValidationFailed as exc:
            form.pop("password", None)
            return Template(
                "accounts/register.html",
                status_code=400,
                context={"form": form, "errors": exc.errors, "message": exc.message},
            )
        return Template(
            "accounts/registered.html", context={"company_name": form.get("company_name", "").strip()}
        )

    @get("/password/forgot", name="password:forgot")
    async def forgot_form(self) -> Template:
        return Template("accounts/forgot.html", context={"sent": False})

    @post("/password/forgot", name="password:forgot:submit")
    async def forgot(self, request: Request) -> Template:
        form = await read_form(request)
        await services.request_password_reset(form.get("email", ""))
        return Template("accounts/forgot.html", context={"sent": True})

    async def _set_password_form(self, token: str, purpose: str) -> Template:
        if not await services.check_one_time_link(token, purpose):
            raise NotFound("链接无效或已过期，请重新申请。")
        return Template("accounts/set_password.html", context={"purpose": purpose, "errors": {}})

    async def _set_password(self, request: Request, token: str, purpose: str) -> Template | Redirect:
        form = await read_form(request)
        if form.get("password", "") != form.get("password_confirm", ""):
            return Template(
                "accounts/set_password.html",
                status_code=400,
                context={"purpose": purpose, "errors": {"password_confirm": "两次输入的密码不一致。"}},
            )
        try:
            await services.set_password_with_link(
                token, purpose, form.get("password", ""), client_address(request)
            )
        except ValidationFailed as exc:
            return Template(
                "accounts/set_password.html",
                status_code=400,
                context={"purpose": purpose, "errors": exc.errors},
            )
        return see_other(request.app.route_reverse("login") + "?done=password")

    @get("/password/reset/{token:str}", name="password:reset")
    async def reset_form(self, token: Token) -> Template:
        return await self._set_password_form(token, "password_reset")

    @post("/password/reset/{token:str}", name="password:reset:submit")
    async def reset(self, request: Request, token: Token) -> Template | Redirect:
        return await self._set_password(request, token, "password_reset")

    @get("/invitations/{token:str}", name="invitations:accept")
    async def invitation_form(self, token: Token) -> Template:
        return await self._set_password_form(token, "invitation")

    @post("/invitations/{token:str}", name="invitations:accept:submit")
    async def accept_invitation(self, request: Request, token: Token) -> Template | Redirect:
        return await self._set_password(request, token, "invitation")

    @get("/account/email/confirm/{token:str}", name="account:email:confirm")
    async def email_confirm_form(self, token: Token) -> Template:
        """A page with a button: opening the mailed link (mail scanners do) changes nothing."""
        new_email = await services.pending_email_change(token)
        if new_email is None:
            raise NotFound("链接无效或已过期，请重新申请。")
        return Template("accounts/confirm_email.html", context={"new_email": new_email, "done": False})

    @post("/account/email/confirm/{token:str}", name="account:email:confirm:submit")
    async def email_confirm(self, request: Request, token: Token) -> Template:
        new_email = await services.confirm_email_change(token, client_address(request))
        return Template("accounts/confirm_email.html", context={"new_email": new_email, "done": True})


class AccountPagesController(Controller):
    path = "/account"
    guards = [requires_login]
    include_in_schema = False

    async def _render(self, request: Request, **extra) -> Template:
        status_code = extra.pop("status_code", 200)
        tokens = await services.list_api_tokens(request.user.id)
        return Template("accounts/account.html", context={"tokens": tokens, **extra}, status_code=status_code)

    @get("/", name="account")
    async def account(self, request: Request) -> Template:
        return await self._render(request)

    @post("/password", name="account:password")
    async def change_password(self, request: Request) -> Template:
        form = await read_form(request)
        try:
            changed = await services.change_password(
                request.user.id,
                current_password=form.get("current_password", ""),
                new_password=form.get("new_password", ""),
                confirm=form.get("new_password_confirm", ""),
                keep_session=request.cookies.get(SESSION_COOKIE),
                actor=actor_of(request),
            )
        except ValidationFailed as exc:
            return await self._render(
                request, password_errors=exc.errors, password_message=exc.message, status_code=400
            )
        return await self._render(request, password_changed=changed)

    @post("/email", name="account:email")
    async def change_email(self, request: Request) -> Template:
        form = await read_form(request)
        try:
            await services.request_email_change(
                request.user.id,
                password=form.get("password", ""),
                new_email=form.get("email", ""),
                actor=actor_of(request),
            )
        except ValidationFailed as exc:
            return await self._render(
                request,
                email_errors=exc.errors,
                email_message=exc.message,
                email_form={"email": form.get("email", "")},
                status_code=400,
            )
        return await self._render(request, email_sent=services.normalize_email(form.get("email", "")))

    @post("/tokens", name="account:tokens:create")
    async def create_token(self, request: Request) -> Template:
        form = await read_form(request)
        try:
            token = await services.create_personal_token(
                request.user.id, form.get("name", ""), actor_of(request)
            )
        except ValidationFailed as exc:
            return await self._render(request, errors=exc.errors, status_code=400)
        return await self._render(request, new_token=token)

    @post("/tokens/{token_id:int}/revoke", name="account:tokens:revoke")
    async def revoke_token(
        self, request: Request, token_id: Annotated[int, PathParameter(ge=1, le=2**31 - 1)]
    ) -> Redirect:
        await services.revoke_api_token(request.user.id, token_id, actor_of(request))
        return see_other(request.app.route_reverse("account"))

    @get("/company", name="account:company", guards=[requires_company_manager])
    async def company_users(self, request: Request) -> Template:
        return await self._company_page(request)

    async def _company_page(self, request: Request, **extra) -> Template:
        users = (
            await User.select(
                User.id,
                User.email,
                User.display_name,
                User.is_company_manager,
                User.password_hash,
                User.last_login_at,
            )
            .where(User.company == request.user.company_id)
            .order_by(User.id)
        )
        for u in users:
            u["activated"] = bool(u.pop("password_hash"))
        status_code = extra.pop("status_code", 200)
        form = extra.pop("form", {})
        return Template(
            "accounts/company_users.html",
            status_code=status_code,
            context={"users": users, "form": form, **extra},
        )

    @post("/company/invite", name="account:company:invite", guards=[requires_company_manager])
    async def invite(self, request: Request) -> Template:
        form = await read_form(request)
        try:
            await services.invite_company_user(
                manager_id=request.user.id,
                email=form.get("email", ""),
                display_name=form.get("display_name", ""),
                actor=actor_of(request),
            )
        except DomainError as exc:
            return await self._company_page(
                request,
                form=form,
                errors=getattr(exc, "errors", {}),
                message=exc.message,
                status_code=exc.status_code,
            )
        return await self._company_page(request, invited=form.get("email", "").strip().lower())
