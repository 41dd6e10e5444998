"""The registration page behind a mailed invitation to apply: the invited company's contact
opens the company's first account (the company is already filled in) and is led to the
scenario after signing in."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.scenarios import invitations
from marketplace.web.forms import client_address, read_form, see_other

Token = Annotated[str, PathParameter(max_length=200)]


class InvitedRegistrationController(Controller):
    path = "/register/invited/{token:str}"
    include_in_schema = False

    async def _page(self, token: str, form: dict, status_code: int = 200, **extra) -> Template:
        invitation = await invitations.get_mailed_invitation(token)
        return Template(
            "accounts/register_invited.html",
            status_code=status_code,
            context={"invitation": invitation, "token": token, "form": form, "errors": {}, **extra},
        )

    @get("/", name="scenarios:invitation:register")
    async def form(self, token: Token) -> Template:
        invitation = await invitations.get_mailed_invitation(token)
        return await self._page(token, {"email": invitation.email})

    @post("/", name="scenarios:invitation:register:submit")
    async def submit(self, request: Request, token: Token) -> Template | Redirect:
        form = await read_form(request)
        try:
            scenario_id = await invitations.open_invited_account(
                token,
                contact_name=form.get("contact_name", ""),
                email=form.get("email", ""),
                password=form.get("password", ""),
                ip_address=client_address(request),
            )
        except (ValidationFailed, Conflict) as exc:
            form.pop("password", None)
            errors = exc.errors if isinstance(exc, ValidationFailed) else {}
            return await self._page(
                token, form, status_code=exc.status_code, errors=errors, message=exc.message
            )
        target = request.app.route_reverse("scenarios:detail", scenario_id=scenario_id)
        query = urlencode({"next": target, "done": "opened"})
        return see_other(request.app.route_reverse("login") + "?" + query)
