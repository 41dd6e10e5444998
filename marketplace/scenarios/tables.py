from piccolo.columns import JSON, BigInt, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.departments.tables import Department
from marketplace.taxonomy.tables import Capability


class Scenario(Table, tablename="scenario"):
    id: Serial  # added by Piccolo; declared for the type checker

    key = Varchar(length=80, unique=True, null=True, default=None)  # external key for imports
    title = Varchar(length=200)
    summary = Text(default="")
    description = Text(default="")  # the problem, not the solution
    expected_outcome = Text(default="")
    target_users = Text(default="")
    data_offered = Text(default="")
    resources_offered = Text(default="")
    domain = Varchar(length=10, index=True)
    department = ForeignKey(Department, on_delete=OnDelete.restrict, index=True)
    budget_min = BigInt(null=True, default=None)  # yuan
    budget_max = BigInt(null=True, default=None)
    pilot_months = Integer(null=True, default=None)
    question_deadline = Timestamptz(null=True, default=None)
    proposal_deadline = Timestamptz(null=True, default=None, index=True)
    opens_at = Timestamptz(null=True, default=None)
    # Internal lifecycle status, and the status the public is shown: evaluation decisions stay
    # internal (public_status 'evaluating') until staff publish the result.
    status = Varchar(length=20, default="draft", index=True)
    public_status = Varchar(length=20, null=True, default=None, index=True)
    sealed = Boolean(default=False)
    tags = JSON(default=[])  # required-capability words the taxonomy could not map
    cancel_reason = Text(default="")
    created_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    awarded_at = Timestamptz(null=True, default=None)
    result_published_at = Timestamptz(null=True, default=None)
    # Review: when it was last submitted, the CDO's latest comment when sending it back, and the
    # approval (``opens_at`` in the future: approved, waiting for its scheduled opening).
    submitted_at = Timestamptz(null=True, default=None)
    review_comment = Text(default="")
    approved_at = Timestamptz(null=True, default=None)
    approved_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)


class ScenarioCapability(Table, tablename="scenario_capability"):
    """A required capability with its weight; a scenario's weights add up to 100."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    capability = ForeignKey(Capability, on_delete=OnDelete.restrict, index=True)
    weight = Integer()


class ScenarioCriterion(Table, tablename="scenario_criterion"):
    """An evaluation criterion with its weight; a scenario's weights add up to 100."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=80)
    description = Text(default="")
    weight = Integer()
    position = Integer(default=0)


class Question(Table, tablename="question"):
    """A clarification question and its answer; published answers never name the asker."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    company = ForeignKey(Company, null=True, default=None, on_delete=OnDelete.set_null)
    asked_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    question = Text()
    asked_at = Timestamptz(default=TimestamptzNow())
    answer = Text(default="")
    answered_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    answered_at = Timestamptz(null=True, default=None)
    published = Boolean(default=False)


class ScenarioAmendment(Table, tablename="scenario_amendment"):
    """A public change-log entry: an amendment, deadline extension or cancellation reason."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20, default="amendment")
    reason = Text()
    changes = JSON(default={})
    created_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class ScenarioFollow(Table, tablename="scenario_follow"):
    """A signed-in user follows a public scenario: told about its amendments, answers, deadline
    extensions, the approaching deadline and the result. One row per (scenario, user)."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())


class ScenarioAttachment(Table, tablename="scenario_attachment"):
    """A PDF the department attaches to a scenario. Its bytes are in the database
    (``core.tables.StoredFile``, by ``stored_name``); it is served only by the attachment route,
    which checks who may read it."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=200)  # as uploaded, shown to readers
    stored_name = Varchar(length=80, unique=True)
    size = Integer()
    sha256 = Varchar(length=64)
    uploaded_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class ScenarioInvitation(Table, tablename="scenario_invitation"):
    """Staff invited a member company to apply to a scenario: who invited which company, when,
    and by which channel: ``in_app`` (the company's users were notified; ``users_notified`` of
    them) or ``email`` (the company has no account yet: its contact was mailed a link to
    register, ``email`` the address; ``token_hash`` that link, used up at ``claimed_at``).
    A resend is a new row (``resend`` true), so the record keeps every invitation."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    company = ForeignKey(Company, on_delete=OnDelete.cascade, index=True)
    channel = Varchar(length=10)
    invited_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    users_notified = Integer(default=0)
    email = Varchar(length=254, default="")
    resend = Boolean(default=False)
    token_hash = Varchar(length=64, unique=True, null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    claimed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
