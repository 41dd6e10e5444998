"""What the scenario lifecycle announces to later stages (proposals, evaluation), which
subscribe through ``marketplace.core.events`` without scenarios importing them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ScenarioAmended:
    """Published content changed after proposals may have been submitted. Handlers flag what
    must be re-confirmed and return the ids they flagged (``list[int]``), for the audit entry."""

    scenario_id: int
    at: dt.datetime


@dataclass(frozen=True)
class ParticipantsWanted:
    """Who takes part in the scenario beyond asking questions: handlers return the ids of the
    companies with a live (draft or submitted) proposal on it, consortium members included
    (``set[int]``). Used to address amendments, extensions, cancellations and reminders."""

    scenario_id: int


@dataclass(frozen=True)
class ConcernedStaffWanted:
    """Who works on the scenario beyond its department's own staff: handlers return the ids of
    users assigned to it (``set[int]``; the evaluation assigns evaluators). Used to address
    questions to the people concerned only."""

    scenario_id: int
