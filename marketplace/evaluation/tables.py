from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.accounts.tables import User
from marketplace.proposals.tables import Proposal
from marketplace.scenarios.tables import Scenario, ScenarioCriterion


class EvaluatorAssignment(Table, tablename="evaluator_assignment"):
    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    evaluator = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    assigned_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)


class EvaluationScore(Table, tablename="evaluation_score"):
    """One evaluator's score (0-10) of one proposal on one criterion."""

    proposal = ForeignKey(Proposal, on_delete=OnDelete.cascade, index=True)
    evaluator = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    criterion = ForeignKey(ScenarioCriterion, on_delete=OnDelete.cascade)
    score = Integer()
    comment = Text(default="")
    submitted = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
