"""Organisations, users and the records that protect sign-in."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, enum_column, utcnow
from app.models.notifications import Delivery


class OrganisationCategory(LabelledEnum):
    large_supplier = ("large_supplier", "Large Supplier")
    small_supplier = ("small_supplier", "Small Supplier")
    electricity_network = ("electricity_network", "Electricity Network Operator")
    gas_network = ("gas_network", "Gas Network Operator")
    meter_asset_provider = ("meter_asset_provider", "Meter Asset Provider")
    device_manufacturer = ("device_manufacturer", "Device Manufacturer")
    dcc = ("dcc", "DCC")
    secas = ("secas", "Code Administrator (SECAS)")
    other = ("other", "Other SEC Party")


class Role(LabelledEnum):
    party = ("party", "SEC Party user")
    manufacturer = ("manufacturer", "Device Manufacturer user")
    validator = ("validator", "DCC validator")
    secas = ("secas", "Code Administrator (SECAS)")
    ssc = ("ssc", "Security Sub-Committee member")
    admin = ("admin", "Portal administrator")


class Organisation(db.Model):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    category: Mapped[OrganisationCategory] = mapped_column(enum_column(OrganisationCategory))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")
    manufacturers: Mapped[list[Manufacturer]] = relationship(  # noqa: F821
        back_populates="organisation", order_by="Manufacturer.name"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


def new_session_token() -> str:
    return secrets.token_urlsafe(16)


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # A manufacturer user speaks for exactly one manufacturer of their organisation.
    manufacturer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("manufacturer.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the Flask-Login id: rotating it ends every session of this user.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # How notifications reach this user by e-mail (alert storms taught us to fear mail storms).
    notification_delivery: Mapped[Delivery] = mapped_column(
        enum_column(Delivery), default=Delivery.immediate, server_default="immediate"
    )
    last_digest_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="users")
    manufacturer: Mapped[Manufacturer | None] = relationship()  # noqa: F821

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class PasswordToken(db.Model):
    """A single-use, time-limited link to set a password. Only the token's hash is stored."""

    __tablename__ = "password_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Every sign-in attempt, so throttling works across web workers."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_email_at", "email", "at"),
        sa.Index("ix_login_attempt_ip_at", "ip_address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254))
    ip_address: Mapped[str] = mapped_column(sa.String(64))
    succeeded: Mapped[bool]
    at: Mapped[datetime] = mapped_column(default=utcnow)
