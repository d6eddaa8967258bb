"""Reports, their affected devices (the DMC), their history, revisions and manufacturer
reviews."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, enum_column, utcnow
from app.models.catalogue import DeviceType


class ReportKind(LabelledEnum):
    issue = ("issue", "Issue")
    defect = ("defect", "Defect")
    unusual_behaviour = ("unusual_behaviour", "Unusual Device behaviour")


class ReportState(LabelledEnum):
    draft = ("draft", "Draft")
    submitted = ("submitted", "Submitted")
    in_validation = ("in_validation", "In validation")
    info_requested = ("info_requested", "Information requested")
    rejected = ("rejected", "Rejected")
    manufacturer_review = ("manufacturer_review", "Manufacturer review")
    approved = ("approved", "Approved")
    published = ("published", "Published")
    withdrawn = ("withdrawn", "Withdrawn")


class CspRegion(LabelledEnum):
    north = ("north", "North")
    central = ("central", "Central")
    south = ("south", "South")
    all = ("all", "All regions")


class Occurrence(LabelledEnum):
    consistent = ("consistent", "Consistent")
    intermittent = ("intermittent", "Intermittent")
    subset_of_estate = ("subset_of_estate", "A subset of the estate")


class Impact(LabelledEnum):
    low = ("low", "Low")
    medium = ("medium", "Medium")
    high = ("high", "High")
    critical = ("critical", "Critical")


class RootCauseStatus(LabelledEnum):
    unknown = ("unknown", "Unknown")
    suspected = ("suspected", "Suspected")
    confirmed = ("confirmed", "Confirmed")


class FixType(LabelledEnum):
    firmware_update = ("firmware_update", "Firmware update")
    configuration_change = ("configuration_change", "Configuration change")
    operational_workaround = ("operational_workaround", "Operational workaround")
    hardware_replacement = ("hardware_replacement", "Hardware replacement")
    other = ("other", "Other")


class RejectionGround(LabelledEnum):
    spurious = ("spurious", "Spurious")
    duplicate = ("duplicate", "Duplicate of another report")
    out_of_scope = ("out_of_scope", "Out of scope")


class ReviewResponse(LabelledEnum):
    agree = ("agree", "Agrees")
    dispute = ("dispute", "Disputes")
    add_fix = ("add_fix", "Adds or corrects a fix")
    no_response = ("no_response", "No response by the deadline")


class EventAudience(LabelledEnum):
    """Who may read a history entry (policy.py decides, from this)."""

    record = ("record", "Everyone who can see the report")
    reporter = ("reporter", "The reporter's organisation and validators")
    manufacturer = ("manufacturer", "The manufacturer concerned and validators")
    validators = ("validators", "Validators only")


class Report(db.Model):
    __tablename__ = "report"
    __table_args__ = (sa.Index("ix_report_state_submitted", "state", "submitted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Allocated at submission, never reused.
    reference: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    state: Mapped[ReportState] = mapped_column(enum_column(ReportState), default=ReportState.draft)
    # Every change bumps it; an UPDATE from a stale copy matches no row (optimistic locking).
    version: Mapped[int] = mapped_column(default=1)

    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    validator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    alert_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    occurrence: Mapped[Occurrence] = mapped_column(enum_column(Occurrence))
    affected_count: Mapped[int | None]
    impact: Mapped[Impact] = mapped_column(enum_column(Impact))
    impact_text: Mapped[str] = mapped_column(sa.Text, default="")
    root_cause_status: Mapped[RootCauseStatus] = mapped_column(
        enum_column(RootCauseStatus), default=RootCauseStatus.unknown
    )
    root_cause_text: Mapped[str] = mapped_column(sa.Text, default="")

    fix_type: Mapped[FixType | None] = mapped_column(enum_column(FixType))
    fix_firmware: Mapped[str] = mapped_column(sa.String(40), default="")
    fix_description: Mapped[str] = mapped_column(sa.Text, default="")
    fix_source: Mapped[str] = mapped_column(sa.String(200), default="")
    fix_validated: Mapped[bool] = mapped_column(default=False)
    # When the fix was last added or changed on a published record (monthly editions).
    fix_changed_at: Mapped[datetime | None]

    security_sensitive: Mapped[bool] = mapped_column(default=False)
    reveal_organisation: Mapped[bool] = mapped_column(default=False)
    dsms_references: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    rejection_ground: Mapped[RejectionGround | None] = mapped_column(enum_column(RejectionGround))
    rejection_reason: Mapped[str] = mapped_column(sa.Text, default="")
    duplicate_of: Mapped[str | None] = mapped_column(sa.String(20))
    info_request: Mapped[str] = mapped_column(sa.Text, default="")
    withdrawal_reason: Mapped[str] = mapped_column(sa.Text, default="")

    review_started_on: Mapped[date | None]
    review_deadline: Mapped[date | None]
    review_deadline_extended: Mapped[bool] = mapped_column(default=False)

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    first_published_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]

    author: Mapped[User] = relationship(foreign_keys=[author_id])  # noqa: F821
    organisation: Mapped[Organisation] = relationship()  # noqa: F821
    validator: Mapped[User | None] = relationship(foreign_keys=[validator_id])  # noqa: F821
    devices: Mapped[list[AffectedDevice]] = relationship(
        back_populates="report",
        order_by="AffectedDevice.position",
        cascade="all, delete-orphan",
    )
    events: Mapped[list[ReportEvent]] = relationship(
        back_populates="report", order_by="ReportEvent.id", cascade="all, delete-orphan"
    )
    revisions: Mapped[list[ReportRevision]] = relationship(
        back_populates="report", order_by="ReportRevision.number", cascade="all, delete-orphan"
    )
    reviews: Mapped[list[ManufacturerReview]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    def manufacturer_ids(self) -> set[int]:
        """Manufacturers from the catalogue whose Devices are in the DMC."""
        return {d.manufacturer_id for d in self.devices if d.manufacturer_id}

    def review_for(self, manufacturer_id: int | None) -> ManufacturerReview | None:
        return next((r for r in self.reviews if r.manufacturer_id == manufacturer_id), None)

    @property
    def label(self) -> str:
        return self.reference or f"Draft #{self.id}"

    @property
    def has_fix(self) -> bool:
        return self.fix_type is not None

    def __repr__(self) -> str:
        return f"<Report {self.label} {self.state}>"


class AffectedDevice(db.Model):
    """One Device of the DMC: a catalogue entry where one exists, free text otherwise."""

    __tablename__ = "affected_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    device_type: Mapped[DeviceType] = mapped_column(enum_column(DeviceType))
    manufacturer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("manufacturer.id"), index=True
    )
    device_model_id: Mapped[int | None] = mapped_column(sa.ForeignKey("device_model.id"))
    manufacturer_name: Mapped[str] = mapped_column(sa.String(200))
    model_name: Mapped[str] = mapped_column(sa.String(120), default="")
    hardware_version: Mapped[str] = mapped_column(sa.String(40), default="")
    firmware_version: Mapped[str] = mapped_column(sa.String(40), default="")

    report: Mapped[Report] = relationship(back_populates="devices")
    manufacturer: Mapped[Manufacturer | None] = relationship()  # noqa: F821

    @property
    def in_catalogue(self) -> bool:
        return self.device_model_id is not None


class ReportEvent(db.Model):
    """The report's history: every transition, edit, question, answer and response."""

    __tablename__ = "report_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(sa.String(40))
    from_state: Mapped[ReportState | None] = mapped_column(
        enum_column(ReportState, name="report_event_from_state")
    )
    to_state: Mapped[ReportState | None] = mapped_column(
        enum_column(ReportState, name="report_event_to_state")
    )
    audience: Mapped[EventAudience] = mapped_column(enum_column(EventAudience))
    manufacturer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("manufacturer.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # For edits: {field: {"before": ..., "after": ...}}, so the original wording is kept.
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    report: Mapped[Report] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()  # noqa: F821


class ReportRevision(db.Model):
    """A published version of the record: 1 at publication, then one per revision."""

    __tablename__ = "report_revision"
    __table_args__ = (sa.UniqueConstraint("report_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id"), index=True)
    number: Mapped[int]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    snapshot: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    report: Mapped[Report] = relationship(back_populates="revisions")


class ManufacturerReview(db.Model):
    """One manufacturer's prior notice of a report and their response to it."""

    __tablename__ = "manufacturer_review"
    __table_args__ = (sa.UniqueConstraint("report_id", "manufacturer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id"), index=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("manufacturer.id"), index=True)
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminder_sent_at: Mapped[datetime | None]
    response: Mapped[ReviewResponse | None] = mapped_column(enum_column(ReviewResponse))
    response_text: Mapped[str] = mapped_column(sa.Text, default="")
    responded_at: Mapped[datetime | None]
    responder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    fix_type: Mapped[FixType | None] = mapped_column(enum_column(FixType, name="review_fix_type"))
    fix_firmware: Mapped[str] = mapped_column(sa.String(40), default="")
    fix_description: Mapped[str] = mapped_column(sa.Text, default="")
    statement: Mapped[str] = mapped_column(sa.Text, default="")
    publish_statement: Mapped[bool] = mapped_column(default=False)
    dispute_answer: Mapped[str] = mapped_column(sa.Text, default="")
    dispute_answered_at: Mapped[datetime | None]

    report: Mapped[Report] = relationship(back_populates="reviews")
    manufacturer: Mapped[Manufacturer] = relationship()  # noqa: F821

    def effective_response(self, today: date) -> ReviewResponse | None:
        """A passed deadline reads as "no response" even before `flask workflow tick`
        records it."""
        deadline = self.report.review_deadline
        if self.response is None and deadline is not None and today > deadline:
            return ReviewResponse.no_response
        return self.response

    @property
    def open_dispute(self) -> bool:
        return self.response == ReviewResponse.dispute and self.dispute_answered_at is None


class ReferenceCounter(db.Model):
    """The last reference number issued per year; incremented under a row lock."""

    __tablename__ = "reference_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(default=0)
