"""Reports as their reporters see them: drafts, submission, answering a validator's question,
and reading what the policy allows. Validation and manufacturer review build on the helpers
here (`get_visible`, `check_version`, `commit`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import (
    EventAudience,
    ReferenceCounter,
    Report,
    ReportEvent,
    ReportState,
    User,
)
from app.models.base import utcnow
from app.services import audit, notifications, policy, workflow
from app.services.errors import InvalidTransition, NotFound, StaleEdit, ValidationFailed
from app.services.report_data import (
    ReportInput,
    apply_values,
    checked_values,
    parse_dsms_references,
    resolve_devices,
)
from app.services.search import query as search_query

DRAFT_PREFIX = "draft-"
# The first history entry of a draft pre-filled from a legacy DSMS record (promotion.py),
# or from a DMC's alert volumes (alerts_draft.py).
PROMOTED_EVENT = "promoted"
ALERTS_EVENT = "drafted_from_alerts"


def key_of(report: Report) -> str:
    """How a report is named in URLs: its reference, or draft-<id> before submission."""
    return report.reference or f"{DRAFT_PREFIX}{report.id}"


def _load(key: str) -> Report | None:
    stmt = sa.select(Report).options(
        selectinload(Report.devices), selectinload(Report.reviews), selectinload(Report.events)
    )
    if key.startswith(DRAFT_PREFIX) and key[len(DRAFT_PREFIX) :].isdigit():
        stmt = stmt.where(Report.id == int(key[len(DRAFT_PREFIX) :]), Report.reference.is_(None))
    else:
        stmt = stmt.where(Report.reference == key.strip().upper())
    return db.session.scalar(stmt)


def get_visible(actor: User, key: str) -> Report:
    """The report, if `actor` may see it in full. Unknown and forbidden both answer 404, so
    guessing references reveals nothing."""
    report = _load(key)
    if report is None or not policy.can(actor, "report.view", report):
        raise NotFound("No such report.")
    return report


@dataclass(frozen=True)
class RecordView:
    report: Report
    full: bool  # False: only the withdrawal notice may be shown


def get_record(actor: User, key: str) -> RecordView:
    report = _load(key)
    if report is not None and policy.can(actor, "report.view", report):
        return RecordView(report, True)
    if report is not None and policy.can(actor, "report.view_notice", report):
        return RecordView(report, False)
    raise NotFound("No such report.")


def check_version(report: Report, seen_version: int | str | None) -> None:
    try:
        seen = int(seen_version)
    except (TypeError, ValueError):
        seen = None  # a mangled form is treated like a stale one: nothing is saved
    if seen != report.version:
        raise StaleEdit()


def commit() -> None:
    """Commit; a concurrent change that slipped in after our version check (the UPDATE
    matched no row) is a stale edit, not a 500."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleEdit() from None


def history_for(actor: User, report: Report) -> list[ReportEvent]:
    return [e for e in report.events if policy.can(actor, "event.view", e)]


# --- drafts and submission ------------------------------------------------------------


def create_draft(*, actor: User, data: ReportInput) -> Report:
    policy.require(actor, "reports.submit")
    values = checked_values(data)
    report = Report(
        author_id=actor.id,
        organisation_id=actor.organisation_id,
        state=ReportState.draft,
        reveal_organisation=bool(data.reveal_organisation),
    )
    apply_values(report, values)
    db.session.add(report)
    db.session.flush()
    report.events.append(
        ReportEvent(actor_id=actor.id, action="created", audience=EventAudience.reporter)
    )
    audit.record(actor, "report.draft_created", report)
    db.session.commit()
    return report


def draft_for_editing(actor: User, key: str) -> Report:
    """The report for the reporter's edit form: 404 (NotFound) if `actor` may not see it;
    InvalidTransition saying why if they see it but it is not their own draft."""
    report = get_visible(actor, key)
    if policy.can(actor, "report.edit", report):
        return report
    if report.state != ReportState.draft:
        reason = (
            f"{report.reference} cannot be edited here: it is {report.state.label.lower()}, "
            "and only a draft can be edited, by its author."
        )
        if policy.can(actor, "report.validate", report):
            reason += " Validators change it from the validation workspace."
    else:
        reason = "Only its author can edit a draft."
    raise InvalidTransition(reason)


def update_draft(*, actor: User, key: str, data: ReportInput, seen_version: int) -> Report:
    report = draft_for_editing(actor, key)
    check_version(report, seen_version)
    values = checked_values(data)
    workflow.apply(report, "edit", actor, audience=EventAudience.reporter)
    apply_values(report, values)
    report.reveal_organisation = bool(data.reveal_organisation)
    audit.record(actor, "report.draft_updated", report)
    commit()
    return report


def start_prefilled_draft(actor: User, values: dict, *, action: str, note: str) -> Report:
    """A draft by `actor` (not committed) from checked values pre-filled from elsewhere, its
    first history entry (`action`: PROMOTED_EVENT or ALERTS_EVENT) saying what to check."""
    report = Report(
        author_id=actor.id, organisation_id=actor.organisation_id, state=ReportState.draft
    )
    apply_values(report, values)
    db.session.add(report)
    db.session.flush()
    report.events.append(
        ReportEvent(actor_id=actor.id, action=action, audience=EventAudience.reporter, note=note)
    )
    return report


def awaits_first_save(report: Report) -> bool:
    """A draft pre-filled from a DSMS record holds stand-in values (kind, occurrence) until
    its author has saved it through the edit form, which checks everything as usual."""
    actions = {e.action for e in report.events}
    return bool(actions & {PROMOTED_EVENT, ALERTS_EVENT}) and "edit" not in actions


def allocate_reference(year: int) -> str:
    """The next IDR-YYYY-NNNNN. The counter row is locked by the UPDATE until commit, so
    concurrent submissions on PostgreSQL queue for it and get distinct numbers."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    db.session.execute(
        dialect.insert(ReferenceCounter)
        .values(year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["year"])
    )
    number = db.session.execute(
        sa.update(ReferenceCounter)
        .where(ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    ).scalar_one()
    return f"IDR-{year}-{number:05d}"


def submit(*, actor: User, key: str, seen_version: int) -> Report:
    report = get_visible(actor, key)
    check_version(report, seen_version)
    if not report.devices:
        message = "Add at least one Device of the DMC before submitting."
        raise ValidationFailed(message, field_errors={"devices": [message]})
    if awaits_first_save(report):
        raise ValidationFailed(
            "This draft was pre-filled from a DSMS record or alert volumes: check it and save "
            "it in this form before submitting (they did not say everything a report needs)."
        )
    workflow.apply(report, "submit", actor, audience=EventAudience.reporter)
    report.reference = allocate_reference(date.today().year)
    report.submitted_at = utcnow()
    audit.record(actor, "report.submitted", report)
    notifications.report_submitted(report)
    commit()
    return report


def answer_info_request(*, actor: User, key: str, answer: str, seen_version: int) -> Report:
    report = get_visible(actor, key)
    check_version(report, seen_version)
    if not answer.strip():
        raise ValidationFailed(
            "Enter your answer.", field_errors={"answer": ["Enter your answer."]}
        )
    workflow.apply(
        report, "answer_info", actor, note=answer.strip(), audience=EventAudience.reporter
    )
    report.info_request = ""
    audit.record(actor, "report.info_answered", report)
    commit()
    return report


# --- lists ------------------------------------------------------------------------------


def list_mine(actor: User) -> list[Report]:
    """The actor's drafts and every submitted report of their organisation."""
    policy.require(actor, "reports.submit")
    stmt = (
        sa.select(Report)
        .where(
            sa.or_(
                Report.author_id == actor.id,
                sa.and_(
                    Report.organisation_id == actor.organisation_id,
                    Report.state != ReportState.draft,
                ),
            )
        )
        .order_by(Report.updated_at.desc())
    )
    return list(db.session.scalars(policy.visible_reports(actor, stmt)))


def list_published(actor: User, *, page: int, per_page: int = 25):
    """Published records and withdrawal notices the actor may see, newest first."""
    policy.require(actor, "records.browse")
    notices = sa.and_(Report.state == ReportState.withdrawn, Report.security_sensitive.is_(False))
    stmt = (
        sa.select(Report)
        .where(Report.state.in_([ReportState.published, ReportState.withdrawn]))
        .where(sa.or_(policy.visibility_clause(actor), notices))
        .order_by(Report.published_at.desc(), Report.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def find_by_reference(reference: str) -> Report | None:
    """For checks such as "duplicate of": whether a submitted report exists."""
    report = _load(reference)
    if report is None or report.reference is None:
        return None
    return report


def similar_records(actor: User, report: Report, limit: int = 5):
    """Before a draft is submitted: the existing records most like it, so the reporter can
    see whether it is known already (and whether there is a fix)."""
    if report.state != ReportState.draft:
        return []
    return _similar(
        actor, report.title, report.description, report.devices, report.dsms_references, limit
    )


def similar_to_input(actor: User, data: ReportInput, limit: int = 5) -> list | None:
    """The same hints for a report still being typed into the form, once it has a title
    and a Device (None before: nothing to look with). Nothing is saved; Devices not yet
    complete are left out."""
    policy.require(actor, "reports.submit")
    devices = []
    for device in data.devices:
        try:
            devices += resolve_devices([device])
        except ValidationFailed:
            continue  # half typed: it says nothing yet
    if not data.title.strip() or not devices:
        return None
    try:
        cited = parse_dsms_references(data.dsms_references)
    except ValidationFailed:
        cited = []
    return _similar(actor, data.title, data.description, devices, cited, limit)


def _similar(actor: User, title: str, description: str, devices, cited, limit: int):
    if not policy.can(actor, "search.use"):
        return []
    dmc = " ".join(
        f"{d.device_type.value} {d.manufacturer_name} {d.model_name} {d.firmware_version}"
        for d in devices
    )
    return search_query.similar(
        actor,
        title=title,
        description=description,
        dmc=dmc,
        limit=limit,
        exclude=frozenset(cited),  # it cites them already
    )
