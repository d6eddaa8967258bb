"""All models, imported here so Alembic and the app see one metadata."""

from app.models.accounts import (
    LoginAttempt,
    Organisation,
    OrganisationCategory,
    PasswordToken,
    Role,
    User,
)
from app.models.audit import AuditEvent
from app.models.catalogue import DeviceModel, DeviceType, FirmwareVersion, Manufacturer
from app.models.outbox import OutboxMessage, OutboxStatus

__all__ = [
    "AuditEvent",
    "DeviceModel",
    "DeviceType",
    "FirmwareVersion",
    "LoginAttempt",
    "Manufacturer",
    "Organisation",
    "OrganisationCategory",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordToken",
    "Role",
    "User",
]
