"""Paths of the one-time-link pages that account services mail (no request there). Each mirrors
a named route; see ``marketplace.web.links``."""

from __future__ import annotations

from marketplace.web.links import mirrors


@mirrors("password:reset")
def password_reset_page(token: str) -> str:
    return f"/password/reset/{token}"


@mirrors("invitations:accept")
def invitation_page(token: str) -> str:
    return f"/invitations/{token}"


@mirrors("member:home")
def member_home_page() -> str:
    return "/member"


@mirrors("account:email:confirm")
def email_change_page(token: str) -> str:
    return f"/account/email/confirm/{token}"
