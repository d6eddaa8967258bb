"""Records with a publication history in chosen months, made through the real services and
then moved into the past (the services stamp the present)."""

from __future__ import annotations

from datetime import datetime

from app.extensions import db
from app.models import Report
from app.models.base import utcnow
from app.services import validation
from app.services.demo_reports import move_history
from tests.support.reports import Cast, sample_input, walk_to


def published_on(cast: Cast, when: datetime, **fields) -> Report:
    since = utcnow()
    report = walk_to(cast, "published", **fields)
    move_history(report, since, when)
    db.session.commit()
    return report


def revised_on(cast: Cast, report: Report, when: datetime, fields: dict, **changes) -> Report:
    """Revise with the record's original `fields` plus `changes`."""
    since = utcnow()
    report = validation.revise(
        actor=cast.user("validator"),
        key=report.reference,
        data=sample_input(cast, **(fields | changes)),
        note=f"Revised: {', '.join(changes)} changed.",
        seen_version=report.version,
    )
    move_history(report, since, when)
    db.session.commit()
    return report


def withdrawn_on(cast: Cast, report: Report, when: datetime, reason: str) -> Report:
    since = utcnow()
    report = validation.withdraw(
        actor=cast.user("validator"),
        key=report.reference,
        reason=reason,
        seen_version=report.version,
    )
    move_history(report, since, when)
    db.session.commit()
    return report
