"""All models, imported here so Alembic and the app see one metadata."""

from app.models.accounts import (
    LoginAttempt,
    Organisation,
    OrganisationCategory,
    PasswordToken,
    Role,
    User,
)
from app.models.alerts import AlertDmc, AlertDmcWeek, AlertVolume, AlertWeek, AlertWeekPending
from app.models.audit import AuditEvent
from app.models.catalogue import DeviceModel, DeviceType, FirmwareVersion, Manufacturer
from app.models.legacy import LegacyRawRecord, LegacyRecord
from app.models.notifications import Delivery, Notification
from app.models.outbox import OutboxMessage, OutboxStatus
from app.models.publications import Edition, EditionFile, EditionStatus
from app.models.reports import (
    AffectedDevice,
    CspRegion,
    EventAudience,
    FixType,
    Impact,
    ManufacturerReview,
    Occurrence,
    ReferenceCounter,
    RejectionGround,
    Report,
    ReportEvent,
    ReportKind,
    ReportRevision,
    ReportState,
    ReviewResponse,
    RootCauseStatus,
)

__all__ = [
    "AffectedDevice",
    "AlertDmc",
    "AlertDmcWeek",
    "AlertVolume",
    "AlertWeek",
    "AlertWeekPending",
    "AuditEvent",
    "CspRegion",
    "Delivery",
    "DeviceModel",
    "DeviceType",
    "Edition",
    "EditionFile",
    "EditionStatus",
    "EventAudience",
    "FirmwareVersion",
    "FixType",
    "Impact",
    "LegacyRawRecord",
    "LegacyRecord",
    "LoginAttempt",
    "Manufacturer",
    "ManufacturerReview",
    "Notification",
    "Occurrence",
    "Organisation",
    "OrganisationCategory",
    "OutboxMessage",
    "OutboxStatus",
    "PasswordToken",
    "ReferenceCounter",
    "RejectionGround",
    "Report",
    "ReportEvent",
    "ReportKind",
    "ReportRevision",
    "ReportState",
    "ReviewResponse",
    "Role",
    "RootCauseStatus",
    "User",
]
