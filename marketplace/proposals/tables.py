from piccolo.columns import JSON, BigInt, Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.accounts.tables import User
from marketplace.companies.tables import Company
from marketplace.scenarios.tables import Scenario

MEMBER_STATUSES = ("invited", "accepted", "declined")


class Proposal(Table, tablename="proposal"):
    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.restrict, index=True)
    company = ForeignKey(Company, on_delete=OnDelete.restrict, index=True)  # the lead company
    number = Varchar(length=40, unique=True, null=True, default=None)  # receipt number
    status = Varchar(length=20, default="draft", index=True)  # proposals.status; one writer
    summary = Text(default="")
    understanding = Text(default="")
    approach = Text(default="")
    capability_answers = JSON(default={})  # capability id -> how it is covered
    data_needs = Text(default="")
    team = Text(default="")
    timeline = JSON(default=[])  # milestones
    cost_estimate = BigInt(null=True, default=None)  # yuan
    # The company agrees to be named in the published ranking (else 申报方 A, B, …).
    disclose_name = Boolean(default=False)
    pilot_plan = Text(default="")
    success_indicators = Text(default="")
    declaration_accepted = Boolean(default=False)
    needs_confirmation = Boolean(default=False)
    version = Integer(default=0)
    content_hash = Varchar(length=64, default="")
    created_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    submitted_at = Timestamptz(null=True, default=None)
    withdrawn_at = Timestamptz(null=True, default=None)
    outcome_published = Boolean(default=False)
    autosaved_at = Timestamptz(null=True, default=None)


class ProposalMember(Table, tablename="proposal_member"):
    """A consortium member (the lead included), its role, work share and answer to the invitation."""

    id: Serial  # added by Piccolo; declared for the type checker

    proposal = ForeignKey(Proposal, on_delete=OnDelete.cascade, index=True)
    company = ForeignKey(Company, on_delete=OnDelete.restrict, index=True)
    role = Varchar(length=80, default="")
    work_share = Integer(default=0)  # percent
    status = Varchar(length=10, default="invited")
    is_lead = Boolean(default=False)
    invited_at = Timestamptz(default=TimestamptzNow())
    invited_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    answered_at = Timestamptz(null=True, default=None)
    answered_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    decline_reason = Text(default="")


class ProposalVersion(Table, tablename="proposal_version"):
    id: Serial  # added by Piccolo; declared for the type checker

    proposal = ForeignKey(Proposal, on_delete=OnDelete.cascade, index=True)
    version = Integer()
    content = JSON(default={})
    content_hash = Varchar(length=64)
    submitted_at = Timestamptz(default=TimestamptzNow())


class ProposalAttachment(Table, tablename="proposal_attachment"):
    """A PDF or image attached to a proposal; its bytes are in the database
    (``core.tables.StoredFile``) under the random ``stored_name``."""

    id: Serial  # added by Piccolo; declared for the type checker

    proposal = ForeignKey(Proposal, on_delete=OnDelete.cascade, index=True)
    filename = Varchar(length=200)  # cleaned name as uploaded, shown to readers
    stored_name = Varchar(length=80, unique=True)
    content_type = Varchar(length=40)  # from the content, never from the name
    size = Integer()
    sha256 = Varchar(length=64)
    uploaded_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.set_null)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class ConflictDeclaration(Table, tablename="conflict_declaration"):
    """An evaluator's declaration about one proposal: conflicted or not, and the relation.

    Evaluation records declarations (``evaluation.conflicts``); the table lives here because a
    declared conflict takes the proposal out of that user's sight on every route, and who may
    see a proposal is this domain's rule (``proposals.policy``)."""

    id: Serial  # added by Piccolo; declared for the type checker

    scenario = ForeignKey(Scenario, on_delete=OnDelete.cascade, index=True)
    evaluator = ForeignKey(User, on_delete=OnDelete.restrict, index=True)
    proposal = ForeignKey(Proposal, on_delete=OnDelete.cascade, index=True)
    company = ForeignKey(Company, on_delete=OnDelete.cascade, index=True)  # the lead company
    conflicted = Boolean(default=False)
    relation = Text(default="")  # the evaluator's own words
    system_flag = Text(default="")  # why the system flagged it, if it did
    declared_at = Timestamptz(default=TimestamptzNow())
