"""Monthly editions for SECAS (DESIGN §6) and the files each one issued.

An edition is one version of one month's publication. Once it is ready it never changes: its
files are written once under PUBLICATIONS_DIR and their SHA-256 is recorded here. The ORM
guard below and the migration's triggers refuse to change a ready edition or a recorded file.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.extensions import db
from app.models.base import LabelledEnum, enum_column, utcnow


def month_label(year: int, month: int) -> str:
    """ "March 2026": how every page, file and message names a month (Month.label too)."""
    return date(year, month, 1).strftime("%B %Y")


class EditionStatus(LabelledEnum):
    queued = ("queued", "Queued")
    building = ("building", "Building")
    ready = ("ready", "Ready")
    failed = ("failed", "Failed")


class Edition(db.Model):
    __tablename__ = "publication_edition"
    __table_args__ = (sa.UniqueConstraint("month", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), index=True)  # "YYYY-MM"
    version: Mapped[int]
    status: Mapped[EditionStatus] = mapped_column(
        enum_column(EditionStatus), default=EditionStatus.queued
    )
    # Why a new version of a month was made (empty for version 1).
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Why the last build failed, in words the person who asked can act on.
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    built_at: Mapped[datetime | None]
    record_count: Mapped[int | None]
    page_count: Mapped[int | None]

    requested_by: Mapped[User | None] = relationship()  # noqa: F821
    files: Mapped[list[EditionFile]] = relationship(
        back_populates="edition",
        order_by=lambda: EditionFile.format.desc(),  # PDF first
    )

    @property
    def label(self) -> str:
        return f"{self.month} v{self.version}"

    @property
    def month_label(self) -> str:
        return month_label(int(self.month[:4]), int(self.month[5:7]))

    def file(self, fmt: str) -> EditionFile | None:
        return next((f for f in self.files if f.format == fmt), None)


class EditionFile(db.Model):
    """One issued file (PDF or CSV) of a ready edition, with the SHA-256 of its bytes."""

    __tablename__ = "publication_file"
    __table_args__ = (sa.UniqueConstraint("edition_id", "format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(sa.ForeignKey("publication_edition.id"), index=True)
    format: Mapped[str] = mapped_column(sa.String(8))  # "pdf" or "csv"
    # Relative to PUBLICATIONS_DIR, so the folder can move with a restore.
    path: Mapped[str] = mapped_column(sa.String(200), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size_bytes: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    edition: Mapped[Edition] = relationship(back_populates="files")


class IssuedEditionIsImmutable(RuntimeError):
    pass


def _stored_status(edition: Edition) -> EditionStatus | None:
    history = sa.inspect(edition).attrs.status.history
    return next(iter(history.deleted or history.unchanged or ()), None)


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_issued_editions(session: Session, _ctx, _instances) -> None:
    for obj in session.deleted:
        if isinstance(obj, Edition | EditionFile):
            raise IssuedEditionIsImmutable("editions and their files are kept, never deleted")
    for obj in session.dirty:
        if not session.is_modified(obj):
            continue
        if isinstance(obj, EditionFile) or (
            isinstance(obj, Edition) and _stored_status(obj) == EditionStatus.ready
        ):
            raise IssuedEditionIsImmutable("an issued edition and its files cannot be changed")
