"""Errors the domain raises; create_app maps each to one HTTP status in one handler."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class InvalidTransition(DomainError):
    status = 409


class StaleEdit(DomainError):
    status = 409

    def __init__(
        self,
        message: str = "This record was changed by someone else since you "
        "opened it. Nothing was saved; the current version is shown below.",
    ):
        super().__init__(message)


class ValidationFailed(DomainError):
    status = 422


class StorageFault(DomainError):
    status = 500  # a stored file is missing or no longer matches what was recorded


class SignInRefused(DomainError):
    status = 422  # the form re-renders with the message; no hint why


class SignInThrottled(DomainError):
    status = 429


def found(obj, what: str):
    """Return obj, or raise NotFound naming what was looked for."""
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj
