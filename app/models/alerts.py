"""Daily alert volumes per DMC, region and alert code (DESIGN §8, the superfluous alerts
tracker), and their weekly sums, which the dashboard reads.

A DMC here is what an extract row names: one Device model (type, manufacturer, model) on one
firmware version, the Device raising the alert. Fact rows refer to it by an integer id so
that a million of them stay narrow.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import enum_column, utcnow
from app.models.catalogue import DeviceType

# Extracts are per CSP region; "all regions" is a choice on screen, never a stored value.
ALERT_REGIONS = ("north", "central", "south")
_REGION_CHECK = "region IN ('north', 'central', 'south')"


class AlertDmc(db.Model):
    """A DMC as alert extracts name it; the manufacturer and model are stored in the
    catalogue's spelling when the catalogue knows them (`manufacturer_id` is then set)."""

    __tablename__ = "alert_dmc"
    __table_args__ = (sa.UniqueConstraint("device_type", "manufacturer", "model", "firmware"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_type: Mapped[DeviceType] = mapped_column(
        enum_column(DeviceType, name="alert_dmc_device_type")
    )
    manufacturer: Mapped[str] = mapped_column(sa.String(200))
    model: Mapped[str] = mapped_column(sa.String(120))
    firmware: Mapped[str] = mapped_column(sa.String(40))
    manufacturer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("manufacturer.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    maker: Mapped[Manufacturer | None] = relationship()  # noqa: F821

    @property
    def label(self) -> str:
        """How rankings, lists, charts and CSVs name a DMC: by its model codes alone. Beside
        a rank, a manufacturer's name reads as a league table of manufacturers, which the
        register must never publish (docs/decisions.md); the DMC's own page names it."""
        return f"{self.model} ({self.device_type.value}) firmware {self.firmware}"

    @property
    def full_label(self) -> str:
        """With the manufacturer: the DMC's own page, and a draft report started from it."""
        return f"{self.manufacturer} {self.label}"


class AlertVolume(db.Model):
    """One row of a daily extract. The key (DMC, alert code, region, day) is the primary key:
    the unique constraint re-imports upsert on, and the only index, ordered so that the days
    of one DMC's alert code in a region are adjacent (weekly sums read them as a range)."""

    __tablename__ = "alert_volume"
    __table_args__ = (
        sa.CheckConstraint(_REGION_CHECK, name="region"),
        sa.CheckConstraint("alert_count >= 0 AND device_count >= 0", name="counts"),
        # SQLite: store rows in the key's b-tree, with no separate rowid table.
        {"sqlite_with_rowid": False},
    )

    # No foreign key: checking it took a quarter of PostgreSQL's insert time. Ids come only
    # from the import's get-or-create of alert_dmc, and DMCs are never deleted.
    dmc_id: Mapped[int] = mapped_column(primary_key=True)
    alert_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    alert_count: Mapped[int]
    device_count: Mapped[int]


class AlertWeek(db.Model):
    """Sums of AlertVolume per ISO week (Monday), brought up to date by each import before
    it ends (see AlertWeekPending). `device_days` is the sum of the daily device counts, so
    alerts per device per day over any set of weeks is sum(alert_count) / sum(device_days)."""

    __tablename__ = "alert_week"
    __table_args__ = (
        sa.CheckConstraint(_REGION_CHECK, name="region"),
        sa.Index("ix_alert_week_dmc_id_week", "dmc_id", "week"),
        sa.Index("ix_alert_week_alert_code_week", "alert_code", "week"),
    )

    week: Mapped[date] = mapped_column(primary_key=True)
    alert_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    dmc_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_dmc.id"), primary_key=True)
    alert_count: Mapped[int] = mapped_column(sa.BigInteger)
    device_days: Mapped[int] = mapped_column(sa.BigInteger)
    # Days of the week with a row, so device_days / days is the average devices a day.
    days: Mapped[int] = mapped_column(sa.SmallInteger)


class AlertDmcWeek(db.Model):
    """A DMC's Devices in a region and week, whatever the alert code: the device-days of its
    alert code with the most (every code's rows count the same Devices; a code's days
    without alerts may be missing from an extract). Alerts per device per day divide by
    this, so a code seen on a few days is not divided by those days' Devices only.
    Brought up to date with AlertWeek by each import's re-sum."""

    __tablename__ = "alert_dmc_week"
    __table_args__ = (sa.CheckConstraint(_REGION_CHECK, name="region"),)

    week: Mapped[date] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    dmc_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_dmc.id"), primary_key=True)
    device_days: Mapped[int] = mapped_column(sa.BigInteger)
    days: Mapped[int] = mapped_column(sa.SmallInteger)


class AlertWeekPending(db.Model):
    """Weekly sums to recompute: each import batch marks the groups it changed in its own
    transaction, and the import re-sums them once at its end (a run killed in between leaves
    them marked, and the next import finishes the work)."""

    __tablename__ = "alert_week_pending"
    __table_args__ = (sa.CheckConstraint(_REGION_CHECK, name="region"),)

    week: Mapped[date] = mapped_column(primary_key=True)
    alert_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    dmc_id: Mapped[int] = mapped_column(sa.ForeignKey("alert_dmc.id"), primary_key=True)
    # The Monday after `week`, so the re-sum needs no date arithmetic in SQL.
    next_week: Mapped[date]
