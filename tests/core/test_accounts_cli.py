"""``create-user`` (minimal until the accounts issue): admins and staff of a department."""

import pytest

from marketplace.accounts.services import create_user
from marketplace.accounts.tables import User
from marketplace.core.audit import SYSTEM
from marketplace.core.errors import Conflict, ValidationFailed
from tests.factories import make_department


async def test_create_staff_and_admin(db):
    await make_department(key="dept-data")
    staff_id = await create_user(
        email="Staff@Example.com ",
        role="staff",
        department_key="dept-data",
        display_name="王芳",
        actor=SYSTEM,
    )
    await create_user(
        email="admin@example.com", role="admin", department_key=None, display_name="", actor=SYSTEM
    )
    row = await User.select().where(User.id == staff_id).first()
    assert row["email"] == "staff@example.com" and row["role"] == "staff" and row["department"] is not None


@pytest.mark.parametrize(
    ("email", "role", "dept", "error"),
    [
        ("not-an-email", "admin", None, ValidationFailed),
        ("s@example.com", "staff", None, ValidationFailed),
        ("s@example.com", "staff", "dept-none", ValidationFailed),
        ("s@example.com", "member", None, ValidationFailed),
    ],
)
async def test_bad_input_is_refused_and_stores_nothing(db, email, role, dept, error):
    with pytest.raises(error):
        await create_user(email=email, role=role, department_key=dept, display_name="", actor=SYSTEM)
    assert await User.count() == 0


async def test_email_taken(db):
    await create_user(email="a@example.com", role="admin", department_key=None, display_name="", actor=SYSTEM)
    with pytest.raises(Conflict):
        await create_user(
            email="A@example.com", role="admin", department_key=None, display_name="", actor=SYSTEM
        )
