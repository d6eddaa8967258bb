"""Legacy incident records imported from the DCC's service-management system (DSMS)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import utcnow


class LegacyRecord(db.Model):
    """One DSMS incident, redacted before it was stored; `facts` holds what extraction found
    (device_types, manufacturers, models, firmware, alert_codes, regions)."""

    __tablename__ = "legacy_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(sa.String(60), default="")
    priority: Mapped[str] = mapped_column(sa.String(60), default="")
    category: Mapped[str] = mapped_column(sa.String(120), default="")
    subcategory: Mapped[str] = mapped_column(sa.String(120), default="")
    short_description: Mapped[str] = mapped_column(sa.Text, default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    close_notes: Mapped[str] = mapped_column(sa.Text, default="")
    work_notes: Mapped[str] = mapped_column(sa.Text, default="")
    facts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    redactions: Mapped[int] = mapped_column(default=0)
    # SHA-256 of the source row: a re-import of an unchanged row changes nothing.
    source_hash: Mapped[str] = mapped_column(sa.String(64))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("report.id"))

    promoted_report: Mapped[Report | None] = relationship()  # noqa: F821

    @property
    def has_fix(self) -> bool:
        """A closed incident with close notes is taken to record how it was resolved."""
        return bool(self.close_notes.strip()) and self.closed_at is not None


class LegacyRawRecord(db.Model):
    """The unredacted source row, kept only when LEGACY_KEEP_RAW is on; validators alone may
    read it."""

    __tablename__ = "legacy_raw_record"

    legacy_record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("legacy_record.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[dict] = mapped_column(sa.JSON)
