"""The transactional outbox: work that must follow a committed change (mail, later index
updates and publication builds) is written here in the same transaction and applied by
the drain."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import LabelledEnum, enum_column, utcnow


class OutboxStatus(LabelledEnum):
    pending = ("pending", "Pending")
    done = ("done", "Done")
    failed = ("failed", "Failed (gave up)")


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"
    __table_args__ = (sa.Index("ix_outbox_message_status_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_column(OutboxStatus), default=OutboxStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    # The lease of the drain applying this message now (docs/decisions.md): set by a
    # conditional UPDATE committed before the work starts, cleared when it ends. A drain
    # that dies leaves it; the message is due again once `claimed_until` has passed.
    claimed_by: Mapped[str | None] = mapped_column(sa.String(80))
    claimed_until: Mapped[datetime | None]
