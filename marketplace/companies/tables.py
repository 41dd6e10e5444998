from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.taxonomy.tables import Capability

COMPANY_SIZES = ("large", "sme")
COMPANY_STATUSES = ("pending", "approved", "suspended", "rejected")
EVIDENCE_LEVELS = ("self_declared", "past_project", "verified")


class Company(Table, tablename="company"):
    id: Serial  # added by Piccolo; declared for the type checker

    key = Varchar(length=80, unique=True, null=True, default=None)
    name = Varchar(length=120, unique=True)
    credit_code = Varchar(length=18, unique=True, null=True, default=None)
    size = Varchar(length=10, default="sme")
    status = Varchar(length=12, default="pending", index=True)
    description = Text(default="")
    website = Varchar(length=200, default="")
    contact_name = Varchar(length=60, default="")
    location = Varchar(length=120, default="")
    team_size = Integer(null=True, default=None)
    founded_year = Integer(null=True, default=None)
    # Free-text capability words that the taxonomy could not map; kept, never dropped.
    tags = JSON(default=[])
    publish_profile = Boolean(default=True)
    # Contact details are private unless the company chooses to publish them.
    contact_email = Varchar(length=120, default="")
    contact_phone = Varchar(length=40, default="")
    publish_contact = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    approved_at = Timestamptz(null=True, default=None)
    # Why an admin rejected the membership application (shown to the company until it re-applies).
    rejection_reason = Text(default="")


class CompanyCapability(Table, tablename="company_capability"):
    id: Serial  # added by Piccolo; declared for the type checker

    company = ForeignKey(Company, on_delete=OnDelete.cascade, index=True)
    capability = ForeignKey(Capability, on_delete=OnDelete.restrict, index=True)
    evidence = Varchar(length=16, default="self_declared")
    note = Text(default="")
    # Set when an association admin marks the capability verified (who: in the audit log).
    verified_at = Timestamptz(null=True, default=None)


class PastProject(Table, tablename="past_project"):
    """Evidence for a capability: a delivered project with its client and year."""

    id: Serial  # added by Piccolo; declared for the type checker

    company = ForeignKey(Company, on_delete=OnDelete.cascade, index=True)
    capability = ForeignKey(Capability, null=True, default=None, on_delete=OnDelete.set_null)
    title = Varchar(length=200)
    client = Varchar(length=120, default="")
    year = Integer(null=True, default=None)
    delivered = Text(default="")
    reference_contact = Varchar(length=120, default="")  # never shown publicly
    published = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CompanyCertificate(Table, tablename="company_certificate"):
    """A certificate or qualification (e.g. CMMI 3, ISO 27001), optionally evidence for a capability."""

    id: Serial  # added by Piccolo; declared for the type checker

    company = ForeignKey(Company, on_delete=OnDelete.cascade, index=True)
    capability = ForeignKey(Capability, null=True, default=None, on_delete=OnDelete.set_null)
    name = Varchar(length=120)
    issuer = Varchar(length=120, default="")
    number = Varchar(length=80, default="")
    valid_until = Date(null=True, default=None)
    published = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class CaseStudy(Table, tablename="case_study"):
    """A case study the company tells about itself: the problem, what it did, the result."""

    id: Serial  # added by Piccolo; declared for the type checker

    company = ForeignKey(Company, on_delete=OnDelete.cascade, index=True)
    title = Varchar(length=200)
    client = Varchar(length=120, default="")
    year = Integer(null=True, default=None)
    summary = Text(default="")
    outcome = Text(default="")
    published = Boolean(default=True)
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
