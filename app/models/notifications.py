"""In-app notifications; each may also be e-mailed at once or in a daily digest."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, utcnow


class Delivery(LabelledEnum):
    immediate = ("immediate", "An e-mail for each notification")
    daily_digest = ("daily_digest", "One e-mail a day with everything new")


class Notification(db.Model):
    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    report_id: Mapped[int | None] = mapped_column(sa.ForeignKey("report.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    # Set when the notification went out by e-mail, alone or in a digest.
    emailed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()  # noqa: F821
