"""How much a proposal may hold: one place for the services' checks and the API's schemas."""

from __future__ import annotations

MAX_SUMMARY = 1000
MAX_TEXT = 10_000  # every other text field
MAX_ANSWER = 5_000  # each capability answer
MAX_MILESTONES = 30
MILESTONE_LIMITS = {"title": 200, "due": 10, "deliverable": 500}
MAX_COST = 10**12  # yuan
MAX_REASON = 500  # of a withdrawal or a declined invitation
MAX_ROLE = 80  # a consortium member's role
MAX_MEMBERS = 10
