"""Evaluation and selection: who evaluates, conflicts of interest, eligibility, scores, the
shortlist and decision (internal until published), and the pilot after the award."""

from piccolo.columns import Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.proposals.tables import Proposal
from marketplace.scenarios.tables import Scenario, ScenarioCriterion

ELIGIBILITY_STATES = ("pending", "eligible", "ineligible", "clarification")
DECISIONS = ("pending", "selected", "not_selected")
OUTCOME_RESULTS = ("awarded", "unsuccessful")
PILOT_STATUSES = ("active", "completed", "stopped")
MILESTONE_STATUSES = ("planned", "in_progress", "done", "delayed")


class EvaluatorAssignment(Table, tablename="evaluator_assignment"):
    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    evaluator = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    assigned_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    assigned_at = Timestamptz(default=TimestamptzNow())
    conflicts_declared_at = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)


class EvaluatorAffiliation(Table, tablename="evaluator_affiliation"):
    """A staff member's past tie to a company (a former employer), which flags conflicts itself."""

    id: Serial  # added by Piccolo; declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    company = ForeignKey(Company, on_delete=OnDelete.cascade, index=True)
    relation = Varchar(length=20, default="former_employer")
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class EvaluationScore(Table, tablename="evaluation_score"):
    """One evaluator's score (0-10) of one proposal on one criterion."""

    id: Serial  # added by Piccolo; declared for the type checker

    proposal = ForeignKey(Proposal, on_delete=OnDelete.cascade, index=True)
    evaluator = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    criterion = ForeignKey(ScenarioCriterion, on_delete=OnDelete.cascade)
    score = Integer()
    comment = Text(default="")
    submitted = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ProposalReview(Table, tablename="proposal_review"):
    """Staff's internal record of one proposal: eligibility, clarification, shortlist, pitch and
    decision. Nothing here is shown to applicants or the public before the result is published."""

    id: Serial  # added by Piccolo; declared for the type checker

    proposal = ForeignKey(Proposal, on_delete=OnDelete.cascade, unique=True)
    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    eligibility = Varchar(length=14, default="pending")
    eligibility_reason = Text(default="")
    checked_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    checked_at = Timestamptz(null=True, default=None)
    clarification_question = Text(default="")
    clarification_deadline = Timestamptz(null=True, default=None)
    clarification_answer = Text(default="")
    clarification_answered_at = Timestamptz(null=True, default=None)
    clarification_answered_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    consensus_note = Text(default="")  # the outcome of a consensus discussion on a disagreement
    shortlisted = Boolean(default=False)
    shortlist_reason = Text(default="")
    pitch_at = Timestamptz(null=True, default=None)
    pitch_place = Varchar(length=200, default="")
    pitch_note = Text(default="")
    decision = Varchar(length=14, default="pending")
    decision_reason = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class ScenarioOutcome(Table, tablename="scenario_outcome"):
    """The decision on a scenario: the selected proposal, or unsuccessful with a reason."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, unique=True)
    result = Varchar(length=14)
    selected_proposal = ForeignKey(Proposal, null=True, default=None, on_delete=OnDelete.restrict)
    reason = Text(default="")
    decided_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    decided_at = Timestamptz(default=TimestamptzNow())
    published_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    published_at = Timestamptz(null=True, default=None)


class Pilot(Table, tablename="pilot"):
    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, unique=True)
    proposal = ForeignKey(Proposal, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=10, default="active")
    started_at = Timestamptz(default=TimestamptzNow())
    completed_at = Timestamptz(null=True, default=None)
    outcome_note = Text(default="")
    created_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)


class PilotMilestone(Table, tablename="pilot_milestone"):
    id: Serial  # added by Piccolo; declared for the type checker

    pilot = ForeignKey(Pilot, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200)
    due_date = Date(null=True, default=None)
    status = Varchar(length=12, default="planned")
    note = Text(default="")
    position = Integer(default=0)
    completed_at = Timestamptz(null=True, default=None)


class PilotUpdate(Table, tablename="pilot_update"):
    id: Serial  # added by Piccolo; declared for the type checker

    pilot = ForeignKey(Pilot, on_delete=OnDelete.cascade, index=True)
    milestone = ForeignKey(PilotMilestone, null=True, default=None, on_delete=OnDelete.set_null)
    note = Text()
    author = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class Objection(Table, tablename="objection"):
    """A 质疑: an applicant company objects to a published result within the objection window,
    with a reason; the scenario's department answers. Open while ``answered_at`` is empty (a
    pilot cannot start then)."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    company = ForeignKey(Company, on_delete=OnDelete.cascade, index=True)
    raised_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    reason = Text()
    raised_at = Timestamptz(default=TimestamptzNow())
    answer = Text(default="")
    answered_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    answered_at = Timestamptz(null=True, default=None)
