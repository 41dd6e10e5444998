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
