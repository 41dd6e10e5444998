from piccolo.columns import Boolean, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from marketplace.companies.tables import Company
from marketplace.departments.tables import Department

USER_ROLES = ("member", "staff", "admin")


class User(Table, tablename="app_user"):
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
