"""What DCC validators do with a report: the queue, validation, edits for consistency,
questions, rejection, manufacturer review, approval, publication, revision, withdrawal.

Each command loads the report through the policy, refuses a stale version, takes one step of
the state machine (which writes the history), audits, queues notifications and commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import (
    AffectedDevice,
    EventAudience,
    Manufacturer,
    ManufacturerReview,
    RejectionGround,
    Report,
    ReportRevision,
    ReportState,
    User,
)
from app.models.base import utcnow
from app.services import audit, notifications, policy, workflow, working_days
from app.services.errors import ValidationFailed
from app.services.report_data import (
    FIX_FIELDS,
    ReportInput,
    apply_values,
    checked_values,
    snapshot,
)
from app.services.reports import check_version, commit, find_by_reference, get_visible

S = ReportState
REJECT_GROUND_MESSAGE = "Choose why the report is rejected."
OPEN_STATES = (S.submitted, S.in_validation, S.info_requested, S.manufacturer_review, S.approved)
SORTS = {
    "oldest": (Report.submitted_at.asc(),),
    "newest": (Report.submitted_at.desc(),),
    "deadline": (Report.review_deadline.asc().nulls_last(), Report.submitted_at.asc()),
    "impact": (
        sa.case({"critical": 0, "high": 1, "medium": 2, "low": 3}, value=Report.impact),
        Report.submitted_at.asc(),
    ),
}


@dataclass(frozen=True)
class QueueFilter:
    state: str = "open"
    kind: str = ""
    device_type: str = ""
    manufacturer_id: int | None = None
    region: str = ""
    older_than_days: int | None = None
    sort: str = "oldest"


def queue(actor: User, filters: QueueFilter, *, page: int = 1, per_page: int = 50):
    policy.require(actor, "validation.work")
    stmt = sa.select(Report).where(Report.state != S.draft)
    if filters.state == "open":
        stmt = stmt.where(Report.state.in_(OPEN_STATES))
    elif filters.state:
        stmt = stmt.where(Report.state == S(filters.state))
    if filters.kind:
        stmt = stmt.where(Report.kind == filters.kind)
    if filters.device_type or filters.manufacturer_id:
        devices = sa.select(AffectedDevice.id).where(AffectedDevice.report_id == Report.id)
        if filters.device_type:
            devices = devices.where(AffectedDevice.device_type == filters.device_type)
        if filters.manufacturer_id:
            devices = devices.where(AffectedDevice.manufacturer_id == filters.manufacturer_id)
        stmt = stmt.where(devices.exists())
    if filters.region:
        # Regions are a short JSON list; "all regions" matches every region filter.
        stmt = stmt.where(
            sa.or_(
                sa.cast(Report.regions, sa.String).contains(f'"{filters.region}"'),
                sa.cast(Report.regions, sa.String).contains('"all"'),
            )
        )
    if filters.older_than_days:
        cutoff = utcnow() - timedelta(days=filters.older_than_days)
        stmt = stmt.where(Report.submitted_at <= cutoff)
    stmt = stmt.order_by(*SORTS.get(filters.sort, SORTS["oldest"]), Report.id)
    return db.paginate(
        policy.visible_reports(actor, stmt), page=page, per_page=per_page, error_out=False
    )


def _step(actor: User, key: str, seen_version: int, action: str, **event) -> Report:
    report = get_visible(actor, key)
    check_version(report, seen_version)
    workflow.apply(report, action, actor, **event)
    return report


def start(*, actor: User, key: str, seen_version: int) -> Report:
    report = _step(actor, key, seen_version, "start")
    report.validator_id = actor.id
    audit.record(actor, "report.validation_started", report)
    commit()
    return report


FIX_CHECK_FIELD = "fix_validated"
NO_FIX_TO_CHECK = (
    "There is no fix to check: give its type and description, or leave this unanswered."
)


def _fix_checked(report: Report, values: dict, checked: bool | None) -> bool:
    """Whether the report's fix stands checked by the DCC once `values` are applied: as the
    validator says (`checked`), or, when they say nothing, as it was, unless the fix itself
    changes: a changed fix has not been checked."""
    fix = {name: values.get(name, getattr(report, name)) for name in FIX_FIELDS}
    if fix["fix_type"] is None:
        if checked:
            raise ValidationFailed(
                NO_FIX_TO_CHECK, field_errors={FIX_CHECK_FIELD: [NO_FIX_TO_CHECK]}
            )
        return False
    if checked is not None:
        return checked
    unchanged = all((fix[name] or None) == (getattr(report, name) or None) for name in FIX_FIELDS)
    return report.fix_validated and unchanged


def _validator_values(report: Report, data: ReportInput, fix_checked: bool | None) -> dict:
    values = checked_values(data)
    values[FIX_CHECK_FIELD] = _fix_checked(report, values, fix_checked)
    added = {d.manufacturer_id for d in values["devices"] if d.manufacturer_id}
    added -= {r.manufacturer_id for r in report.reviews}
    if added and report.state in (S.approved, S.published):
        names = ", ".join(sorted(db.session.get(Manufacturer, m).name for m in added))
        message = (
            f"This would add Devices of {names}, who have had no prior notice of the report. "
            "Make a new report for them instead."
        )
        raise ValidationFailed(message, field_errors={"devices": [message]})
    return values


def _new_review(manufacturer_id: int) -> ManufacturerReview:
    # The id is set as well as the relation: notifications read it before any flush.
    return ManufacturerReview(
        manufacturer_id=manufacturer_id, manufacturer=db.session.get(Manufacturer, manufacturer_id)
    )


def _sync_reviews(report: Report) -> None:
    """During manufacturer review, a manufacturer whose Devices an edit adds is told at once
    (same window); one whose Devices were removed and who has not answered drops out."""
    involved = report.manufacturer_ids()
    for review in list(report.reviews):
        if review.manufacturer_id not in involved and review.response is None:
            report.reviews.remove(review)
    for manufacturer_id in sorted(involved - {r.manufacturer_id for r in report.reviews}):
        review = _new_review(manufacturer_id)
        report.reviews.append(review)
        notifications.review_requested(report, review)


def edit(
    *,
    actor: User,
    key: str,
    data: ReportInput,
    seen_version: int,
    note: str = "",
    fix_checked: bool | None = None,
) -> Report:
    """Edit for consistency. The history keeps what the reporter wrote (before/after).
    `fix_checked` is the validator's answer on the fix, None to leave it as it is (a changed
    fix is then no longer checked)."""
    report = get_visible(actor, key)
    check_version(report, seen_version)
    values = _validator_values(report, data, fix_checked)
    event = workflow.apply(
        report, "edit", actor, note=note.strip(), audience=EventAudience.reporter
    )
    event.changes = apply_values(report, values)
    if report.state == S.manufacturer_review:
        _sync_reviews(report)
    audit.record(actor, "report.edited", report, ", ".join(event.changes) or "no changes")
    commit()
    return report


def _required(text: str, field: str, message: str) -> str:
    if not text or not text.strip():
        raise ValidationFailed(message, field_errors={field: [message]})
    return text.strip()


def request_info(*, actor: User, key: str, question: str, seen_version: int) -> Report:
    question = _required(question, "question", "Enter the question for the reporter.")
    report = _step(
        actor, key, seen_version, "request_info", note=question, audience=EventAudience.reporter
    )
    report.info_request = question
    audit.record(actor, "report.info_requested", report)
    notifications.info_requested(report)
    commit()
    return report


def reject(
    *,
    actor: User,
    key: str,
    ground: str,
    reason: str,
    seen_version: int,
    duplicate_of: str = "",
) -> Report:
    try:
        ground = RejectionGround(ground)
    except ValueError:
        raise ValidationFailed(
            REJECT_GROUND_MESSAGE, field_errors={"ground": [REJECT_GROUND_MESSAGE]}
        ) from None
    reason = _required(reason, "reason", "Give the reason; the reporter will see it.")
    original = None
    if ground == RejectionGround.duplicate:
        original = find_by_reference(duplicate_of or "")
        if original is None or original.reference == key.upper():
            message = "Give the reference of the earlier report this one duplicates."
            raise ValidationFailed(message, field_errors={"duplicate_of": [message]})
    report = _step(actor, key, seen_version, "reject", note=reason, audience=EventAudience.reporter)
    report.rejection_ground = ground
    report.rejection_reason = reason
    report.duplicate_of = original.reference if original else None
    audit.record(actor, "report.rejected", report, ground.value)
    notifications.report_rejected(report)
    commit()
    return report


def send_to_manufacturers(
    *, actor: User, key: str, seen_version: int, today: date | None = None
) -> Report:
    today = today or date.today()
    report = _step(actor, key, seen_version, "send_to_manufacturers", today=today)
    report.review_started_on = today
    report.review_deadline = working_days.add_working_days(
        today, current_app.config["REVIEW_WORKING_DAYS"]
    )
    report.review_deadline_extended = False
    for manufacturer_id in sorted(report.manufacturer_ids()):
        review = report.review_for(manufacturer_id)
        if review is None:
            review = _new_review(manufacturer_id)
            report.reviews.append(review)
        notifications.review_requested(report, review)
    audit.record(
        actor, "report.sent_to_review", report, f"deadline {report.review_deadline.isoformat()}"
    )
    commit()
    return report


def extend_deadline(*, actor: User, key: str, seen_version: int) -> Report:
    report = _step(actor, key, seen_version, "extend_deadline")
    before = report.review_deadline
    report.review_deadline = working_days.add_working_days(
        before, current_app.config["REVIEW_EXTENSION_WORKING_DAYS"]
    )
    report.review_deadline_extended = True
    report.events[
        -1
    ].note = (
        f"Response window extended from {before:%d %B %Y} to {report.review_deadline:%d %B %Y}."
    )
    for review in report.reviews:
        if review.response is None:
            notifications.review_deadline_extended(report, review)
    audit.record(actor, "report.review_extended", report, report.events[-1].note)
    commit()
    return report


def answer_dispute(
    *, actor: User, key: str, manufacturer_id: int, answer: str, seen_version: int
) -> Report:
    answer = _required(answer, "answer", "Enter your answer to the dispute.")
    report = get_visible(actor, key)
    review = report.review_for(manufacturer_id)
    if review is None or not review.open_dispute:
        message = "That manufacturer has no unanswered dispute on this report."
        raise ValidationFailed(message, field_errors={"manufacturer_id": [message]})
    report = _step(
        actor,
        key,
        seen_version,
        "answer_dispute",
        note=answer,
        audience=EventAudience.manufacturer,
        manufacturer_id=manufacturer_id,
    )
    review.dispute_answer = answer
    review.dispute_answered_at = utcnow()
    audit.record(actor, "report.dispute_answered", report, review.manufacturer.name)
    commit()
    return report


def adopt_manufacturer_fix(
    *, actor: User, key: str, manufacturer_id: int, seen_version: int
) -> Report:
    """Take the fix a manufacturer proposed into the report (an edit, kept in the history)."""
    report = get_visible(actor, key)
    review = report.review_for(manufacturer_id)
    if review is None or review.fix_type is None:
        raise ValidationFailed("That manufacturer has not proposed a fix.")
    check_version(report, seen_version)
    event = workflow.apply(
        report,
        "edit",
        actor,
        note=f"Fix taken from {review.manufacturer.name}",
        audience=EventAudience.reporter,
    )
    values = {
        "fix_type": review.fix_type,
        "fix_firmware": review.fix_firmware,
        "fix_description": review.fix_description,
        "fix_source": f"Manufacturer: {review.manufacturer.name}",
    }
    values[FIX_CHECK_FIELD] = _fix_checked(report, values, None)
    event.changes = apply_values(report, values)
    audit.record(actor, "report.fix_adopted", report, review.manufacturer.name)
    commit()
    return report


FIX_CHECK_NEEDED = "Say whether the DCC has checked the fix."


def approve(
    *,
    actor: User,
    key: str,
    seen_version: int,
    fix_checked: bool | None = None,
    today: date | None = None,
) -> Report:
    """Approve for publication. A report with a fix needs the validator's word on whether
    the DCC has checked it (`fix_checked`): only a checked fix goes to SECAS's monthly
    edition (decisions.md), so it is never assumed either way."""
    report = get_visible(actor, key)
    check_version(report, seen_version)
    approvable = workflow.refusal(report, "approve", actor, today) is None
    if approvable and report.has_fix and fix_checked is None:
        raise ValidationFailed(FIX_CHECK_NEEDED, field_errors={"fix_checked": [FIX_CHECK_NEEDED]})
    event = workflow.apply(report, "approve", actor, today=today)
    event.changes = apply_values(report, {FIX_CHECK_FIELD: report.has_fix and bool(fix_checked)})
    audit.record(actor, "report.approved", report, fix_check_summary(report))
    commit()
    return report


def fix_check_summary(report: Report) -> str:
    if not report.has_fix:
        return "no fix"
    return "fix checked by the DCC" if report.fix_validated else "fix not yet checked"


def _new_revision(report: Report, actor: User, note: str) -> ReportRevision:
    number = len(report.revisions) + 1
    revision = ReportRevision(
        number=number, actor_id=actor.id, note=note, snapshot=snapshot(report)
    )
    report.revisions.append(revision)
    return revision


def publish(*, actor: User, key: str, seen_version: int, note: str = "") -> Report:
    report = _step(actor, key, seen_version, "publish", note=note.strip())
    now = utcnow()
    report.published_at = report.first_published_at = now
    if report.has_fix:
        report.fix_changed_at = now
    _new_revision(report, actor, note.strip() or "First publication.")
    audit.record(actor, "report.published", report)
    notifications.record_published(report)
    commit()
    return report


def revise(
    *,
    actor: User,
    key: str,
    data: ReportInput,
    note: str,
    seen_version: int,
    fix_checked: bool | None = None,
) -> Report:
    note = _required(note, "note", "Say what this revision changes; it is published with it.")
    report = get_visible(actor, key)
    check_version(report, seen_version)
    values = _validator_values(report, data, fix_checked)
    event = workflow.apply(report, "revise", actor, note=note)
    event.changes = apply_values(report, values)
    if not event.changes:
        db.session.rollback()  # leave nothing half-done in the session
        raise ValidationFailed("Nothing was changed, so there is nothing to revise.")
    now = utcnow()
    report.published_at = now
    if any(name in event.changes for name in FIX_FIELDS):
        report.fix_changed_at = now
    revision = _new_revision(report, actor, note)
    audit.record(actor, "report.revised", report, f"revision {revision.number}")
    notifications.record_published(report, revised=True)
    commit()
    return report


def withdraw(*, actor: User, key: str, reason: str, seen_version: int) -> Report:
    reason = _required(reason, "reason", "Give the reason; it is shown in the withdrawal notice.")
    report = _step(actor, key, seen_version, "withdraw", note=reason)
    report.withdrawal_reason = reason
    report.withdrawn_at = utcnow()
    audit.record(actor, "report.withdrawn", report)
    commit()
    return report


def review_states(
    report: Report, today: date | None = None
) -> list[tuple[ManufacturerReview, object]]:
    """Each manufacturer's review with the response as it stands today."""
    today = today or date.today()
    return [
        (r, r.effective_response(today))
        for r in sorted(report.reviews, key=lambda r: r.manufacturer.name)
    ]


def waiting_since(report: Report, now: datetime | None = None) -> int:
    """Whole days since submission (for the queue's age column)."""
    if report.submitted_at is None:
        return 0
    return ((now or utcnow()) - report.submitted_at).days
