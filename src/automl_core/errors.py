"""Domain errors. The HTTP layer maps each class to one status code in one place."""

from __future__ import annotations

from collections.abc import Sequence

from automl_core.issues import Issue


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing does not exist, or belongs to someone else (never tell which)."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} not found")
        self.kind = kind
        self.ident = ident


class Conflict(DomainError):
    """The request clashes with the current state (stale version, duplicate)."""


class IllegalTransition(Conflict):
    """A run was asked to move between two states the state machine does not connect."""


class InvalidInput(DomainError):
    """Input is well-formed but wrong; carries every issue found, each saying where."""

    def __init__(self, message: str, issues: Sequence[Issue] = ()) -> None:
        super().__init__(message)
        self.issues = list(issues)


class Unauthorized(DomainError):
    """No valid session or credential."""


class Forbidden(DomainError):
    """Signed in (or not), but this action is not allowed from here."""


class PayloadTooLarge(DomainError):
    """An upload exceeds the configured limit."""


class UnsupportedFormat(DomainError):
    """An upload is not a table format the platform reads."""


class Unavailable(DomainError):
    """A collaborator (executor, identity provider) cannot be reached right now."""
