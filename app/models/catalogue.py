"""The device catalogue: manufacturers, device models and their firmware versions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, enum_column, utcnow


class DeviceType(LabelledEnum):
    ESME = ("ESME", "Electricity Smart Metering Equipment (ESME)")
    GSME = ("GSME", "Gas Smart Metering Equipment (GSME)")
    CHF = ("CHF", "Communications Hub Function (CHF)")
    GPF = ("GPF", "Gas Proxy Function (GPF)")
    PPMID = ("PPMID", "Prepayment Interface Device (PPMID)")
    IHD = ("IHD", "In-Home Display (IHD)")
    CAD = ("CAD", "Consumer Access Device (CAD)")


class Manufacturer(db.Model):
    __tablename__ = "manufacturer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # Other spellings seen in free text ("Aldermoor", "AML"); used by entity extraction.
    aliases: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship(  # noqa: F821
        back_populates="manufacturers"
    )
    device_models: Mapped[list[DeviceModel]] = relationship(
        back_populates="manufacturer", order_by="DeviceModel.model_name"
    )

    def __repr__(self) -> str:
        return f"<Manufacturer {self.name!r}>"


class DeviceModel(db.Model):
    __tablename__ = "device_model"
    __table_args__ = (
        sa.UniqueConstraint("manufacturer_id", "device_type", "model_name", "hardware_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    manufacturer_id: Mapped[int] = mapped_column(sa.ForeignKey("manufacturer.id"), index=True)
    device_type: Mapped[DeviceType] = mapped_column(enum_column(DeviceType))
    model_name: Mapped[str] = mapped_column(sa.String(120))
    model_id_hex: Mapped[str] = mapped_column(sa.String(10), index=True)
    hardware_version: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    manufacturer: Mapped[Manufacturer] = relationship(back_populates="device_models")
    firmware_versions: Mapped[list[FirmwareVersion]] = relationship(
        back_populates="device_model",
        order_by="FirmwareVersion.version",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<DeviceModel {self.model_name} hw {self.hardware_version}>"


class FirmwareVersion(db.Model):
    __tablename__ = "firmware_version"
    __table_args__ = (sa.UniqueConstraint("device_model_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_model_id: Mapped[int] = mapped_column(sa.ForeignKey("device_model.id"), index=True)
    version: Mapped[str] = mapped_column(sa.String(40))

    device_model: Mapped[DeviceModel] = relationship(back_populates="firmware_versions")
