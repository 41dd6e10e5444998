"""msgspec shapes of accounts at the API edge."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from msgspec import Meta


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Annotated[str, Meta(min_length=3, max_length=254)]
    password: Annotated[str, Meta(min_length=1, max_length=256)]
    name: Annotated[str, Meta(min_length=1, max_length=80)] = "API"


class TokenResponse(msgspec.Struct):
    token: str
    token_type: str = "Bearer"


class Me(msgspec.Struct):
    id: int
    email: str
    display_name: str
    role: str
    company_id: int | None
    company_name: str
    company_status: str | None
    department_id: int | None
    department_name: str
    is_company_manager: bool
    is_cdo: bool
    is_evaluator: bool


class ApiTokenOut(msgspec.Struct):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
