"""The one place that answers "may this user do or see this?".

Views, templates and services ask `can(user, action, obj)` or `require(...)`; nothing else
compares roles. Actions are named strings. Area actions depend on the role alone; object
actions (added with the report workflow) also look at the object.
"""

from __future__ import annotations

from collections.abc import Callable

from app.models import Role, User
from app.services.errors import NotAllowed

_EVERY_SIGNED_IN_ROLE = frozenset(Role)

# Area actions: which roles may use a part of the portal at all.
ROLE_ACTIONS: dict[str, frozenset[Role]] = {
    "portal.use": _EVERY_SIGNED_IN_ROLE,
    "account.change_password": _EVERY_SIGNED_IN_ROLE,
    "admin.access": frozenset({Role.admin}),
    "audit.read": frozenset({Role.admin}),
    "users.manage": frozenset({Role.admin}),
    "organisations.manage": frozenset({Role.admin}),
    "catalogue.manage": frozenset({Role.admin}),
    "outbox.manage": frozenset({Role.admin}),
}

# Object actions: a predicate over (user, obj). Filled in by later capabilities.
OBJECT_ACTIONS: dict[str, Callable[[User, object], bool]] = {}


def can(user: User | None, action: str, obj: object | None = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if action in ROLE_ACTIONS:
        return user.role in ROLE_ACTIONS[action]
    if action in OBJECT_ACTIONS:
        return OBJECT_ACTIONS[action](user, obj)
    raise KeyError(f"unknown policy action {action!r}")


def require(user: User | None, action: str, obj: object | None = None) -> None:
    if not can(user, action, obj):
        raise NotAllowed("You do not have permission to do that.")
