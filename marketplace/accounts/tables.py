from piccolo.columns import Boolean, ForeignKey, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.companies.tables import Company
from marketplace.departments.tables import Department

USER_ROLES = ("member", "staff", "admin")


class User(Table, tablename="app_user"):
    id: Serial  # added by Piccolo; declared for the type checker

    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=80, default="")
    password_hash = Text(default="")
    role = Varchar(length=10, default="member")
    company = ForeignKey(Company, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    department = ForeignKey(Department, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    is_company_manager = Boolean(default=False)
    is_cdo = Boolean(default=False)
    is_evaluator = Boolean(default=False)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class UserSession(Table, tablename="user_session"):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
    leaked table gives no usable cookie. Several workers share these rows, and restarts keep them."""

    id: Serial  # added by Piccolo; declared for the type checker

    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    ip_address = Varchar(length=64, default="")
    user_agent = Varchar(length=300, default="")


class ApiToken(Table, tablename="api_token"):
    """A personal API token (``Authorization: Bearer …``), shown once, stored hashed."""

    id: Serial  # added by Piccolo; declared for the type checker

    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=80)
    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)  # the first characters, so the owner can tell tokens apart
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginThrottle(Table, tablename="login_throttle"):
    """Wrong passwords in a row, per account (``email:…``) and per address (``ip:…``)."""

    id: Serial  # added by Piccolo; declared for the type checker

    key = Varchar(length=300, unique=True)
    failures = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class OneTimeToken(Table, tablename="one_time_token"):
    """An emailed one-time link: password reset, an invitation to join a company, or the
    confirmation of a new e-mail address (``new_email`` holds the address it confirms)."""

    id: Serial  # added by Piccolo; declared for the type checker

    purpose = Varchar(length=20)  # password_reset | invitation | email_change
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    new_email = Varchar(length=254, default="")
