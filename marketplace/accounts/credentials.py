"""Session cookies and API tokens: creating them, resolving them to a ``CurrentUser`` and ending
them. Both are random secrets of which only the SHA-256 is stored."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from piccolo.custom_types import Combinable

from marketplace.accounts.tables import ApiToken, User, UserSession
from marketplace.core import clock
from marketplace.core.principal import CurrentUser
from marketplace.settings import get_settings

TOKEN_PREFIX = "syq_"  # 数园区 API tokens are recognisable in logs and secret scanners
# Writing last_seen_at on every request would turn every page view into a write; once a minute
# is precise enough for an idle timeout counted in hours.
TOUCH_INTERVAL = dt.timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def _load_user(user_id: int, via: str) -> CurrentUser | None:
    row = (
        await User.select(
            User.id,
            User.email,
            User.display_name,
            User.role,
            User.active,
            User.company,
            User.company.name,
            User.company.status,
            User.department,
            User.department.name,
            User.is_company_manager,
            User.is_cdo,
            User.is_evaluator,
        )
        .where(User.id == user_id)
        .first()
    )
    if row is None or not row["active"]:
        return None
    return CurrentUser(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        role=row["role"],
        company_id=row["company"],
        company_name=row["company.name"] or "",
        company_status=row["company.status"],
        department_id=row["department"],
        department_name=row["department.name"] or "",
        is_company_manager=row["is_company_manager"],
        is_cdo=row["is_cdo"],
        is_evaluator=row["is_evaluator"],
        via=via,
    )


# --- sessions ---------------------------------------------------------------------------------


async def start_session(user_id: int, ip_address: str = "", user_agent: str = "") -> str:
    """A new session for ``user_id``; returns the cookie value (a fresh secret every login)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await UserSession.insert(
        UserSession(
            token_hash=hash_secret(token),
            user=user_id,
            created_at=now,
            last_seen_at=now,
            ip_address=ip_address[:64],
            user_agent=user_agent[:300],
        )
    )
    return token


async def resolve_session(token: str | None) -> CurrentUser | None:
    """The user of a session cookie, or None when unknown, idle too long or too old."""
    if not token or len(token) > 200:
        return None
    settings = get_settings()
    row = await UserSession.select().where(UserSession.token_hash == hash_secret(token)).first()
    if row is None:
        return None
    now = clock.now()
    idle_limit = dt.timedelta(minutes=settings.session_idle_minutes)
    age_limit = dt.timedelta(hours=settings.session_max_hours)
    if now - row["last_seen_at"] > idle_limit or now - row["created_at"] > age_limit:
        await UserSession.delete().where(UserSession.id == row["id"])
        return None
    if now - row["last_seen_at"] > TOUCH_INTERVAL:
        await UserSession.update({UserSession.last_seen_at: now}).where(UserSession.id == row["id"])
    return await _load_user(row["user"], "session")


async def end_session(token: str | None) -> None:
    if token:
        await UserSession.delete().where(UserSession.token_hash == hash_secret(token))


async def end_all_sessions(user_id: int) -> None:
    await UserSession.delete().where(UserSession.user == user_id)


async def end_other_sessions(user_id: int, keep_token: str | None) -> int:
    """End every session of the user but the one whose cookie is ``keep_token``; how many."""
    where: Combinable = UserSession.user == user_id
    if keep_token:
        where &= UserSession.token_hash != hash_secret(keep_token)
    ids = [r["id"] for r in await UserSession.select(UserSession.id).where(where)]
    if ids:
        await UserSession.delete().where(UserSession.id.is_in(ids))
    return len(ids)


async def revoke_all_api_tokens(user_id: int) -> int:
    """Revoke every live API token of the user; how many."""
    where = (ApiToken.user == user_id) & ApiToken.revoked_at.is_null()
    ids = [r["id"] for r in await ApiToken.select(ApiToken.id).where(where)]
    if ids:
        await ApiToken.update({ApiToken.revoked_at: clock.now()}).where(ApiToken.id.is_in(ids))
    return len(ids)


# --- API tokens -------------------------------------------------------------------------------


async def create_api_token(user_id: int, name: str) -> tuple[int, str]:
    """A new personal token; returns (id, the token). The token is shown once and never again."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user=user_id, name=name, token_hash=hash_secret(token), prefix=token[:10], created_at=clock.now()
    )
    await row.save()
    return row.id, token


async def resolve_api_token(token: str | None) -> CurrentUser | None:
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = (
        await ApiToken.select(ApiToken.id, ApiToken.user, ApiToken.revoked_at, ApiToken.last_used_at)
        .where(ApiToken.token_hash == hash_secret(token))
        .first()
    )
    if row is None or row["revoked_at"] is not None:
        return None
    now = clock.now()
    if row["last_used_at"] is None or now - row["last_used_at"] > TOUCH_INTERVAL:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["id"])
    return await _load_user(row["user"], "token")
