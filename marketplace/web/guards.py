"""Route guards. 401 when nobody is signed in (pages redirect to the login form), 403 when the
signed-in user's role may not use the route. Finer rules (whose row is it) live in queries and
answer 404, so ids of other companies' things reveal nothing."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from marketplace.core.principal import CurrentUser


def _user(connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentUser:
    user = connection.scope.get("user")
    if user is None or not user.is_authenticated:
        raise NotAuthorizedException("请先登录。")
    assert isinstance(user, CurrentUser)  # the authentication middleware sets a CurrentUser or ANONYMOUS
    return user


def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    _user(connection)


def requires_member(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _user(connection).is_member:
        raise PermissionDeniedException("此功能仅向会员企业用户开放。")


def requires_company_manager(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    user = _user(connection)
    if not (user.is_member and user.is_company_manager):
        raise PermissionDeniedException("此功能仅向企业管理员开放。")


def requires_staff(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _user(connection).is_staff:
        raise PermissionDeniedException("此功能仅向部门工作人员开放。")


def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not _user(connection).is_admin:
        raise PermissionDeniedException("此功能仅向协会管理员开放。")


def requires_approved_member(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Submitting anything (questions, proposals, invitations) needs an approved company."""
    user = _user(connection)
    if not user.is_member:
        raise PermissionDeniedException("此功能仅向会员企业用户开放。")
    if not user.is_approved_member:
        raise PermissionDeniedException("贵企业的会员资格尚未审核通过（或已暂停），暂时不能提交。")


def requires_staff_or_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Department staff and association admins (proposal pages and search; what each may see
    inside is decided by ``proposals.policy``)."""
    if not (user := _user(connection)).is_staff and not user.is_admin:
        raise PermissionDeniedException("此功能仅向部门工作人员和协会管理员开放。")
