"""Domain errors raised by services; web and API layers map them to responses.

Messages are written for the user, in Simplified Chinese (the UI language).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from litestar.exceptions import HTTPException


class DomainError(Exception):
    """Base of every error a service raises on purpose. ``field`` names the input at fault."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or {}


class ValidationFailed(DomainError):
    """Input is malformed or breaks a rule; ``errors`` maps field names to messages."""

    status_code = 400

    def __init__(self, message: str, errors: dict[str, str] | None = None):
        super().__init__(message, details={"errors": errors or {}})
        self.errors = errors or {}


class UnknownReference(ValidationFailed):
    """Well-formed input that names something that does not exist or may not be used here (a
    company that is not an approved member, a capability group instead of a capability). A
    form shows it beside its field like any input error; the API answers 404 with ``errors``:
    the request matched its schema, the thing it names is missing."""

    status_code = 404


class ConflictingInput(ValidationFailed):
    """Well-formed input that the current state refuses (an incomplete draft submitted, a
    company invited twice). A form shows it beside its field; the API answers 409 with
    ``errors``."""

    status_code = 409


class NotFound(DomainError):
    status_code = 404


class NotAllowed(DomainError):
    status_code = 403


class Conflict(DomainError):
    """The action does not fit the current state (e.g. a transition the status machine refuses)."""

    status_code = 409


def documented(*errors: type[DomainError] | type[HTTPException]) -> list[type[HTTPException]]:
    """A route handler's ``raises=`` list (what the OpenAPI schema documents) that may name
    domain errors: Litestar types the list as HTTPException subclasses but reads only each class's
    ``status_code`` and name, which every DomainError has too."""
    return cast("list[type[HTTPException]]", list(errors))
