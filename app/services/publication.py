"""The monthly SECAS publication (DESIGN §6): asking for an edition, building it (never in
a web request: the button queues an outbox job, the CLI builds at once), audited downloads.
What an edition holds is publication_records; its files, publication_render and
publication_store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Edition, EditionStatus, User
from app.models.base import utcnow
from app.services import audit, notifications, outbox, policy, publication_render
from app.services.errors import NotFound, ValidationFailed, found
from app.services.publication_records import Month, select_records, uk_date
from app.services.publication_store import read_verified, store

BUILD_JOB = "publication.build"
FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
# A build still "building" after this long has stopped (the process died); it may be redone.
STALE_BUILD = timedelta(minutes=30)
E = EditionStatus


# --- asking for a build -----------------------------------------------------------------


def _editions_of(month: Month) -> list[Edition]:
    return list(
        db.session.scalars(
            sa.select(Edition).where(Edition.month == month.key).order_by(Edition.version)
        )
    )


def _busy(edition: Edition) -> bool:
    if edition.status == E.queued:
        return True
    return edition.status == E.building and edition.started_at > utcnow() - STALE_BUILD


def _edition_to_build(actor: User | None, month: Month, new_version: bool, reason: str) -> Edition:
    if month > Month.current():
        message = f"{month.label} has not started yet, so it has no edition."
        raise ValidationFailed(message, field_errors={"month": [message]})
    editions = _editions_of(month)
    busy = next((e for e in editions if _busy(e)), None)
    if busy is not None:
        message = (
            f"Version {busy.version} of the {month.label} edition is already "
            f"{busy.status.label.lower()}; it will be ready shortly."
        )
        raise ValidationFailed(message, field_errors={"month": [message]})
    issued = [e for e in editions if e.status == E.ready]
    reason = reason.strip()
    if issued and not new_version:
        message = (
            f"The {month.label} edition has been issued (version {issued[-1].version}). To "
            "issue a new version, choose to make a new version and give the reason."
        )
        raise ValidationFailed(message, field_errors={"new_version": [message]})
    if issued and not reason:
        message = "Give the reason for the new version; it is recorded with it."
        raise ValidationFailed(message, field_errors={"reason": [message]})
    latest = editions[-1] if editions else None
    if latest is not None and latest.status != E.ready:
        # A failed (or stopped) build issued nothing: build the same version again.
        latest.status, latest.error = E.queued, None
        latest.requested_by_id, latest.requested_at = (actor.id if actor else None), utcnow()
        latest.reason = reason if issued else latest.reason
        return latest
    edition = Edition(
        month=month.key,
        version=latest.version + 1 if latest else 1,
        reason=reason if issued else "",
        requested_by_id=actor.id if actor else None,
    )
    db.session.add(edition)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # the same version asked for twice at once
        db.session.rollback()
        message = f"Someone has just asked for the {month.label} edition; it is queued."
        raise ValidationFailed(message, field_errors={"month": [message]}) from None
    return edition


def _audit(actor: User | None, action: str, edition: Edition, summary: str = "") -> None:
    audit.record(
        actor, action, object_type=Edition.__tablename__, object_id=edition.label, summary=summary
    )


def _asked_for(actor: User | None, month: str, new_version: bool, reason: str) -> Edition:
    edition = _edition_to_build(actor, Month.parse(month), new_version, reason)
    _audit(
        actor,
        "publication.build_requested",
        edition,
        f"new version: {edition.reason}" if edition.reason else "",
    )
    return edition


def request_build(
    *, actor: User, month: str, new_version: bool = False, reason: str = ""
) -> Edition:
    """Queue a build; the outbox drain builds it. Building again after an edition was issued
    makes a new version and needs a reason."""
    policy.require(actor, "publication.build")
    edition = _asked_for(actor, month, new_version, reason)
    outbox.enqueue(BUILD_JOB, {"edition_id": edition.id})
    db.session.commit()
    return edition


def build_now(*, month: str, new_version: bool = False, reason: str = "") -> Edition:
    """The CLI's build: as the system, at once, in this process."""
    edition = _asked_for(None, month, new_version, reason)
    db.session.commit()
    build_edition(edition.id)
    return db.session.get(Edition, edition.id, populate_existing=True)


# --- building ---------------------------------------------------------------------------


@outbox.handler(BUILD_JOB)
def _build_from_outbox(payload: dict) -> None:
    build_edition(payload["edition_id"])


class BuildInProgress(RuntimeError):
    """Another drain is building this edition now; the outbox tries again later."""


def _claim(edition_id: int) -> bool:
    """Mark the edition building, at once and on a connection of its own: the page shows it,
    and the drain's own transaction keeps its lock on the outbox row (PostgreSQL) until the
    edition is ready. A queued edition is claimed, or one whose build stopped long ago."""
    with db.engine.begin() as conn:
        claimed = conn.execute(
            sa.update(Edition)
            .where(Edition.id == edition_id)
            .where(
                sa.or_(
                    Edition.status == E.queued,
                    sa.and_(
                        Edition.status == E.building, Edition.started_at < utcnow() - STALE_BUILD
                    ),
                )
            )
            .values(status=E.building, started_at=utcnow(), error=None)
        )
        if claimed.rowcount == 1:
            return True
        status = conn.scalar(sa.select(Edition.status).where(Edition.id == edition_id))
    if status == E.building:
        # Two drains at once (SQLite has no SKIP LOCKED): build once, retry the message.
        raise BuildInProgress(f"edition {edition_id} is being built by another drain")
    return False  # ready already, or failed and waiting to be asked for again


def build_edition(edition_id: int) -> Edition | None:
    """Select, render, store and record one queued edition. Runs in the outbox drain or the
    CLI, never in a web request. A failure marks the edition failed with the reason (shown
    on /publications/); building the month again retries the same version."""
    if not _claim(edition_id):
        return None
    edition = db.session.get(Edition, edition_id, populate_existing=True)
    month = Month.parse(edition.month)
    written: list[Path] = []
    try:
        records = select_records(month)
        issued_at = utcnow()
        pdf, pages = publication_render.render_pdf(
            records=records,
            month_key=month.key,
            month_label=month.label,
            version=edition.version,
            issued_on=uk_date(issued_at),
            issued_at=issued_at,
            reason=edition.reason,
            disclaimer=current_app.config["DISCLAIMER"],
        )
        files = [
            store(edition, "pdf", pdf, written),
            store(edition, "csv", publication_render.render_csv(records), written),
        ]
    except Exception as exc:  # any failure is shown to the person who asked, with its reason
        current_app.logger.exception("Building edition %s failed", edition.label)
        _discard(written)
        _mark_failed(edition_id, f"{type(exc).__name__}: {exc}")
        return None
    finished = db.session.execute(
        sa.update(Edition)
        .where(Edition.id == edition_id, Edition.status == E.building)
        .values(status=E.ready, built_at=issued_at, record_count=len(records), page_count=pages)
    )
    if finished.rowcount != 1:  # another attempt finished first; keep what it recorded
        db.session.rollback()
        _discard(written)
        return None
    db.session.add_all(files)
    edition = db.session.get(Edition, edition_id, populate_existing=True)
    notifications.edition_ready(edition, month.label)
    _audit(None, "publication.built", edition, f"{len(records)} record(s), {pages} page(s)")
    db.session.commit()
    return edition


def _discard(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _mark_failed(edition_id: int, reason: str) -> None:
    db.session.rollback()
    db.session.execute(
        sa.update(Edition)
        .where(Edition.id == edition_id, Edition.status == E.building)
        .values(status=E.failed, error=reason[:2000])
    )
    edition = db.session.get(Edition, edition_id, populate_existing=True)
    _audit(None, "publication.build_failed", edition, reason[:300])
    db.session.commit()


# --- reading, downloading, verifying ----------------------------------------------------


@dataclass
class EditionList:
    page: object  # a Flask-SQLAlchemy Pagination of Edition
    latest_ready: dict[str, int]  # month -> the version its plain download link serves


def list_editions(actor: User, *, page: int, per_page: int = 50) -> EditionList:
    policy.require(actor, "publication.download")
    stmt = (
        sa.select(Edition)
        .options(selectinload(Edition.files), selectinload(Edition.requested_by))
        .order_by(Edition.month.desc(), Edition.version.desc())
    )
    latest = sa.select(Edition.month, sa.func.max(Edition.version)).where(Edition.status == E.ready)
    return EditionList(
        page=db.paginate(stmt, page=page, per_page=per_page, error_out=False),
        latest_ready=dict(db.session.execute(latest.group_by(Edition.month)).all()),
    )


@dataclass(frozen=True)
class Download:
    filename: str
    mimetype: str
    data: bytes


def download(*, actor: User, month: str, fmt: str, version: int | None = None) -> Download:
    """The latest ready version of a month's edition (or the version asked for), audited."""
    policy.require(actor, "publication.download")
    try:
        month_key = Month.parse(month).key
    except ValidationFailed:
        raise NotFound("No such edition.") from None
    if fmt not in FORMATS:
        raise NotFound("No such edition.")
    stmt = sa.select(Edition).where(Edition.month == month_key, Edition.status == E.ready)
    if version is not None:
        stmt = stmt.where(Edition.version == version)
    edition = found(db.session.scalar(stmt.order_by(Edition.version.desc()).limit(1)), "edition")
    stored = found(edition.file(fmt), "edition file")
    data = read_verified(stored)
    _audit(actor, "publication.downloaded", edition, f"{fmt}, sha256 {stored.sha256}")
    db.session.commit()
    return Download(f"idr-edition-{month_key}-v{edition.version}.{fmt}", FORMATS[fmt], data)


# END
