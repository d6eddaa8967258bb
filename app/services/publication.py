"""The monthly SECAS publication (DESIGN §6): asking for an edition, building it (never in
a web request: the button queues an outbox job, the CLI builds at once), audited downloads.
What an edition holds is publication_records; its files, publication_render and
publication_store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Edition, EditionStatus, User
from app.models.base import uk_date, utcnow
from app.services import audit, notifications, outbox, policy, publication_render
from app.services.errors import NotFound, ValidationFailed, found
from app.services.publication_records import Month, select_records
from app.services.publication_store import read_verified, store

BUILD_JOB = "publication.build"
FORMATS = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}
# A build still "building" after this long has stopped (the process died); it may be redone.
STALE_BUILD = timedelta(minutes=30)
# A build still "queued" after this long will not start (its job failed or was lost; the
# drain runs every minute): it may be asked for again. A second job for the same edition
# is harmless, since only one attempt can claim it.
STALE_QUEUE = timedelta(minutes=30)
E = EditionStatus


# --- asking for a build -----------------------------------------------------------------


def _editions_of(month: Month) -> list[Edition]:
    return list(
        db.session.scalars(
            sa.select(Edition).where(Edition.month == month.key).order_by(Edition.version)
        )
    )


def stopped_since(edition: Edition) -> datetime | None:
    """When a queued or building edition was last known to be moving, if it has stopped."""
    now = utcnow()
    if edition.status == E.queued and edition.requested_at < now - STALE_QUEUE:
        return edition.requested_at
    if edition.status == E.building and edition.started_at < now - STALE_BUILD:
        return edition.started_at
    return None


def _busy(edition: Edition) -> bool:
    return edition.status in (E.queued, E.building) and stopped_since(edition) is None


def _stopped_sql() -> sa.ColumnElement[bool]:
    """SQL for stopped_since(edition) is not None."""
    now = utcnow()
    return sa.or_(
        sa.and_(Edition.status == E.queued, Edition.requested_at < now - STALE_QUEUE),
        sa.and_(Edition.status == E.building, Edition.started_at < now - STALE_BUILD),
    )


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={field: [message]})


def _first_day_after(month: Month) -> str:
    after = month.next()
    year = f" {after.year}" if after.year != month.year else ""
    return f"1 {date(after.year, after.month, 1):%B}{year}"


def _check_month(month: Month, allow_incomplete: bool) -> None:
    current = Month.current()
    if month > current:
        raise _refuse("month", f"{month.label} has not started yet, so it has no edition.")
    if month == current and not allow_incomplete:
        raise _refuse(
            "month",
            f"{month.label} is not over yet: its edition can be built from "
            f"{_first_day_after(month)}.",
        )


def _edition_to_build(
    actor: User | None, month: Month, new_version: bool, reason: str, allow_incomplete: bool
) -> Edition:
    _check_month(month, allow_incomplete)
    editions = _editions_of(month)
    busy = next((e for e in editions if _busy(e)), None)
    if busy is not None:
        raise _refuse(
            "month",
            f"Version {busy.version} of the {month.label} edition is already "
            f"{busy.status.label.lower()}; it will be ready shortly.",
        )
    issued = [e for e in editions if e.status == E.ready]
    reason = reason.strip()
    if issued and not new_version:
        raise _refuse(
            "new_version",
            f"The {month.label} edition has been issued (version {issued[-1].version}). To "
            "issue a new version, choose to make a new version and give the reason.",
        )
    if issued and not reason:
        raise _refuse("reason", "Give the reason for the new version; it is recorded with it.")
    latest = editions[-1] if editions else None
    if latest is not None and latest.status != E.ready:
        return _requeue(actor, month, latest, reason)
    edition = Edition(
        month=month.key,
        version=latest.version + 1 if latest else 1,
        reason=reason,
        requested_by_id=actor.id if actor else None,
    )
    db.session.add(edition)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # the same version asked for twice at once
        db.session.rollback()
        raise _refuse(
            "month", f"Someone has just asked for the {month.label} edition; it is queued."
        ) from None
    return edition


def _requeue(actor: User | None, month: Month, latest: Edition, reason: str) -> Edition:
    """A failed or stopped build issued nothing: build the same version again. Guarded in
    SQL, since the build thought stopped may finish (or be taken over) meanwhile."""
    requeued = db.session.execute(
        sa.update(Edition)
        .where(Edition.id == latest.id, sa.or_(Edition.status == E.failed, _stopped_sql()))
        .values(
            status=E.queued,
            error=None,
            requested_by_id=actor.id if actor else None,
            requested_at=utcnow(),
            reason=reason or latest.reason,
        )
        .execution_options(synchronize_session=False)
    )
    if requeued.rowcount != 1:
        raise _refuse(
            "month",
            f"Version {latest.version} of the {month.label} edition has just been finished "
            "or taken over by another build, so it was not asked for again. Reload the page "
            "to see where it stands.",
        )
    db.session.refresh(latest)
    return latest


def _audit(actor: User | None, action: str, edition: Edition, summary: str = "") -> None:
    audit.record(
        actor, action, object_type=Edition.__tablename__, object_id=edition.label, summary=summary
    )


def _asked_for(
    actor: User | None, month: str, new_version: bool, reason: str, allow_incomplete: bool = False
) -> Edition:
    month_ = Month.parse(month)
    edition = _edition_to_build(actor, month_, new_version, reason, allow_incomplete)
    notes = [f"reason: {edition.reason}"] if edition.reason else []
    if month_ == Month.current():
        notes.append("the month is not over yet (--allow-incomplete)")
    _audit(actor, "publication.build_requested", edition, "; ".join(notes))
    return edition


def request_build(
    *, actor: User, month: str, new_version: bool = False, reason: str = ""
) -> Edition:
    """Queue a build of a month that is over; the outbox drain builds it. Building again
    after an edition was issued makes a new version and needs a reason."""
    policy.require(actor, "publication.build")
    edition = _asked_for(actor, month, new_version, reason)
    outbox.enqueue(BUILD_JOB, {"edition_id": edition.id})
    db.session.commit()
    return edition


def build_now(
    *, month: str, new_version: bool = False, reason: str = "", allow_incomplete: bool = False
) -> Edition:
    """The CLI's build: as the system, at once, in this process. `allow_incomplete` lets the
    operator build the current month before it is over (the page never does)."""
    edition = _asked_for(None, month, new_version, reason, allow_incomplete)
    db.session.commit()
    try:
        build_edition(edition.id)
    except BuildInProgress:
        raise _refuse(
            "month",
            f"Version {edition.version} of the {edition.month_label} edition is being built "
            "by the outbox drain; see /publications/.",
        ) from None
    return db.session.get(Edition, edition.id, populate_existing=True)


# --- building ---------------------------------------------------------------------------


@outbox.handler(BUILD_JOB)
def _build_from_outbox(payload: dict) -> None:
    build_edition(payload["edition_id"])


class BuildInProgress(outbox.RetryLater):
    """Another attempt is building this edition now: the outbox tries again once that build
    would be stale, without using up an attempt (a build may take minutes)."""


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
        row = conn.execute(
            sa.select(Edition.status, Edition.started_at).where(Edition.id == edition_id)
        ).first()
    if row is not None and row.status == E.building:
        # Two drains at once (SQLite has no SKIP LOCKED), or a drain that died: build once.
        raise BuildInProgress(
            f"edition {edition_id} is being built by another drain",
            at=row.started_at + STALE_BUILD,
        )
    return False  # ready already, or failed and waiting to be asked for again


def build_edition(edition_id: int) -> Edition | None:
    """Select, render, store and record one queued edition. Runs in the outbox drain or the
    CLI, never in a web request. A failure marks the edition failed with the reason (shown
    on /publications/) and removes any file it wrote; building the month again retries the
    same version."""
    if not _claim(edition_id):
        return None
    written: list[Path] = []
    try:
        edition = db.session.get(Edition, edition_id, populate_existing=True)
        month = Month.parse(edition.month)
        records = select_records(month)
        issued_at = utcnow()
        disclaimer = current_app.config["DISCLAIMER"]
        pdf, pages = publication_render.render_pdf(
            records=records,
            month_key=month.key,
            month_label=month.label,
            version=edition.version,
            issued_on=uk_date(issued_at),
            issued_at=issued_at,
            reason=edition.reason,
            disclaimer=disclaimer,
        )
        files = [
            store(edition, "pdf", pdf, written),
            store(edition, "csv", publication_render.render_csv(records, disclaimer), written),
        ]
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
    except Exception as exc:  # any failure is shown to the person who asked, with its reason
        current_app.logger.exception("Building edition %s failed", edition_id)
        db.session.rollback()
        _discard(written)  # nothing was recorded, so nothing may be left behind
        _mark_failed(edition_id, f"{type(exc).__name__}: {exc}")
        return None
    return edition


def _discard(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _mark_failed(edition_id: int, reason: str) -> None:
    db.session.rollback()
    failed = db.session.execute(
        sa.update(Edition)
        .where(Edition.id == edition_id, Edition.status == E.building)
        .values(status=E.failed, error=reason[:2000])
    )
    if failed.rowcount == 1:  # not if another attempt took the edition over meanwhile
        edition = db.session.get(Edition, edition_id, populate_existing=True)
        _audit(None, "publication.build_failed", edition, reason[:300])
    db.session.commit()


# --- reading, downloading, verifying ----------------------------------------------------


@dataclass
class EditionList:
    page: object  # a Flask-SQLAlchemy Pagination of Edition
    latest_ready: dict[str, int]  # month -> the version its plain download link serves
    stopped: dict[int, datetime]  # edition id -> since when its build has stopped


def list_editions(actor: User, *, page: int, per_page: int = 50) -> EditionList:
    policy.require(actor, "publication.download")
    stmt = (
        sa.select(Edition)
        .options(selectinload(Edition.files), selectinload(Edition.requested_by))
        .order_by(Edition.month.desc(), Edition.version.desc())
    )
    latest = sa.select(Edition.month, sa.func.max(Edition.version)).where(Edition.status == E.ready)
    editions = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    return EditionList(
        page=editions,
        latest_ready=dict(db.session.execute(latest.group_by(Edition.month)).all()),
        stopped={e.id: since for e in editions.items if (since := stopped_since(e))},
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
