"""Writing and reading the append-only audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, User
from app.services import policy
from app.services.request_context import client_ip

SYSTEM_ACTOR = "system"


def record(
    actor: User | None,
    action: str,
    obj: object | None = None,
    summary: str = "",
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_email: str | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (the caller commits)."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id or str(getattr(obj, "reference", None) or obj.id)
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else (actor_email or SYSTEM_ACTOR),
        action=action,
        object_type=object_type,
        object_id=object_id,
        summary=summary[:4000],
        ip_address=client_ip.get(),
    )
    db.session.add(event)
    return event


def record_import(actor: User | None, action: str, source: str, summary: str) -> AuditEvent:
    """An import of a file (`action` such as "legacy.imported"), named by the file, with its
    summary line (rows read, inserted, updated, rejected)."""
    return record(
        actor,
        action,
        object_type=action.replace(".imported", "_import"),
        object_id=source[:80] or None,
        summary=summary,
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def search(actor: User, filters: AuditFilter, *, page: int, per_page: int):
    policy.require(actor, "audit.read")
    stmt = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.actor:
        stmt = stmt.where(AuditEvent.actor_email.ilike(f"%{filters.actor.strip()}%"))
    if filters.action:
        stmt = stmt.where(AuditEvent.action.ilike(f"{filters.action.strip()}%"))
    if filters.date_from:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(filters.date_from, time.min))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min)
        stmt = stmt.where(AuditEvent.at < end)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def known_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).distinct().order_by("action")))
