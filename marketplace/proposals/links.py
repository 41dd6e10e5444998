"""Paths of the proposal pages that services store in notifications and mail (no request
there). Each mirrors a named route; see ``marketplace.web.links``."""

from __future__ import annotations

from marketplace.web.links import mirrors


@mirrors("member:proposals:detail")
def proposal_page(proposal_id: int) -> str:
    return f"/member/proposals/{proposal_id}"


@mirrors("member:proposals:receipt")
def receipt_page(proposal_id: int) -> str:
    return f"/member/proposals/{proposal_id}/receipt"


@mirrors("member:invitations:detail")
def consortium_invitation_page(proposal_id: int) -> str:
    return f"/member/invitations/{proposal_id}"
