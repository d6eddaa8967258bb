"""Manufacturer review, the MP137 "prior notice" step: the manufacturers of the Devices in a
DMC see the report before publication and may agree, dispute, add or correct a fix, and give a
statement to publish with the record. `tick` records "no response" once a window has passed
and reminds those whose window is about to close."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    EventAudience,
    FixType,
    ManufacturerReview,
    Report,
    ReportEvent,
    ReportState,
    ReviewResponse,
    User,
)
from app.models.base import utcnow
from app.services import audit, notifications, policy, workflow, working_days
from app.services.errors import NotFound, ValidationFailed
from app.services.reports import check_version, commit, get_visible

RESPONSES = (ReviewResponse.agree, ReviewResponse.dispute, ReviewResponse.add_fix)


def queue(actor: User) -> list[tuple[Report, ManufacturerReview | None]]:
    """Reports involving the actor's manufacturer, from manufacturer review on."""
    policy.require(actor, "review.work")
    involved = policy.involving_manufacturer(actor.manufacturer_id)
    stmt = (
        sa.select(Report)
        .where(Report.state.in_(policy.MANUFACTURER_STATES), involved)
        .order_by(
            (Report.state != ReportState.manufacturer_review),
            Report.review_deadline.asc().nulls_last(),
            Report.id.desc(),
        )
    )
    reports = db.session.scalars(policy.visible_reports(actor, stmt))
    return [(r, r.review_for(actor.manufacturer_id)) for r in reports]


def get_for_review(actor: User, key: str) -> tuple[Report, ManufacturerReview]:
    policy.require(actor, "review.work")
    report = get_visible(actor, key)
    review = report.review_for(actor.manufacturer_id)
    if not policy.is_involved_manufacturer(actor, report) or review is None:
        raise NotFound("No such report.")
    return report, review


@dataclass
class ResponseInput:
    response: str
    text: str = ""
    fix_type: str | None = None
    fix_firmware: str = ""
    fix_description: str = ""
    statement: str = ""
    publish_statement: bool = False


def _checked(data: ResponseInput) -> tuple[ReviewResponse, FixType | None]:
    errors: dict[str, list[str]] = {}
    try:
        response = ReviewResponse(data.response)
        if response not in RESPONSES:
            raise ValueError
    except ValueError:
        response = None
        errors["response"] = ["Choose your response."]
    fix_type = None
    if response == ReviewResponse.dispute and not data.text.strip():
        errors["text"] = ["Give your reasons for disputing the report."]
    if response == ReviewResponse.add_fix:
        try:
            fix_type = FixType(data.fix_type or "")
        except ValueError:
            errors["fix_type"] = ["Choose the type of fix."]
        if not data.fix_description.strip():
            errors["fix_description"] = ["Describe the fix."]
    if data.publish_statement and not data.statement.strip():
        errors["statement"] = ["Write the statement you want published, or untick the box."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], field_errors=errors)
    return response, fix_type


def respond(*, actor: User, key: str, data: ResponseInput, seen_version: int) -> Report:
    report, review = get_for_review(actor, key)
    check_version(report, seen_version)
    response, fix_type = _checked(data)
    workflow.apply(
        report,
        "manufacturer_respond",
        actor,
        note=f"{review.manufacturer.name}: {response.label}. {data.text.strip()}".strip(),
        audience=EventAudience.manufacturer,
        manufacturer_id=actor.manufacturer_id,
    )
    review.response = response
    review.response_text = data.text.strip()
    review.responded_at = utcnow()
    review.responder_id = actor.id
    review.dispute_answer, review.dispute_answered_at = "", None
    if fix_type is not None:
        review.fix_type = fix_type
        review.fix_firmware = data.fix_firmware.strip()[:40]
        review.fix_description = data.fix_description.strip()
    review.statement = data.statement.strip()
    review.publish_statement = bool(data.publish_statement) and bool(review.statement)
    audit.record(actor, "review.responded", report, f"{review.manufacturer.name}: {response.value}")
    notifications.manufacturer_responded(report, review)
    commit()
    return report


@dataclass
class TickResult:
    no_response: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{len(self.no_response)} response(s) recorded as no response, "
            f"{len(self.reminded)} reminder(s) sent"
        )


def tick(today: date | None = None) -> TickResult:
    """Record passed windows as "no response"; remind before a window closes."""
    today = today or date.today()
    reminder_days = current_app.config["REVIEW_REMINDER_WORKING_DAYS"]
    result = TickResult()
    stmt = sa.select(Report).where(Report.state == ReportState.manufacturer_review)
    for report in db.session.scalars(stmt):
        deadline = report.review_deadline
        for review in report.reviews:
            if review.response is not None or deadline is None:
                continue
            name = f"{report.reference} {review.manufacturer.name}"
            if today > deadline:
                review.response = ReviewResponse.no_response
                review.responded_at = utcnow()
                report.events.append(
                    ReportEvent(
                        action="no_response",
                        audience=EventAudience.manufacturer,
                        manufacturer_id=review.manufacturer_id,
                        note=f"No response from {review.manufacturer.name} by the end of "
                        f"{deadline:%d %B %Y}.",
                    )
                )
                audit.record(None, "review.no_response", report, review.manufacturer.name)
                result.no_response.append(name)
            elif review.reminder_sent_at is None and (
                working_days.working_days_between(today, deadline) <= reminder_days
            ):
                review.reminder_sent_at = utcnow()
                notifications.deadline_approaching(report, review)
                result.reminded.append(name)
    db.session.commit()
    return result
